"""Poison on `heyzack.installations.v1`: a valid event that cannot apply is dead-lettered with its error and
its partition moves on; the partner's later events and other partners' events still take effect.

Each test sends a good event of partner A, then the poisons onto A's partition, then the whole history of
another installation of A and of one of partner B, and waits for those to take effect: by then every
record before them was applied or dead-lettered. Without poison isolation the first failing record would
stall A's partition (or, swallowed, be lost with the good events batched with it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaProducer

from heyzack_shared.contracts import topics
from heyzack_shared.dead_letters import ORIGINAL_LIMIT
from heyzack_shared.envelope import Envelope
from heyzack_shared.testing import wait_until
from heyzack_shared.testing.dead_letters import Source, apply_error, dead_letters_among
from heyzack_shared.values import MAX_VERSION
from heyzack_stack.infra import Endpoints
from ratings.consumers import CONSUMER

from .test_consumer import Fact, History, Status, known_row

TIMEOUT = 60


@dataclass(frozen=True)
class Poison:
    """A record for A's partition, and the exception that must dead-letter it (None: it must apply)."""

    event: Fact
    fails_with: str | None


def changed(event: Fact, **fields: object) -> Fact:
    """The event with envelope fields the installations service would never write."""
    return event.model_copy(update=fields)


async def send(producer: AIOKafkaProducer, event: Envelope, partition: int | None = None) -> Source:
    sent = await producer.send_and_wait(
        topics.INSTALLATIONS, event.to_json(), key=event.key, partition=partition
    )
    return sent.topic, sent.partition, sent.offset


async def approved(pool: asyncpg.Pool, job: History) -> bool:
    row = await known_row(pool, job.partner, job.installation_id)
    """Its whole history applied: created (the customer known) and approved."""
    return row is not None and row["customer_id"] is not None and row["status"] == Status.CUSTOMER_APPROVED


def kept(original: bytes) -> tuple[bytes, int | None]:
    """What a dead letter keeps of an original, and the original's size when that is only its beginning."""
    return original[:ORIGINAL_LIMIT], len(original) if len(original) > ORIGINAL_LIMIT else None


async def check_poisons(
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    kafka: str,
    partner: str,
    poisons: list[Poison],
    *,
    timeout: float = TIMEOUT,
) -> None:
    earlier, later, other = History(partner), History(partner), History(f"{partner}-b")
    first = await send(producer, earlier.created())
    sources: dict[Source, Poison | None] = {first: None}
    for poison in poisons:
        sources[await send(producer, poison.event, partition=first[1])] = poison
    for job in (later, other):
        for event in [*job.until_work_completed(), job.approved()]:
            sources[await send(producer, event)] = None

    async def later_events_applied() -> bool:
        first_known = await known_row(pool, partner, earlier.installation_id) is not None
        return first_known and await approved(pool, later) and await approved(pool, other)

    await wait_until(
        later_events_applied, timeout=TIMEOUT, message="the events after the poison never applied"
    )
    letters = await dead_letters_among(kafka, sources)
    assert {
        source: (letter.consumer, letter.original, letter.original_size, apply_error(letter))
        for source, letter in letters.items()
    } == {
        source: (CONSUMER, *kept(poison.event.to_json()), poison.fails_with)
        for source, poison in sources.items()
        if poison is not None and poison.fails_with is not None
    }
    for poison in poisons:
        if poison.fails_with is None:
            row = await known_row(pool, poison.event.partner_id, poison.event.data.installation_id)
            assert row is not None, f"{poison} did not apply"


def renamed(event: Fact, installation_id: str) -> Fact:
    """The event about another installation id, unchecked: how a hostile producer would write it."""
    data = event.data.model_copy(update={"installation_id": installation_id})
    return changed(event, aggregate_id=installation_id, data=data)


async def test_integers_outside_the_input_policy_are_dead_lettered_the_rest_applies(
    producer: AIOKafkaProducer, pool: asyncpg.Pool, partner: str, infrastructure: Endpoints
) -> None:
    """Versions are PostgreSQL integers in every service: past 2^31 - 1 they are refused as they are read;
    so is a price ratings does not even store. The largest version applies."""
    job = History(partner)
    huge_price = changed(job.created(), data=job.created().data.model_copy(update={"price_cents": 2**64}))
    poisons = [
        Poison(changed(History(partner).created(), aggregate_version=2**63), "invalid aggregate_version"),
        Poison(
            changed(History(partner).assigned(), aggregate_version=MAX_VERSION + 1),
            "invalid aggregate_version",
        ),
        Poison(huge_price, "invalid data.price_cents"),
        Poison(changed(History(partner).created(), aggregate_version=MAX_VERSION), None),
    ]
    await check_poisons(producer, pool, infrastructure.kafka_bootstrap, partner, poisons)


async def test_ids_outside_the_input_policy_are_dead_lettered_the_rest_apply(
    producer: AIOKafkaProducer, pool: asyncpg.Pool, partner: str, infrastructure: Endpoints
) -> None:
    """NUL, quotes, semicolons, braces and 10,000-character ids are refused as they are read; ids made of
    every character the id pattern allows are data like any other."""
    odd = "'; DROP TABLE known_installations; -- {x}:y"
    poisons = [
        Poison(renamed(History(partner).created(), "ins_\u0000nul"), "invalid aggregate_id"),
        Poison(changed(History(partner).created(), partner_id=f"{partner}\u0000"), "invalid partner_id"),
        Poison(renamed(History(partner).created(), secrets.token_hex(5000)), "invalid aggregate_id"),
        Poison(renamed(History(partner).created(), f"ins_{odd}"), "invalid aggregate_id"),
        Poison(changed(History(partner).created(), partner_id=f"{partner}{odd}"), "invalid partner_id"),
        Poison(History(partner, "a.b_c:d/e@f+g=h-9").created(), None),
        Poison(History(f"{partner}:x/y@z").created(), None),
    ]
    await check_poisons(producer, pool, infrastructure.kafka_bootstrap, partner, poisons)


async def test_unknown_installations_and_dates_at_their_limits(
    producer: AIOKafkaProducer, pool: asyncpg.Pool, partner: str, infrastructure: Endpoints
) -> None:
    """A status change of an installation never created is remembered until its creation arrives; moments
    lie from 2000-01-01 to 2099-12-31 UTC (years 1 and 9999 are refused as they are read)."""
    created = History(partner).created
    poisons = [
        Poison(History(partner).moved(3, Status.SCHEDULED, Status.IN_PROGRESS), None),
        Poison(changed(created(), occurred_at=datetime(2000, 1, 1, tzinfo=UTC)), None),
        Poison(changed(created(), occurred_at=datetime(2099, 12, 31, 23, 59, tzinfo=UTC)), None),
        Poison(changed(created(), occurred_at=datetime(1, 1, 1, tzinfo=UTC)), "invalid occurred_at"),
        Poison(
            changed(created(), occurred_at=datetime(9999, 12, 31, 23, 30, tzinfo=UTC)), "invalid occurred_at"
        ),
    ]
    await check_poisons(producer, pool, infrastructure.kafka_bootstrap, partner, poisons)


async def test_a_poison_near_the_message_size_limit_is_dead_lettered_too(
    producer: AIOKafkaProducer, pool: asyncpg.Pool, partner: str, infrastructure: Endpoints
) -> None:
    """A 430,000-character installation id (twice in the event: 860 KB): its dead letter keeps the
    original's first 512 KiB and its size, and A's partition moves on past it."""
    poisons = [
        Poison(renamed(History(partner).created(), secrets.token_hex(215_000)), "invalid aggregate_id")
    ]
    await check_poisons(producer, pool, infrastructure.kafka_bootstrap, partner, poisons, timeout=20)
