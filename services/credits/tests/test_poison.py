"""Poison on the topics credits consumes: a valid event that cannot apply is dead-lettered with its error and
its partition moves on; the partner's later events and other partners' events still become sales.

Each test sends a good order of partner A, then the poisons onto A's partition of the poisons' topic, then
an approved installation and an order of A and of partner B, and waits for their sales: by then every
record before them was applied or dead-lettered. Without poison isolation the first failing record would
stall A's partition (or, swallowed, be lost with the good events batched with it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from credits.app import CONSUMER
from heyzack_shared.contracts.credits import SaleSource
from heyzack_shared.envelope import Envelope
from heyzack_shared.testing import wait_until
from heyzack_shared.testing.dead_letters import Source, apply_error, dead_letters_among
from heyzack_shared.values import MAX_CENTS, MAX_EXACT, MAX_VERSION
from heyzack_stack.infra import Endpoints

from .test_consumer import _installation, _order

TIMEOUT = 60
PARIS = ZoneInfo("Europe/Paris")
Sold = tuple[str, int, str]
"""A sale that must be recorded: sale id, amount, month."""


@dataclass(frozen=True)
class Poison:
    """A record for A's partition; the exception that must dead-letter it (None: it must apply), and the
    sale it must record if it applies."""

    event: Envelope
    fails_with: str | None = None
    sale: Sold | None = None


def with_data(event: Envelope, **fields: object) -> Envelope:
    return event.model_copy(update={"data": event.data.model_copy(update=fields)})


def with_line(event: Envelope, **fields: object) -> Envelope:
    """The order with its first line changed, unchecked: how a hostile producer would write it."""
    line = event.data.lines[0].model_copy(update=fields)
    return with_data(event, lines=[line])


def order(partner: str, quantity: int, unit_price: int, at: datetime | None = None) -> Envelope:
    placed = _order(partner, [(quantity, unit_price, SaleSource.PRODUCT_SALES)], datetime.now(UTC))
    return placed if at is None else placed.model_copy(update={"occurred_at": at})


def this_month() -> str:
    return datetime.now(PARIS).strftime("%Y-%m")


def line_sale(event: Envelope, amount: int, month: str | None = None) -> Sold:
    return f"{event.data.order_id}:1", amount, month or this_month()


def installation(partner: str, price: int, installation_id: str | None = None) -> list[Envelope]:
    created, *changes = _installation(partner, price, datetime.now(UTC))
    if installation_id is None:
        return [created, *changes]
    return [with_data(e, installation_id=installation_id) for e in (created, *changes)]


def applies(events: list[Envelope], sale: Sold | None = None) -> list[Poison]:
    """Events that must all apply; the last one records `sale`."""
    return [Poison(e) for e in events[:-1]] + [Poison(events[-1], sale=sale)]


async def sales_of(pool: asyncpg.Pool, *partners: str) -> set[Sold]:
    rows = await pool.fetch(
        "SELECT sale_id, amount_cents, month FROM sales WHERE partner_id = ANY($1::text[])", list(partners)
    )
    return {(row["sale_id"], row["amount_cents"], row["month"]) for row in rows}


async def check_poisons(
    producer: AIOKafkaProducer, pool: asyncpg.Pool, kafka: str, partner: str, poisons: list[Poison]
) -> None:
    """Both topics have the same partitions: a partner's key is on the same partition number in each."""
    other = f"{partner}-b"

    async def send(event: Envelope, partition: int | None = None) -> Source:
        sent = await producer.send_and_wait(event.topic, event.to_json(), key=event.key, partition=partition)
        return sent.topic, sent.partition, sent.offset

    first = await send(order(partner, 1, 100))
    sources: dict[Source, Poison | None] = {first: None}
    for poison in poisons:
        sources[await send(poison.event, partition=first[1])] = poison
    later: set[Sold] = set()
    for someone in (partner, other):
        job, bought = installation(someone, 1_000), order(someone, 2, 300)
        for event in [*job, bought]:
            sources[await send(event)] = None
        later |= {(job[0].data.installation_id, 1_000, this_month()), line_sale(bought, 600)}

    async def later_sales_recorded() -> bool:
        return later <= await sales_of(pool, partner, other)

    await wait_until(
        later_sales_recorded, timeout=TIMEOUT, message="the events after the poison never applied"
    )
    letters = await dead_letters_among(kafka, sources)
    assert {s: (letter.consumer, letter.original, apply_error(letter)) for s, letter in letters.items()} == {
        source: (CONSUMER, poison.event.to_json(), poison.fails_with)
        for source, poison in sources.items()
        if poison is not None and poison.fails_with is not None
    }
    selling = [p for p in poisons if p.sale is not None]
    assert {p.sale for p in selling} <= await sales_of(pool, *{p.event.partner_id for p in selling})


async def test_integers_outside_the_input_policy_are_dead_lettered_the_rest_applies(
    producer: AIOKafkaProducer, pool: asyncpg.Pool, partner: str, infrastructure: Endpoints
) -> None:
    """Amounts past MAX_CENTS, line totals past it, versions past the integer columns: refused as they are
    read, naming the field; the approval of an installation whose price was refused waits for a price."""
    refused_price = installation(partner, 100)
    largest = installation(partner, MAX_CENTS)
    newest = installation(partner, 1_000)
    poisons = [
        Poison(with_data(refused_price[0], price_cents=2**63), "invalid data.price_cents"),
        *applies(refused_price[1:]),
        Poison(with_data(installation(partner, 1)[0], price_cents=2**64), "invalid data.price_cents"),
        Poison(with_data(installation(partner, 1)[0], price_cents=MAX_CENTS + 1), "invalid data.price_cents"),
        *applies(largest, sale=(largest[0].data.installation_id, MAX_CENTS, this_month())),
        Poison(
            with_line(order(partner, 1, 1), quantity=2**32, unit_price_cents=2**32),
            "invalid data.lines.0.quantity",
        ),
        Poison(
            with_line(order(partner, 1, 1), quantity=1_000, unit_price_cents=MAX_CENTS // 999),
            "invalid data.lines.0",
        ),
        Poison(
            newest[0].model_copy(update={"aggregate_version": MAX_VERSION + 1}), "invalid aggregate_version"
        ),
        *applies(
            [e.model_copy(update={"aggregate_version": MAX_VERSION - 3 + i}) for i, e in enumerate(newest)],
            sale=(newest[0].data.installation_id, 1_000, this_month()),
        ),
    ]
    await check_poisons(producer, pool, infrastructure.kafka_bootstrap, partner, poisons)


async def test_a_month_total_past_2_53_is_refused_before_it_is_stored(
    producer: AIOKafkaProducer, pool: asyncpg.Pool, partner: str, infrastructure: Endpoints
) -> None:
    """A month whose revenue is a little below 2^53 (as if 90,000 of the largest sales had been recorded):
    the sale that would pass 2^53 - 1 cannot become a RevenueRecorded event, so it is rolled back and
    dead-lettered; the next month and the partner's other sales are untouched."""
    january = datetime(2026, 1, 15, 12, tzinfo=UTC)
    await pool.execute("INSERT INTO partners (partner_id) VALUES ($1)", partner)
    await pool.execute(
        "INSERT INTO monthly_revenue (partner_id, month, total_cents, tier)"
        " VALUES ($1, '2026-01', $2, 'Platinum')",
        partner,
        MAX_EXACT - 1_000,
    )
    fits, overflows = order(partner, 1, 1_000, january), order(partner, 1, 1, january)
    poisons = [Poison(fits, sale=line_sale(fits, 1_000, "2026-01")), Poison(overflows, "ValidationError")]
    await check_poisons(producer, pool, infrastructure.kafka_bootstrap, partner, poisons)
    total = await pool.fetchval(
        "SELECT total_cents FROM monthly_revenue WHERE partner_id = $1 AND month = '2026-01'", partner
    )
    assert total == MAX_EXACT


async def test_ids_outside_the_input_policy_are_dead_lettered_the_rest_apply(
    producer: AIOKafkaProducer, pool: asyncpg.Pool, partner: str, infrastructure: Endpoints
) -> None:
    """NUL, quotes, semicolons, braces, spaces and 10,000-character ids are refused as they are read; ids made
    of every character the id pattern allows are data like any other."""
    odd = "'; DROP TABLE sales; -- {x}"
    allowed = "a.b_c:d/e@f+g=h-9"
    long_id = secrets.token_hex(5000)
    allowed_order, allowed_job = (
        with_data(order(partner, 1, 700), order_id=allowed),
        installation(partner, 900, allowed),
    )
    poisons = [
        Poison(with_data(order(partner, 1, 100), order_id="ord_\u0000"), "invalid data.order_id"),
        Poison(
            order(partner, 1, 100).model_copy(update={"partner_id": f"{partner}\u0000"}), "invalid partner_id"
        ),
        Poison(
            order(partner, 1, 100).model_copy(update={"partner_id": f"{partner}{odd}"}), "invalid partner_id"
        ),
        Poison(with_data(order(partner, 1, 100), order_id=f"ord_{odd}"), "invalid data.order_id"),
        Poison(installation(partner, 100, "ins_\u0000")[0], "invalid data.installation_id"),
        Poison(installation(partner, 100, long_id)[0], "invalid data.installation_id"),
        Poison(with_data(order(partner, 1, 100), order_id=long_id), "invalid data.order_id"),
        Poison(allowed_order, sale=line_sale(allowed_order, 700)),
        *applies(allowed_job, sale=(allowed, 900, this_month())),
    ]
    await check_poisons(producer, pool, infrastructure.kafka_bootstrap, partner, poisons)


async def test_unknown_installations_and_moments_at_their_limits(
    producer: AIOKafkaProducer, pool: asyncpg.Pool, partner: str, infrastructure: Endpoints
) -> None:
    """An approval of an installation never created waits for its price. A sale's month is its Paris
    month; moments lie from 2000-01-01 to 2099-12-31 UTC, so its last half hour is January 2100 in Paris."""
    first = order(partner, 1, 100, datetime(2000, 1, 1, tzinfo=UTC))
    new_year = order(partner, 1, 200, datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    last = order(partner, 1, 300, datetime(2099, 12, 31, 23, 30, tzinfo=UTC))
    poisons = [
        Poison(installation(partner, 100)[-1]),
        Poison(order(partner, 1, 100, datetime(1, 1, 1, tzinfo=UTC)), "invalid occurred_at"),
        Poison(order(partner, 1, 100, datetime(1999, 12, 31, 23, 59, tzinfo=UTC)), "invalid occurred_at"),
        Poison(first, sale=line_sale(first, 100, "2000-01")),
        Poison(new_year, sale=line_sale(new_year, 200, "2027-01")),
        Poison(last, sale=line_sale(last, 300, "2100-01")),
        Poison(order(partner, 1, 400, datetime(2100, 1, 1, tzinfo=UTC)), "invalid occurred_at"),
        Poison(order(partner, 1, 400, datetime(9999, 12, 31, 23, 30, tzinfo=UTC)), "invalid occurred_at"),
    ]
    await check_poisons(producer, pool, infrastructure.kafka_bootstrap, partner, poisons)


@pytest.mark.xfail(
    strict=True,
    reason="sale ids share one namespace (docs/events.md: the installation id, or <order_id>:<line>):"
    " the second sale is taken for a duplicate and silently dropped. The fix is the contract's (a sale id"
    " per source, e.g. a prefix, or the source in the sales key), also read by the KPI projector",
)
async def test_an_installation_id_that_reads_as_an_order_line_is_a_sale_of_its_own(
    producer: AIOKafkaProducer, pool: asyncpg.Pool, partner: str, infrastructure: Endpoints
) -> None:
    """Installation `<order_id>:1` and the first line of order `<order_id>` are two sales."""
    bought = order(partner, 1, 700)
    job = installation(partner, 900, f"{bought.data.order_id}:1")
    poisons = [
        Poison(bought, sale=line_sale(bought, 700)),
        *applies(job, sale=(f"{bought.data.order_id}:1", 900, this_month())),
    ]
    await check_poisons(producer, pool, infrastructure.kafka_bootstrap, partner, poisons)
