"""Demo data after the installations: customers rate approved jobs, the partner applies some credit.

Both go over HTTP like the partner UI would. Ratings learns about approvals through Kafka, and credits earns
commission from events too, so each step retries for a while. A service whose endpoint does not exist yet
(not in its OpenAPI, or 404/405 for the route) is skipped with a log line: demo data never stops `make run`.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import httpx

Say = Callable[[str], None]
PATIENCE_SECONDS: Final = 15.0
RETRY_INTERVAL_SECONDS: Final = 0.5
_RATINGS: Final = (
    (5, "Fast, tidy and friendly. The lock works perfectly."),
    (4, "Good job, arrived a bit late."),
    (5, None),
    (3, "Works, but the app setup took a second visit."),
    (4, "Clear explanations of the cameras."),
)
_DEMO_ORDER_REF: Final = "#DEMO-1001"


async def offers(client: httpx.AsyncClient, method: str, path: str) -> bool:
    """Whether the service's OpenAPI lists `method path` (an unfinished service may not have it yet)."""
    response = await client.get("/openapi.json")
    if response.is_error:
        return False
    operations: dict[str, Any] = response.json().get("paths", {}).get(path, {})
    return method.lower() in operations


async def rate_installations(ratings: httpx.AsyncClient, installation_ids: Sequence[str], say: Say) -> int:
    """Submit a rating for some approved installations; how many were accepted."""
    if not await offers(ratings, "post", "/v1/ratings"):
        say("ratings: POST /v1/ratings is not served yet; demo ratings skipped")
        return 0
    accepted = 0
    for installation_id, (stars, comment) in zip(installation_ids, _RATINGS, strict=False):
        body = {"installation_id": installation_id, "stars": stars, "comment": comment}
        response = await _until_accepted(functools.partial(ratings.post, "/v1/ratings", json=body))
        if response.status_code in (404, 405) and _route_missing(response):
            say("ratings: POST /v1/ratings is not served yet; demo ratings skipped")
            return accepted
        if response.is_success:
            accepted += 1
        else:
            say(f"ratings: rating of {installation_id} refused ({response.status_code}: {response.text})")
    say(f"ratings: {accepted} demo ratings submitted")
    return accepted


async def apply_some_credit(credits: httpx.AsyncClient, say: Say) -> int | None:
    """Once commission has been earned, apply a quarter of the balance to a Shopify order; the amount."""
    if not (
        await offers(credits, "get", "/v1/credits") and await offers(credits, "post", "/v1/credits/apply")
    ):
        say("credits: GET /v1/credits or POST /v1/credits/apply is not served yet; demo credit skipped")
        return None
    balance = await _positive_balance(credits)
    if balance is None:
        say("credits: no credit earned yet; demo credit application skipped")
        return None
    amount = max(balance // 4, 1)
    body = {"shopify_order_ref": _DEMO_ORDER_REF, "cart_total_cents": amount + 12_900, "amount_cents": amount}
    headers = {"Idempotency-Key": f"demo-{_DEMO_ORDER_REF}"}
    response = await credits.post("/v1/credits/apply", json=body, headers=headers)
    if response.is_error:
        say(f"credits: demo credit application refused ({response.status_code}: {response.text})")
        return None
    say(f"credits: applied {amount} cents of credit to Shopify order {_DEMO_ORDER_REF}")
    return amount


async def _positive_balance(credits: httpx.AsyncClient) -> int | None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        response = await credits.get("/v1/credits")
        if response.is_success and (balance := int(response.json().get("balance_cents", 0))) > 0:
            return balance
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(RETRY_INTERVAL_SECONDS)


async def _until_accepted(send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """Retry while the answer may change once events arrive (404 unknown installation, 409 not approved)."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        response = await send()
        if response.is_success or response.status_code not in (404, 409) or _route_missing(response):
            return response
        if time.monotonic() >= deadline:
            return response
        await asyncio.sleep(RETRY_INTERVAL_SECONDS)


def _route_missing(response: httpx.Response) -> bool:
    """404/405 of the framework's router (no such endpoint), not of the service (no such resource)."""
    if response.status_code == 405:
        return True
    try:
        message = response.json().get("error", {}).get("message")
    except ValueError:
        return True
    return response.status_code == 404 and message == "Not Found"
