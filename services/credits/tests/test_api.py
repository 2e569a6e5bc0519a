"""GET /v1/credits and POST /v1/credits/apply on real PostgreSQL: refusals, idempotency, concurrency."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from heyzack_shared.contracts import parse_event
from heyzack_stack.pytest_plugin import HeadersFor

RecordSale = Callable[..., Awaitable[None]]


def _apply(order: str = "#1001", cart: int = 10_000, amount: int = 1_000) -> dict[str, Any]:
    return {"shopify_order_ref": order, "cart_total_cents": cart, "amount_cents": amount}


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def _credits(client: httpx.AsyncClient, auth: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/credits", headers=auth, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_without_a_valid_token_nothing_is_answered(
    client: httpx.AsyncClient, headers_for: HeadersFor, partner: str
) -> None:
    assert (await client.get("/v1/credits")).status_code == 401
    bad = headers_for(partner, secret="another-secret-of-at-least-32-chars!")
    assert (await client.get("/v1/credits", headers=bad)).status_code == 401
    expired = headers_for(partner, ttl=-60)
    response = await client.post("/v1/credits/apply", json=_apply(), headers={**expired, **_key()})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


async def test_a_new_partner_has_nothing(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str
) -> None:
    body = await _credits(client, auth)
    assert body["partner_id"] == partner
    assert (body["balance_cents"], body["monthly_revenue_cents"], body["tier"]) == (0, 0, "Bronze")
    assert body["ledger"] == [] and body["next_cursor"] is None
    assert len(body["month"]) == 7


async def test_credit_applies_once_per_request_and_shows_in_the_ledger(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, sell: RecordSale, pool: asyncpg.Pool
) -> None:
    await sell(partner, 600_000)  # Silver: 2% of 6,000 € = 12,000 cents
    response = await client.post("/v1/credits/apply", json=_apply(amount=2_500), headers={**auth, **_key()})
    assert response.status_code == 201, response.text
    applied = response.json()
    assert applied["balance_after_cents"] == 9_500 and applied["amount_cents"] == 2_500
    body = await _credits(client, auth)
    assert (body["balance_cents"], body["monthly_revenue_cents"], body["tier"]) == (9_500, 600_000, "Silver")
    assert [(e["kind"], e["amount_cents"], e["balance_after_cents"]) for e in body["ledger"]] == [
        ("applied", 2_500, 9_500),
        ("earned", 12_000, 12_000),
    ]
    assert body["ledger"][0]["entry_id"] == applied["entry_id"]
    rows = await pool.fetch("SELECT payload FROM outbox WHERE aggregate_id = $1 ORDER BY id", partner)
    events = [parse_event(row["payload"]) for row in rows]
    assert [e.aggregate_version for e in events] == [1, 2, 3, 4]
    assert [e.event_type for e in events] == [
        "RevenueRecorded",
        "TierChanged",
        "CreditEarned",
        "CreditApplied",
    ]


async def test_the_ledger_pages_newest_first(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, sell: RecordSale
) -> None:
    for _ in range(5):
        await sell(partner, 4_000_000)
    first = await _credits(client, auth, limit=2)
    second = await _credits(client, auth, limit=2, cursor=first["next_cursor"])
    third = await _credits(client, auth, limit=2, cursor=second["next_cursor"])
    balances = [e["balance_after_cents"] for page in (first, second, third) for e in page["ledger"]]
    assert balances == sorted(balances, reverse=True) and len(balances) == 5
    assert third["next_cursor"] is None


async def test_a_missing_idempotency_key_is_refused(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post("/v1/credits/apply", json=_apply(), headers=auth)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "idempotency_key_required" and "Idempotency-Key" in error["message"]


@pytest.mark.parametrize("amount", [0, -100])
async def test_an_amount_not_above_zero_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, sell: RecordSale, amount: int
) -> None:
    await sell(partner, 600_000)
    response = await client.post("/v1/credits/apply", json=_apply(amount=amount), headers={**auth, **_key()})
    assert response.status_code == 422
    assert "amount_cents" in response.json()["error"]["message"]
    assert (await _credits(client, auth))["balance_cents"] == 12_000


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_cents": 2**63}, "amount_cents"),
        ({"cart_total_cents": 2**64}, "cart_total_cents"),
        ({"shopify_order_ref": "#10\x0042"}, "shopify_order_ref"),
        ({"shopify_order_ref": "#" * 101}, "shopify_order_ref"),
    ],
)
async def test_values_outside_the_input_policy_are_refused(
    client: httpx.AsyncClient, auth: dict[str, str], change: dict[str, object], field: str
) -> None:
    response = await client.post("/v1/credits/apply", json={**_apply(), **change}, headers={**auth, **_key()})
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["message"]


@pytest.mark.parametrize("query", ["cursor=9223372036854775808", "cursor=99999999999999999999999", "limit=2"])
async def test_any_cursor_is_answered_without_a_server_error(
    client: httpx.AsyncClient, auth: dict[str, str], query: str
) -> None:
    response = await client.get(f"/v1/credits?{query}", headers=auth)
    assert response.status_code in (200, 422), response.text
    assert (response.status_code == 200) == query.startswith("limit")


async def test_more_than_the_cart_total_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, sell: RecordSale
) -> None:
    await sell(partner, 600_000)
    response = await client.post(
        "/v1/credits/apply", json=_apply(cart=1_000, amount=1_001), headers={**auth, **_key()}
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "over_cart_total" and "cart total" in error["message"]
    assert len((await _credits(client, auth))["ledger"]) == 1


async def test_more_than_the_balance_is_refused_and_the_key_stays_usable(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, sell: RecordSale
) -> None:
    await sell(partner, 600_000)
    key = _key()
    response = await client.post(
        "/v1/credits/apply", json=_apply(amount=12_001, cart=50_000), headers={**auth, **key}
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "insufficient_credit" and "12000" in error["message"]
    assert (await _credits(client, auth))["balance_cents"] == 12_000
    await sell(partner, 100_000)  # a top-up: 2% of 1,000 € more
    retry = await client.post(
        "/v1/credits/apply", json=_apply(amount=12_001, cart=50_000), headers={**auth, **key}
    )
    assert retry.status_code == 201 and retry.json()["balance_after_cents"] == 1_999


async def test_a_retry_with_the_same_key_replays_the_first_answer(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, sell: RecordSale
) -> None:
    await sell(partner, 600_000)
    key = _key()
    first = await client.post("/v1/credits/apply", json=_apply(), headers={**auth, **key})
    again = await client.post("/v1/credits/apply", json=_apply(), headers={**auth, **key})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert (await _credits(client, auth))["balance_cents"] == 11_000


async def test_a_key_reused_with_other_parameters_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, sell: RecordSale
) -> None:
    await sell(partner, 600_000)
    key = _key()
    assert (await client.post("/v1/credits/apply", json=_apply(), headers={**auth, **key})).status_code == 201
    reused = await client.post("/v1/credits/apply", json=_apply(amount=999), headers={**auth, **key})
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert (await _credits(client, auth))["balance_cents"] == 11_000


async def test_keys_belong_to_one_partner(
    client: httpx.AsyncClient, headers_for: HeadersFor, sell: RecordSale
) -> None:
    one, other = f"partner-{uuid.uuid4().hex[:12]}", f"partner-{uuid.uuid4().hex[:12]}"
    await sell(one, 600_000)
    await sell(other, 600_000)
    key = _key()
    for partner in (one, other):
        response = await client.post(
            "/v1/credits/apply", json=_apply(), headers={**headers_for(partner), **key}
        )
        assert response.status_code == 201 and response.json()["balance_after_cents"] == 11_000


async def test_concurrent_applications_never_overdraw(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, sell: RecordSale, pool: asyncpg.Pool
) -> None:
    await sell(partner, 4_000_000)  # Platinum: 5% of 40,000 € = 200,000 cents
    starting = 200_000
    rng = random.Random(7)
    amounts = [rng.randint(1_000, 5_000) for _ in range(200)]
    assert sum(amounts) > 2.5 * starting

    async def apply(amount: int) -> httpx.Response:
        body = _apply(order=f"#{uuid.uuid4().hex[:8]}", cart=10_000, amount=amount)
        return await client.post("/v1/credits/apply", json=body, headers={**auth, **_key()})

    responses = await asyncio.gather(*(apply(amount) for amount in amounts))
    statuses = {r.status_code for r in responses}
    assert statuses <= {201, 409}, statuses
    applied = sum(r.json()["amount_cents"] for r in responses if r.status_code == 201)
    assert 0 < applied <= starting
    refused = [r.json()["error"]["code"] for r in responses if r.status_code == 409]
    assert refused and set(refused) == {"insufficient_credit"}
    balance = (await _credits(client, auth))["balance_cents"]
    assert balance == starting - applied >= 0
    ledger = await pool.fetchval(
        "SELECT sum(CASE kind WHEN 'earned' THEN amount_cents ELSE -amount_cents END) FROM credit_entries"
        " WHERE partner_id = $1",
        partner,
    )
    assert ledger == balance
    after = sorted(r.json()["balance_after_cents"] for r in responses if r.status_code == 201)
    assert len(set(after)) == len(after)  # every success saw the one before it


async def test_one_key_sent_fifty_times_at_once_applies_once(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, sell: RecordSale, pool: asyncpg.Pool
) -> None:
    await sell(partner, 600_000)
    key = _key()
    responses = await asyncio.gather(
        *(
            client.post("/v1/credits/apply", json=_apply(amount=700), headers={**auth, **key})
            for _ in range(50)
        )
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    rows = await pool.fetchval(
        "SELECT count(*) FROM credit_entries WHERE partner_id = $1 AND kind = 'applied'", partner
    )
    assert rows == 1
    assert (await _credits(client, auth))["balance_cents"] == 11_300


async def test_ledger_rows_cannot_be_changed_or_deleted(
    pool: asyncpg.Pool, partner: str, sell: RecordSale
) -> None:
    await sell(partner, 600_000)
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await pool.execute("UPDATE credit_entries SET amount_cents = 1 WHERE partner_id = $1", partner)
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await pool.execute("DELETE FROM credit_entries WHERE partner_id = $1", partner)
    with pytest.raises(asyncpg.CheckViolationError):
        await pool.execute("UPDATE partners SET balance_cents = -1 WHERE partner_id = $1", partner)
