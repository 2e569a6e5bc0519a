"""Demo data for the demo partner, entered through the installations HTTP API like a partner would.

Seeded, so every fresh start tells the same story: 12 customers (2 inactive), 5 handymen (3 available) and
20 installations walked through the workflow to various points (7 approved, 1 cancelled).
"""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx

DEMO_PARTNER = "partner-demo"
_SEED = 20261125


class DemoDataRejected(RuntimeError):
    """The installations API refused a piece of demo data."""


_CUSTOMERS = (
    "Amélie Laurent", "Bastien Moreau", "Chloé Girard", "Damien Roux", "Élodie Fontaine",
    "Fabien Marchand", "Gaëlle Dupuis", "Hugo Lefèvre", "Inès Garnier", "Julien Chevalier",
    "Karine Blanc", "Léo Mercier",
)  # fmt: skip
_INACTIVE = {"Fabien Marchand", "Léo Mercier"}

_HANDYMEN: tuple[tuple[str, str, list[str]], ...] = (
    ("Marc Dubois", "AVAILABLE", ["HeyZack Certified Installer", "Electrical Safety"]),
    ("Sophie Bernard", "AVAILABLE", ["HeyZack Certified Installer", "Network+"]),
    ("Karim Haddad", "AVAILABLE", ["Alarm Systems Level 2"]),
    ("Nina Petit", "BUSY", ["HeyZack Certified Installer"]),
    ("Thomas Leroy", "OFF_DUTY", []),
)
_CATEGORIES = ("smart_lock", "camera", "thermostat", "network", "alarm", "lighting")

# device type -> (SKU, unit price of the product, labour), in cents
_CATALOGUE = {
    "smart_lock": ("HZ-LOCK-PRO", 24_900, 12_000),
    "camera": ("HZ-CAM-360", 17_900, 9_000),
    "thermostat": ("HZ-THERMO-2", 21_900, 11_000),
    "network": ("HZ-MESH-3PK", 29_900, 8_000),
    "alarm": ("HZ-ALARM-KIT", 39_900, 15_000),
    "lighting": ("HZ-BULB-RGB", 2_900, 6_000),
}

# How far each installation goes: 7 approved, 3 awaiting approval, 4 in progress, 5 scheduled, 1 cancelled.
_WALKS = (
    *[("IN_PROGRESS", "WORK_COMPLETED", "CUSTOMER_APPROVED")] * 7,
    *[("IN_PROGRESS", "WORK_COMPLETED")] * 3,
    *[("IN_PROGRESS",)] * 4,
    *[()] * 5,
    ("CANCELLED",),
)


async def load_demo(installations: httpx.AsyncClient, *, today: datetime | None = None) -> list[str]:
    """Create the demo data through `installations`: a client on that service's URL with a partner token.

    Returns the ids of the installations it walked to CUSTOMER_APPROVED (the ones a customer may rate)."""
    rng = random.Random(_SEED)
    start = datetime.combine((today or datetime.now(UTC)).date(), time(9), UTC)
    customers = [await _customer(installations, name) for name in _CUSTOMERS]
    handymen = [await _handyman(installations, rng, *profile) for profile in _HANDYMEN]
    active = [customer for customer, name in zip(customers, _CUSTOMERS, strict=True) if name not in _INACTIVE]
    on_duty = [
        handyman for handyman, profile in zip(handymen, _HANDYMEN, strict=True) if profile[1] != "OFF_DUTY"
    ]
    approved = []
    for number, walk in enumerate(_WALKS):
        device_type = _CATEGORIES[number % len(_CATEGORIES)]
        when = start + timedelta(days=rng.randint(-30, -1) if walk else rng.randint(1, 21))
        job = await _installation(installations, rng, rng.choice(active), device_type, when)
        starts_work = walk[:1] == ("IN_PROGRESS",)
        if starts_work or rng.random() < 0.5:
            await _post(installations, f"/v1/installations/{job}/assign", handyman_id=rng.choice(on_duty))
        for status in walk:
            await _post(installations, f"/v1/installations/{job}/status", to_status=status)
        if walk[-1:] == ("CUSTOMER_APPROVED",):
            approved.append(job)
    return approved


async def _customer(client: httpx.AsyncClient, name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()
    email = plain.replace(" ", ".") + "@example.com"
    created = await _post(client, "/v1/customers", name=name, email=email, active=name not in _INACTIVE)
    return str(created["customer_id"])


async def _handyman(
    client: httpx.AsyncClient, rng: random.Random, name: str, availability: str, certifications: list[str]
) -> str:
    skills = {category: rng.randint(1, 5) for category in _CATEGORIES}
    created = await _post(
        client,
        "/v1/handymen",
        name=name,
        availability=availability,
        certifications=certifications,
        skills=skills,
    )
    return str(created["handyman_id"])


async def _installation(
    client: httpx.AsyncClient, rng: random.Random, customer_id: str, device_type: str, when: datetime
) -> str:
    sku, unit_price, labour = _CATALOGUE[device_type]
    quantity = rng.randint(1, 4) if device_type in ("camera", "lighting") else 1
    created = await _post(
        client,
        "/v1/installations",
        customer_id=customer_id,
        device_type=device_type,
        products=[{"sku": sku, "quantity": quantity}],
        price_cents=unit_price * quantity + labour,
        scheduled_for=when.isoformat(),
    )
    return str(created["installation_id"])


async def _post(client: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    response = await client.post(path, json=body)
    if response.is_error:
        raise DemoDataRejected(f"POST {path} answered {response.status_code}: {response.text}")
    answer: dict[str, Any] = response.json()
    return answer
