"""Loading the demo history into a running platform. Idempotent: `make run` loads it on every start.

Each domain service takes its records through its own import use cases (`history.py` of installations and
ratings) on its own database: state and outbox rows commit together and the events carry the records'
moments as `occurred_at`, so every consumer sees the service's state as it is stored. Ratings accepts a
rating only once it knows the installation approved (learned from Kafka, as for a rating over HTTP): those
imports are retried for a while. The commerce simulator publishes the Shopify/ERP side. Credits imports
nothing: it learns every sale from the approvals and orders, dated by their events. Last, the partner applies
some credit over HTTP with a fixed Idempotency-Key, so a second load replays the first answer.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Final, TypeVar

import asyncpg
import httpx

from heyzack_shared.db import create_pool
from heyzack_shared.errors import HeyZackError
from heyzack_stack.commerce import publish
from heyzack_stack.demo import DemoHistory
from installations import history as installations
from installations.unit_of_work import UnitOfWork as InstallationsWork
from ratings import history as ratings
from ratings.domain import NotApproved, UnknownInstallation
from ratings.unit_of_work import UnitOfWork as RatingsWork

Say = Callable[[str], None]
Record = TypeVar("Record")
Work = TypeVar("Work")
PATIENCE_SECONDS: Final = 60.0
RETRY_INTERVAL_SECONDS: Final = 0.5
CREDIT_ORDER_REF: Final = "#DEMO-1001"
CREDIT_CENTS: Final = 25_000
CREDIT_CART_CENTS: Final = 38_900


class DemoDataRejected(RuntimeError):
    """A service refused a record of the demo history: the story and the rules disagree (a bug)."""


@dataclass
class Loaded:
    imported: dict[str, int] = field(default_factory=dict)
    """Records added per kind: 0 everywhere when the story was already there."""
    commerce_events: int = 0
    credit_applied_cents: int | None = None


async def load_demo(
    history: DemoHistory,
    *,
    databases: Mapping[str, str],
    kafka_bootstrap: str,
    credits: httpx.AsyncClient,
    say: Say,
) -> Loaded:
    """`databases`: the database URLs of `installations` and `ratings`; `credits`: a client on the credits
    API with a token of the history's partner."""
    loaded = Loaded()
    imported = loaded.imported
    async with _database(databases["installations"]) as pool:
        work = functools.partial(InstallationsWork, pool)
        imported["customers"] = await _import(installations.import_customer, history.customers, work)
        imported["handymen"] = await _import(installations.import_handyman, history.handymen, work)
        imported["installations"] = await _import(
            installations.import_installation, history.installations, work
        )
    events = history.commerce_events()
    await publish(kafka_bootstrap, events)
    loaded.commerce_events = len(events)
    async with _database(databases["ratings"]) as pool:
        rating_work = functools.partial(RatingsWork, pool)
        imported["surveys"] = await _import(ratings.import_survey, history.surveys, rating_work)
        imported["issues"] = await _import(ratings.import_issue, history.issues, rating_work)
        imported["ratings"] = await _import_ratings(history.ratings, rating_work, say)
    added = ", ".join(f"{count} {kind}" for kind, count in imported.items())
    say(f"demo history: {added} imported; {len(events)} Shopify/ERP events published")
    loaded.credit_applied_cents = await apply_some_credit(credits, say)
    return loaded


@asynccontextmanager
async def _database(url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(url, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


async def _import(
    use_case: Callable[[Record, Work], Awaitable[bool]],
    records: Iterable[Record],
    work: Callable[[], Work],
) -> int:
    """Import every record; how many were new."""
    imported = 0
    for record in records:
        try:
            imported += await use_case(record, work())
        except HeyZackError as refused:
            raise DemoDataRejected(f"{type(record).__name__} refused: {refused.message}") from refused
    return imported


async def _import_ratings(
    records: Iterable[ratings.ImportRating], work: Callable[[], RatingsWork], say: Say
) -> int:
    """Ratings of installations ratings does not know as approved yet are tried again until they are."""
    imported, pending = 0, list(records)
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        waiting = []
        for record in pending:
            try:
                imported += await _import(ratings.import_rating, [record], work)
            except DemoDataRejected as refused:
                if not isinstance(refused.__cause__, UnknownInstallation | NotApproved):
                    raise
                waiting.append(record)
        if not waiting:
            return imported
        if time.monotonic() >= deadline:
            say(f"ratings: {len(waiting)} installations never arrived approved; their ratings skipped")
            return imported
        pending = waiting
        await asyncio.sleep(RETRY_INTERVAL_SECONDS)


async def apply_some_credit(credits: httpx.AsyncClient, say: Say) -> int | None:
    """Apply €250 of credit to a Shopify order, once. Credits earns commission while it consumes the
    history's sales, so "insufficient credit" (409) is tried again for a while; the amount applied."""
    body = {
        "shopify_order_ref": CREDIT_ORDER_REF,
        "cart_total_cents": CREDIT_CART_CENTS,
        "amount_cents": CREDIT_CENTS,
    }
    headers = {"Idempotency-Key": f"demo-{CREDIT_ORDER_REF}"}
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        response = await credits.post("/v1/credits/apply", json=body, headers=headers)
        if response.is_success:
            if "Idempotent-Replayed" not in response.headers:
                say(f"credits: applied {CREDIT_CENTS} cents of credit to Shopify order {CREDIT_ORDER_REF}")
            return CREDIT_CENTS
        if response.status_code != 409 or time.monotonic() >= deadline:
            say(f"credits: demo credit application refused ({response.status_code}: {response.text})")
            return None
        await asyncio.sleep(RETRY_INTERVAL_SECONDS)
