"""Ratings learns installations from `heyzack.installations.v1`: published events make a rating acceptable;
redelivered events change nothing; an older event arriving late never regresses the status.

Each test's events are keyed by its own partner, so they share one partition and are handled in the order
published: once a later "marker" installation is known, every event before it has been handled.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from heyzack_shared.contracts import installations as facts
from heyzack_shared.contracts import topics
from heyzack_shared.contracts.installations import DeviceType, InstallationStatus
from heyzack_shared.envelope import Envelope, EventData
from heyzack_shared.testing import wait_until

from .conftest import body_of

Status = InstallationStatus
Publish = Callable[..., Awaitable[None]]
Fact = facts.InstallationCreated | facts.HandymanAssigned | facts.InstallationStatusChanged
TIMEOUT = 30


async def publish(producer: AIOKafkaProducer, *events: Envelope) -> None:
    for event in events:
        await producer.send_and_wait(topics.INSTALLATIONS, event.to_json(), key=event.partner_id.encode())


class History:
    """The events the installations service would emit for one job of `partner`."""

    def __init__(self, partner: str, installation_id: str | None = None) -> None:
        self.partner = partner
        self.installation_id = installation_id or f"ins_{uuid.uuid4().hex}"

    def _new(self, kind: type[Fact], version: int, data: EventData) -> Fact:
        return kind.new(
            partner_id=self.partner, aggregate_id=self.installation_id, aggregate_version=version, data=data
        )

    def created(self) -> Fact:
        data = facts.InstallationCreatedData(
            installation_id=self.installation_id,
            customer_id="cus_ada",
            device_type=DeviceType.THERMOSTAT,
            products=[],
            price_cents=19_900,
            scheduled_for=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        )
        return self._new(facts.InstallationCreated, 1, data)

    def assigned(self, version: int = 2, handyman_id: str = "hdm_bob") -> Fact:
        data = facts.HandymanAssignedData(installation_id=self.installation_id, handyman_id=handyman_id)
        return self._new(facts.HandymanAssigned, version, data)

    def moved(self, version: int, from_status: Status, to_status: Status) -> Fact:
        data = facts.InstallationStatusChangedData(
            installation_id=self.installation_id, from_status=from_status, to_status=to_status
        )
        return self._new(facts.InstallationStatusChanged, version, data)

    def until_work_completed(self) -> list[Fact]:
        return [
            self.created(),
            self.assigned(),
            self.moved(3, Status.SCHEDULED, Status.IN_PROGRESS),
            self.moved(4, Status.IN_PROGRESS, Status.WORK_COMPLETED),
        ]

    def approved(self) -> Fact:
        return self.moved(5, Status.WORK_COMPLETED, Status.CUSTOMER_APPROVED)


async def known_row(pool: asyncpg.Pool, partner: str, installation_id: str) -> dict[str, object] | None:
    row = await pool.fetchrow(
        "SELECT customer_id, handyman_id, device_type, status, version FROM known_installations"
        " WHERE partner_id = $1 AND installation_id = $2",
        partner,
        installation_id,
    )
    return None if row is None else dict(row)


async def all_handled(producer: AIOKafkaProducer, pool: asyncpg.Pool, partner: str) -> None:
    """Publish a marker installation after what came before, and wait until it is known."""
    marker = History(partner)
    await publish(producer, marker.created())

    async def marker_known() -> bool:
        return await known_row(pool, partner, marker.installation_id) is not None

    await wait_until(marker_known, timeout=TIMEOUT, message="the consumer never handled the marker event")


async def rate(client: httpx.AsyncClient, auth: dict[str, str], installation_id: str) -> httpx.Response:
    return await client.post(
        "/v1/ratings", json={"installation_id": installation_id, "stars": 5}, headers=auth
    )


async def test_a_rating_is_accepted_once_the_approval_arrives(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, producer: AIOKafkaProducer
) -> None:
    job = History(partner)
    await publish(producer, *job.until_work_completed())

    async def refused_as_not_approved() -> bool:
        return (await rate(client, auth, job.installation_id)).status_code == 409

    await wait_until(refused_as_not_approved, timeout=TIMEOUT, message="the installation never became known")
    await publish(producer, job.approved())

    accepted: list[httpx.Response] = []

    async def rating_accepted() -> bool:
        accepted.append(await rate(client, auth, job.installation_id))
        return accepted[-1].status_code == 201

    await wait_until(rating_accepted, timeout=TIMEOUT, message="the approval never made it rateable")
    rating_id = body_of(accepted[-1], 201)["rating_id"]
    rating = body_of(await client.get(f"/v1/ratings/{rating_id}", headers=auth), 200)
    assert (rating["customer_id"], rating["handyman_id"], rating["device_type"]) == (
        "cus_ada",
        "hdm_bob",
        "thermostat",
    )


async def test_redelivered_events_change_nothing(
    pool: asyncpg.Pool, partner: str, producer: AIOKafkaProducer
) -> None:
    job = History(partner)
    history = [*job.until_work_completed(), job.approved()]
    await publish(producer, *history)
    await all_handled(producer, pool, partner)
    before = await known_row(pool, partner, job.installation_id)
    processed = await pool.fetchval("SELECT count(*) FROM inbox_processed")

    await publish(producer, *reversed(history), *history)
    await all_handled(producer, pool, partner)

    assert await known_row(pool, partner, job.installation_id) == before
    assert await pool.fetchval("SELECT count(*) FROM inbox_processed") >= processed + 1
    seen = await pool.fetchval(
        "SELECT count(*) FROM inbox_processed WHERE event_id = ANY($1::uuid[])", [e.event_id for e in history]
    )
    assert seen == len(history)


async def test_an_older_status_event_arriving_late_does_not_regress_the_status(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pool: asyncpg.Pool,
    partner: str,
    producer: AIOKafkaProducer,
) -> None:
    job = History(partner)
    await publish(producer, job.created(), job.approved(), job.assigned(version=4, handyman_id="hdm_late"))
    await publish(
        producer,
        job.moved(3, Status.SCHEDULED, Status.IN_PROGRESS),
        job.assigned(version=2, handyman_id="hdm_early"),
        job.moved(4, Status.IN_PROGRESS, Status.WORK_COMPLETED),
    )
    await all_handled(producer, pool, partner)

    assert await known_row(pool, partner, job.installation_id) == {
        "customer_id": "cus_ada",
        "handyman_id": "hdm_late",
        "device_type": "thermostat",
        "status": "CUSTOMER_APPROVED",
        "version": 5,
    }
    assert body_of(await rate(client, auth, job.installation_id), 201)["handyman_id"] == "hdm_late"


async def test_other_event_types_are_ignored(
    pool: asyncpg.Pool, partner: str, producer: AIOKafkaProducer
) -> None:
    customer = facts.CustomerRegistered.new(
        partner_id=partner,
        aggregate_id="cus_x",
        aggregate_version=1,
        data=facts.CustomerRegisteredData(
            customer_id="cus_x", name="Ada", email="ada@example.com", active=True
        ),
    )
    await publish(producer, customer)
    await all_handled(producer, pool, partner)
    assert await pool.fetchval("SELECT count(*) FROM known_installations WHERE partner_id = $1", partner) == 1
