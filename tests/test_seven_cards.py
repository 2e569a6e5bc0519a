"""All four services in-process on real servers: the dashboard's seven cards, end to end."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI

from credits.app import create_app as create_credits
from credits.settings import CreditsSettings
from heyzack_shared.auth import issue_token
from heyzack_shared.testing import wait_until
from heyzack_stack.infra import Endpoints
from heyzack_stack.pytest_plugin import ServiceEnvironment
from installations.app import create_app as create_installations
from installations.settings import InstallationsSettings
from kpi_projector.app import create_app as create_projector
from kpi_projector.settings import ProjectorSettings
from ratings.app import create_app as create_ratings
from ratings.settings import RatingsSettings

Json = dict[str, Any]
RUN = uuid.uuid4().hex[:8]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def platform(
    infrastructure: Endpoints, jwt_secret: str, service_environment: ServiceEnvironment
) -> AsyncIterator[dict[str, FastAPI]]:
    environment = service_environment
    apps = {
        "installations": create_installations(
            InstallationsSettings.model_validate(await environment("installations"))
        ),
        "ratings": create_ratings(RatingsSettings.model_validate(await environment("ratings"))),
        "credits": create_credits(CreditsSettings.model_validate(await environment("credits"))),
        "projector": create_projector(
            ProjectorSettings.model_validate(
                {
                    "REDIS_URL": infrastructure.redis_url,
                    "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap,
                    "HEYZACK_JWT_SECRET": jwt_secret,
                    "PROJECTOR_GROUP_ID": f"cards-{RUN}",
                    "PROJECTOR_REDIS_NAMESPACE": f"cards{RUN}",
                    "PROJECTOR_TOPICS": "all",
                }
            )
        ),
    }
    async with (
        apps["installations"].router.lifespan_context(apps["installations"]),
        apps["ratings"].router.lifespan_context(apps["ratings"]),
        apps["credits"].router.lifespan_context(apps["credits"]),
        apps["projector"].router.lifespan_context(apps["projector"]),
    ):
        yield apps


class Partner:
    def __init__(self, platform: dict[str, FastAPI], secret: str) -> None:
        self.partner_id = f"partner-{uuid.uuid4().hex[:10]}"
        token = issue_token(secret, partner_id=self.partner_id, roles=["partner"], subject="owner")
        headers = {"Authorization": f"Bearer {token}"}
        self.http = {
            name: httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://{name}", headers=headers
            )
            for name, app in platform.items()
        }

    async def call(self, service: str, method: str, path: str, expected: int, **kwargs: Any) -> Json:
        response = await self.http[service].request(method, path, **kwargs)
        assert response.status_code == expected, response.text
        body: Json = response.json()
        return body

    async def approved_installation(self, price_cents: int) -> str:
        customer = await self.call(
            "installations", "POST", "/v1/customers", 201, json={"name": "C", "email": "c@example.com"}
        )
        job = await self.call(
            "installations",
            "POST",
            "/v1/installations",
            201,
            json={
                "customer_id": customer["customer_id"],
                "device_type": "smart_lock",
                "products": [{"sku": "LOCK-1", "quantity": 1}],
                "price_cents": price_cents,
                "scheduled_for": "2026-11-26T10:00:00+01:00",
            },
        )
        for status in ("IN_PROGRESS", "WORK_COMPLETED", "CUSTOMER_APPROVED"):
            path = f"/v1/installations/{job['installation_id']}/status"
            await self.call("installations", "POST", path, 200, json={"to_status": status})
        return str(job["installation_id"])

    async def rate(self, installation_id: str, stars: int) -> None:
        body = {"installation_id": installation_id, "stars": stars, "comment": None}

        async def accepted() -> bool:
            response = await self.http["ratings"].post("/v1/ratings", json=body)
            assert response.status_code in (201, 404, 409), response.text
            return response.status_code == 201

        await wait_until(accepted, timeout=20, message="ratings learned of the approval")

    async def cards(self) -> Json:
        cards: Json = (await self.call("projector", "GET", "/v1/dashboard", 200))["cards"]
        return cards

    async def card_displays(self) -> dict[str, str]:
        return {name: card["display"] for name, card in (await self.cards()).items()}


async def test_the_seven_cards_end_to_end(platform: dict[str, FastAPI], jwt_secret: str) -> None:
    partner = Partner(platform, jwt_secret)
    first = await partner.approved_installation(price_cents=600_000)  # €6,000: Silver, 2% commission
    second = await partner.approved_installation(price_cents=50_050)
    await partner.rate(first, 5)
    await partner.rate(second, 4)

    async def credited() -> bool:
        return (await partner.call("credits", "GET", "/v1/credits", 200))["balance_cents"] > 0

    await wait_until(credited, timeout=20, message="commission earned")
    applied = await partner.call(
        "credits",
        "POST",
        "/v1/credits/apply",
        201,
        json={"shopify_order_ref": "#1001", "cart_total_cents": 20_000, "amount_cents": 1_001},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    # floor(600000 × 2%) + floor(50050 × 2%) = 12000 + 1001 cents earned; 1001 applied
    assert applied["balance_after_cents"] == 12_000

    expected = {
        "total_customers": "2",
        "active_installations": "2",
        "completed_installations": "2",
        "available_handymen": "0/0",
        "monthly_revenue": "€6,501",  # 650050 cents rounds half up
        "customer_satisfaction": "4.5/5",
        "available_credit": "€120",
    }

    async def shown() -> bool:
        return await partner.card_displays() == expected

    await wait_until(shown, timeout=30, message=f"dashboard shows {expected}")
    cards = await partner.cards()
    assert cards["monthly_revenue"]["value_cents"] == 650_050
    assert cards["customer_satisfaction"] == {
        "average": 4.5,
        "sum": 9,
        "count": 2,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1},
        "display": "4.5/5",
    }
    assert cards["available_credit"] == {
        "value_cents": 12_000,
        "currency": "EUR",
        "display": "€120",
        "can_use_credit": True,
    }
