"""Safe retries on a real database: a creating command sent again with its Idempotency-Key is answered the
first answer, and creates one record and one event, even when the copies race each other."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from heyzack_shared.contracts import parse_event
from heyzack_shared.idempotency import KEY_RETENTION
from heyzack_stack.pytest_plugin import HeadersFor

Json = dict[str, Any]
Create = Callable[..., Awaitable[Json]]
SCHEDULED_FOR = "2026-11-25T09:30:00+01:00"


def keyed(auth: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**auth, "Idempotency-Key": key or uuid.uuid4().hex}


async def events_of(pool: asyncpg.Pool, partner: str) -> list[str]:
    rows = await pool.fetch("SELECT payload FROM outbox WHERE message_key = $1 ORDER BY id", partner.encode())
    return [parse_event(row["payload"]).event_type for row in rows]


async def body_for(path: str, new_customer: Create) -> Json:
    if path == "/v1/installations":
        customer_id = (await new_customer())["customer_id"]
        return {
            "customer_id": customer_id,
            "device_type": "camera",
            "price_cents": 9_900,
            "scheduled_for": SCHEDULED_FOR,
        }
    if path == "/v1/handymen":
        return {"name": "Bob Builder", "skills": {"camera": 4}}
    return {"name": "Ada Lovelace", "email": "ada@example.com"}


@pytest.mark.parametrize(
    ("path", "table", "event"),
    [
        ("/v1/customers", "customers", "CustomerRegistered"),
        ("/v1/handymen", "handymen", "HandymanRegistered"),
        ("/v1/installations", "installations", "InstallationCreated"),
    ],
)
async def test_a_retry_is_answered_the_first_answer_and_creates_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    partner: str,
    pool: asyncpg.Pool,
    new_customer: Create,
    path: str,
    table: str,
    event: str,
) -> None:
    body, headers = await body_for(path, new_customer), keyed(auth)

    first = await client.post(path, json=body, headers=headers)
    again = await client.post(path, json=body, headers=headers)

    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert await pool.fetchval(f"SELECT count(*) FROM {table} WHERE partner_id = $1", partner) == 1
    assert (await events_of(pool, partner)).count(event) == 1


async def test_a_key_used_again_with_another_body_or_command_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, pool: asyncpg.Pool
) -> None:
    headers = keyed(auth)
    assert (
        await client.post("/v1/customers", json={"name": "Ada", "email": "a@b.org"}, headers=headers)
    ).status_code == 201

    for path, body in (
        ("/v1/customers", {"name": "Eve", "email": "a@b.org"}),
        ("/v1/handymen", {"name": "Ada"}),
    ):
        reused = await client.post(path, json=body, headers=headers)
        assert reused.status_code == 422, reused.text
        error = reused.json()["error"]
        assert error["code"] == "idempotency_key_reused"
        assert headers["Idempotency-Key"] in error["message"] and "other parameters" in error["message"]
    assert await events_of(pool, partner) == ["CustomerRegistered"]


async def test_ten_requests_at_once_with_one_key_schedule_one_installation(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, pool: asyncpg.Pool, new_customer: Create
) -> None:
    body, headers = await body_for("/v1/installations", new_customer), keyed(auth)

    responses = await asyncio.gather(
        *(client.post("/v1/installations", json=body, headers=headers) for _ in range(10))
    )

    assert {response.status_code for response in responses} == {201}, [r.text for r in responses]
    assert len({response.text for response in responses}) == 1
    assert sum("Idempotent-Replayed" in response.headers for response in responses) == 9
    assert await pool.fetchval("SELECT count(*) FROM installations WHERE partner_id = $1", partner) == 1
    assert (await events_of(pool, partner)).count("InstallationCreated") == 1


async def test_keys_are_each_partners_own(
    client: httpx.AsyncClient, headers_for: HeadersFor, pool: asyncpg.Pool
) -> None:
    key = uuid.uuid4().hex
    partners = [f"partner-{uuid.uuid4().hex[:12]}" for _ in range(2)]
    created = []
    for partner in partners:
        body = {"name": "Ada Lovelace", "email": "ada@example.com"}
        response = await client.post("/v1/customers", json=body, headers=keyed(headers_for(partner), key))
        assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
        created.append(response.json()["customer_id"])
    assert created[0] != created[1]
    for partner in partners:
        assert await events_of(pool, partner) == ["CustomerRegistered"]


async def test_a_refused_command_does_not_use_up_its_key(
    client: httpx.AsyncClient, auth: dict[str, str], new_customer: Create
) -> None:
    headers = keyed(auth)
    body = await body_for("/v1/installations", new_customer)

    refused = await client.post(
        "/v1/installations", json={**body, "customer_id": "cus_unknown"}, headers=headers
    )
    assert refused.status_code == 404, refused.text

    accepted = await client.post("/v1/installations", json=body, headers=headers)
    assert accepted.status_code == 201 and "Idempotent-Replayed" not in accepted.headers


async def test_without_a_key_every_request_creates(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, pool: asyncpg.Pool
) -> None:
    body = {"name": "Ada Lovelace", "email": "ada@example.com"}
    for _ in range(2):
        assert (await client.post("/v1/customers", json=body, headers=auth)).status_code == 201
    assert await events_of(pool, partner) == ["CustomerRegistered"] * 2


async def test_an_answer_older_than_the_retention_is_forgotten(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, headers_for: HeadersFor, pool: asyncpg.Pool
) -> None:
    """After KEY_RETENTION a key is free again; a claim removes its partner's expired answers, not others'."""
    other = f"{partner}-other"
    body = {"name": "Ada Lovelace", "email": "ada@example.com"}
    first = await client.post("/v1/customers", json=body, headers=keyed(auth, "week-old"))
    await client.post("/v1/customers", json=body, headers=keyed(auth, "also-week-old"))
    await client.post("/v1/customers", json=body, headers=keyed(headers_for(other), "week-old"))
    await pool.execute(
        "UPDATE idempotent_requests SET created_at = created_at - $2::interval"
        " WHERE partner_id = ANY($1::text[])",
        [partner, other],
        KEY_RETENTION,
    )

    again = await client.post("/v1/customers", json=body, headers=keyed(auth, "week-old"))

    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.json()["customer_id"] != first.json()["customer_id"]
    keys = await pool.fetch(
        "SELECT partner_id, key FROM idempotent_requests WHERE partner_id = ANY($1::text[])", [partner, other]
    )
    assert {(row["partner_id"], row["key"]) for row in keys} == {(partner, "week-old"), (other, "week-old")}
