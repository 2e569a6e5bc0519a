"""Safe retries on a real database: a rating, survey or issue sent again with its Idempotency-Key is answered
the first answer, and is recorded once with one event, even when the copies race each other."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from heyzack_shared.contracts import parse_event
from heyzack_stack.pytest_plugin import HeadersFor

from .conftest import Known, body_of, error_of

Json = dict[str, Any]


def keyed(auth: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**auth, "Idempotency-Key": key or uuid.uuid4().hex}


async def events_of(pool: asyncpg.Pool, partner: str) -> list[str]:
    rows = await pool.fetch("SELECT payload FROM outbox WHERE message_key = $1 ORDER BY id", partner.encode())
    return [parse_event(row["payload"]).event_type for row in rows]


async def body_for(path: str, known_installation: Known) -> Json:
    if path == "/v1/ratings":
        return {"installation_id": await known_installation(), "stars": 4, "comment": "neat"}
    if path == "/v1/issues":
        return {"customer_id": "cus_1", "summary": "the camera went offline"}
    return {"customer_id": "cus_1"}


@pytest.mark.parametrize(
    ("path", "table", "event"),
    [
        ("/v1/ratings", "ratings", "RatingSubmitted"),
        ("/v1/surveys", "surveys", "SurveySent"),
        ("/v1/issues", "issues", "IssueReported"),
    ],
)
async def test_a_retry_is_answered_the_first_answer_and_records_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    partner: str,
    pool: asyncpg.Pool,
    known_installation: Known,
    path: str,
    table: str,
    event: str,
) -> None:
    body, headers = await body_for(path, known_installation), keyed(auth)

    first = body_of(await client.post(path, json=body, headers=headers), 201)
    again = await client.post(path, json=body, headers=headers)

    assert body_of(again, 201) == first and again.headers["Idempotent-Replayed"] == "true"
    assert await pool.fetchval(f"SELECT count(*) FROM {table} WHERE partner_id = $1", partner) == 1
    assert await events_of(pool, partner) == [event]


async def test_a_key_used_again_with_another_body_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, pool: asyncpg.Pool
) -> None:
    headers = keyed(auth)
    body_of(
        await client.post("/v1/issues", json={"customer_id": "cus_1", "summary": "a"}, headers=headers), 201
    )

    reused = await client.post("/v1/issues", json={"customer_id": "cus_1", "summary": "b"}, headers=headers)

    assert "already used with other parameters" in error_of(reused, 422)
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert await events_of(pool, partner) == ["IssueReported"]


async def test_ten_ratings_at_once_with_one_key_record_one(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    partner: str,
    pool: asyncpg.Pool,
    known_installation: Known,
) -> None:
    body, headers = await body_for("/v1/ratings", known_installation), keyed(auth)

    responses = await asyncio.gather(
        *(client.post("/v1/ratings", json=body, headers=headers) for _ in range(10))
    )

    assert {response.status_code for response in responses} == {201}, [r.text for r in responses]
    assert len({response.text for response in responses}) == 1
    assert await pool.fetchval("SELECT count(*) FROM ratings WHERE partner_id = $1", partner) == 1
    assert await events_of(pool, partner) == ["RatingSubmitted"]


async def test_keys_are_each_partners_own(
    client: httpx.AsyncClient, headers_for: HeadersFor, pool: asyncpg.Pool
) -> None:
    key = uuid.uuid4().hex
    partners = [f"partner-{uuid.uuid4().hex[:12]}" for _ in range(2)]
    for partner in partners:
        response = await client.post(
            "/v1/surveys", json={"customer_id": "cus_1"}, headers=keyed(headers_for(partner), key)
        )
        assert body_of(response, 201) and "Idempotent-Replayed" not in response.headers
    for partner in partners:
        assert await events_of(pool, partner) == ["SurveySent"]


async def test_a_refused_rating_does_not_use_up_its_key(
    client: httpx.AsyncClient, auth: dict[str, str], known_installation: Known
) -> None:
    headers = keyed(auth)
    body = await body_for("/v1/ratings", known_installation)
    error_of(
        await client.post("/v1/ratings", json={**body, "installation_id": "ins_unknown"}, headers=headers),
        404,
    )

    accepted = await client.post("/v1/ratings", json=body, headers=headers)

    assert body_of(accepted, 201) and "Idempotent-Replayed" not in accepted.headers
