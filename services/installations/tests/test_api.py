"""The API on a real database: every endpoint's happy path, the workflow's 409s, and the outbox rows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from heyzack_shared.envelope import Envelope

Json = dict[str, Any]
Create = Callable[..., Awaitable[Json]]
OutboxEvents = Callable[[str], Awaitable[list[Envelope]]]
SCHEDULED_FOR = "2026-11-25T09:30:00+01:00"


def kinds(events: list[Envelope]) -> list[tuple[str, int]]:
    return [(event.event_type, event.aggregate_version) for event in events]


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["error"]["message"]
    assert message
    return message


# --- the workflow ---------------------------------------------------------------------------------


async def test_a_forbidden_transition_is_a_conflict_and_changes_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], outbox_events: OutboxEvents, new_installation: Create
) -> None:
    job = await new_installation()
    ins = job["installation_id"]

    response = await client.post(
        f"/v1/installations/{ins}/status", json={"to_status": "CUSTOMER_APPROVED"}, headers=auth
    )

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "forbidden_transition",
        "message": f"installation {ins} cannot go from SCHEDULED to CUSTOMER_APPROVED;"
        " allowed from SCHEDULED: CANCELLED, IN_PROGRESS",
    }
    assert (await client.get(f"/v1/installations/{ins}", headers=auth)).json() == job
    assert kinds(await outbox_events(ins)) == [("InstallationCreated", 1)]


async def test_final_states_refuse_every_change(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    outbox_events: OutboxEvents,
    new_handyman: Create,
    new_installation: Create,
) -> None:
    handyman = await new_handyman()
    for final in ("CANCELLED", "CUSTOMER_APPROVED"):
        ins = (await new_installation())["installation_id"]
        path = (
            ["CANCELLED"] if final == "CANCELLED" else ["IN_PROGRESS", "WORK_COMPLETED", "CUSTOMER_APPROVED"]
        )
        for step in path:
            response = await client.post(
                f"/v1/installations/{ins}/status", json={"to_status": step}, headers=auth
            )
            assert response.status_code == 200, response.text
        before = (await client.get(f"/v1/installations/{ins}", headers=auth)).json()
        written = len(await outbox_events(ins))

        for step in ("SCHEDULED", "IN_PROGRESS", "CANCELLED", final):
            response = await client.post(
                f"/v1/installations/{ins}/status", json={"to_status": step}, headers=auth
            )
            assert "is final" in error_of(response, 409)
        assign = {"handyman_id": handyman["handyman_id"]}
        response = await client.post(f"/v1/installations/{ins}/assign", json=assign, headers=auth)
        assert (
            error_of(response, 409) == f"installation {ins} is {final}: a handyman can no longer be assigned"
        )

        assert (await client.get(f"/v1/installations/{ins}", headers=auth)).json() == before
        assert len(await outbox_events(ins)) == written


# --- every endpoint, on its happy path ------------------------------------------------------------


async def test_customers_register_change_and_read(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    partner: str,
    outbox_events: OutboxEvents,
    new_customer: Create,
) -> None:
    customer = await new_customer(name="  Ada Lovelace ", active=True)
    cus = customer["customer_id"]
    assert cus.startswith("cus_")
    assert customer == {
        "customer_id": cus,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "active": True,
        "version": 1,
    }

    renamed = await client.patch(f"/v1/customers/{cus}", json={"name": "Ada King"}, headers=auth)
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["version"]) == ("Ada King", 1)

    deactivated = await client.patch(
        f"/v1/customers/{cus}", json={"active": False, "email": "ada@king.org"}, headers=auth
    )
    assert deactivated.json() == {
        **customer,
        "name": "Ada King",
        "email": "ada@king.org",
        "active": False,
        "version": 2,
    }
    again = await client.patch(f"/v1/customers/{cus}", json={"active": False}, headers=auth)
    assert again.json()["version"] == 2

    assert (await client.get(f"/v1/customers/{cus}", headers=auth)).json() == deactivated.json()
    events = await outbox_events(cus)
    assert kinds(events) == [("CustomerRegistered", 1), ("CustomerStatusChanged", 2)]
    assert events[1].data.model_dump() == {"customer_id": cus, "active": False}
    assert {event.partner_id for event in events} == {partner}


async def test_an_inactive_customer_gets_no_installation(
    client: httpx.AsyncClient, auth: dict[str, str], new_customer: Create
) -> None:
    customer = await new_customer(active=False)
    body = {
        "customer_id": customer["customer_id"],
        "device_type": "alarm",
        "price_cents": 1,
        "scheduled_for": SCHEDULED_FOR,
    }
    response = await client.post("/v1/installations", json=body, headers=auth)
    assert "inactive" in error_of(response, 409)


async def test_handymen_register_update_and_read(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    partner: str,
    outbox_events: OutboxEvents,
    new_handyman: Create,
) -> None:
    handyman = await new_handyman()
    hdm = handyman["handyman_id"]
    assert hdm.startswith("hdm_")
    assert handyman == {
        "handyman_id": hdm,
        "name": "Bob Builder",
        "availability": "AVAILABLE",
        "certifications": [],
        "skills": {},
        "version": 1,
    }

    profile = {"certifications": ["electrician", "alarm-pro"], "skills": {"camera": 4, "alarm": 5}}
    updated = await client.patch(f"/v1/handymen/{hdm}", json=profile, headers=auth)
    assert updated.json() == {**handyman, **profile, "version": 2}
    skills_only = await client.patch(f"/v1/handymen/{hdm}", json={"skills": {"camera": 5}}, headers=auth)
    assert skills_only.json()["certifications"] == profile["certifications"]

    busy = await client.put(f"/v1/handymen/{hdm}/availability", json={"availability": "BUSY"}, headers=auth)
    assert (busy.json()["availability"], busy.json()["version"]) == ("BUSY", 4)
    same = await client.put(f"/v1/handymen/{hdm}/availability", json={"availability": "BUSY"}, headers=auth)
    assert same.json()["version"] == 4

    assert (await client.get(f"/v1/handymen/{hdm}", headers=auth)).json() == busy.json()
    events = await outbox_events(hdm)
    assert kinds(events) == [
        ("HandymanRegistered", 1),
        ("HandymanProfileUpdated", 2),
        ("HandymanProfileUpdated", 3),
        ("HandymanAvailabilityChanged", 4),
    ]
    assert events[2].data.model_dump() == {
        "handyman_id": hdm,
        "certifications": ["electrician", "alarm-pro"],
        "skills": {"camera": 5},
    }
    assert {event.partner_id for event in events} == {partner}


async def test_an_installation_goes_through_its_whole_workflow(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    partner: str,
    outbox_events: OutboxEvents,
    new_customer: Create,
    new_handyman: Create,
    new_installation: Create,
) -> None:
    customer = await new_customer()
    first, second = await new_handyman(), await new_handyman(name="Carla")
    job = await new_installation(customer_id=customer["customer_id"], device_type="smart_lock")
    ins = job["installation_id"]
    assert ins.startswith("ins_")
    assert job == {
        "installation_id": ins,
        "customer_id": customer["customer_id"],
        "handyman_id": None,
        "device_type": "smart_lock",
        "products": [{"sku": "CAM-1", "quantity": 2}],
        "price_cents": 24_900,
        "scheduled_for": "2026-11-25T08:30:00Z",
        "status": "SCHEDULED",
        "version": 1,
    }

    for handyman in (first, second, second):
        response = await client.post(
            f"/v1/installations/{ins}/assign", json={"handyman_id": handyman["handyman_id"]}, headers=auth
        )
        assert response.status_code == 200, response.text
    assert (response.json()["handyman_id"], response.json()["version"]) == (second["handyman_id"], 3)

    for step in ("IN_PROGRESS", "WORK_COMPLETED", "CUSTOMER_APPROVED"):
        response = await client.post(
            f"/v1/installations/{ins}/status", json={"to_status": step}, headers=auth
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == step
    assert response.json()["version"] == 6
    assert (await client.get(f"/v1/installations/{ins}", headers=auth)).json() == response.json()

    events = await outbox_events(ins)
    assert kinds(events) == [
        ("InstallationCreated", 1),
        ("HandymanAssigned", 2),
        ("HandymanAssigned", 3),
        ("InstallationStatusChanged", 4),
        ("InstallationStatusChanged", 5),
        ("InstallationStatusChanged", 6),
    ]
    assert events[0].data.model_dump(mode="json") == {
        "installation_id": ins,
        "customer_id": customer["customer_id"],
        "device_type": "smart_lock",
        "products": [{"sku": "CAM-1", "quantity": 2}],
        "price_cents": 24_900,
        "scheduled_for": "2026-11-25T08:30:00Z",
        "status": "SCHEDULED",
    }
    transitions = [(e.data.from_status, e.data.to_status) for e in events[3:]]
    assert transitions == [
        ("SCHEDULED", "IN_PROGRESS"),
        ("IN_PROGRESS", "WORK_COMPLETED"),
        ("WORK_COMPLETED", "CUSTOMER_APPROVED"),
    ]
    assert {event.partner_id for event in events} == {partner}
    assert {event.producer for event in events} == {"installations"}


async def test_concurrent_commands_on_one_installation_take_turns(
    client: httpx.AsyncClient, auth: dict[str, str], outbox_events: OutboxEvents, new_installation: Create
) -> None:
    ins = (await new_installation())["installation_id"]

    responses = await asyncio.gather(
        *(
            client.post(f"/v1/installations/{ins}/status", json={"to_status": "IN_PROGRESS"}, headers=auth)
            for _ in range(6)
        )
    )

    assert sorted(response.status_code for response in responses) == [200, 409, 409, 409, 409, 409]
    assert kinds(await outbox_events(ins)) == [("InstallationCreated", 1), ("InstallationStatusChanged", 2)]
