"""Accepted commands reach Kafka through the outbox relay: keyed by partner, readable by any consumer."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from heyzack_shared.contracts import parse_event, topics
from heyzack_shared.envelope import Envelope
from heyzack_shared.testing import wait_until
from heyzack_stack.infra import Endpoints


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any], auth: dict[str, str]) -> Any:
    response = await client.post(path, json=body, headers=auth)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _a_day_of_work(client: httpx.AsyncClient, auth: dict[str, str]) -> list[str]:
    """One customer, one handyman, one approved installation; returns their ids."""
    customer = await _post(client, "/v1/customers", {"name": "Ada", "email": "ada@example.com"}, auth)
    handyman = await _post(client, "/v1/handymen", {"name": "Bob", "skills": {"network": 3}}, auth)
    job = await _post(
        client,
        "/v1/installations",
        {
            "customer_id": customer["customer_id"],
            "device_type": "network",
            "products": [{"sku": "NET-MESH-3", "quantity": 1}],
            "price_cents": 15_000,
            "scheduled_for": "2026-12-01T14:00:00+01:00",
        },
        auth,
    )
    ins = job["installation_id"]
    await _post(client, f"/v1/installations/{ins}/assign", {"handyman_id": handyman["handyman_id"]}, auth)
    for step in ("IN_PROGRESS", "WORK_COMPLETED", "CUSTOMER_APPROVED"):
        await _post(client, f"/v1/installations/{ins}/status", {"to_status": step}, auth)
    return [customer["customer_id"], handyman["handyman_id"], ins]


async def _partner_records(bootstrap: str, partner: str, expected: int) -> list[ConsumerRecord[bytes, bytes]]:
    """Read the whole topic from its beginning until `expected` messages keyed by `partner` have arrived."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = consumer.partitions_for_topic(topics.INSTALLATIONS) or set()
        consumer.assign([TopicPartition(topics.INSTALLATIONS, p) for p in sorted(partitions)])
        await consumer.seek_to_beginning()
        found: list[ConsumerRecord[bytes, bytes]] = []

        async def all_arrived() -> bool:
            batches = await consumer.getmany(timeout_ms=200)
            found.extend(r for records in batches.values() for r in records if r.key == partner.encode())
            return len(found) >= expected

        await wait_until(all_arrived, timeout=30, message=f"{expected} events of {partner} never all arrived")
        return found
    finally:
        await consumer.stop()


async def test_events_reach_the_topic_keyed_by_partner_in_aggregate_order(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    partner: str,
    pool: asyncpg.Pool,
    infrastructure: Endpoints,
) -> None:
    customer_id, handyman_id, installation_id = await _a_day_of_work(client, auth)
    written = await pool.fetch(
        "SELECT event_id FROM outbox WHERE aggregate_id = ANY($1::text[]) ORDER BY id",
        [customer_id, handyman_id, installation_id],
    )

    records = await _partner_records(infrastructure.kafka_bootstrap, partner, expected=len(written))

    events: list[Envelope] = [parse_event(record.value) for record in records]
    assert len({record.partition for record in records}) == 1, "one partner's events share a partition"
    assert [event.event_id for event in events] == [row["event_id"] for row in written]
    assert {event.partner_id for event in events} == {partner}
    by_aggregate = {
        aggregate: [(e.event_type, e.aggregate_version) for e in events if e.aggregate_id == aggregate]
        for aggregate in (customer_id, handyman_id, installation_id)
    }
    assert by_aggregate == {
        customer_id: [("CustomerRegistered", 1)],
        handyman_id: [("HandymanRegistered", 1)],
        installation_id: [
            ("InstallationCreated", 1),
            ("HandymanAssigned", 2),
            ("InstallationStatusChanged", 3),
            ("InstallationStatusChanged", 4),
            ("InstallationStatusChanged", 5),
        ],
    }
    assert all(event.topic == topics.INSTALLATIONS for event in events)


async def test_relayed_rows_are_marked_sent(
    client: httpx.AsyncClient, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    ids = await _a_day_of_work(client, auth)

    async def all_sent() -> bool:
        unsent = await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE aggregate_id = ANY($1::text[]) AND sent_at IS NULL", ids
        )
        return bool(unsent == 0)

    await wait_until(all_sent, timeout=30, message="the relay left rows of this test unsent")
