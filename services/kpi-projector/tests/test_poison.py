"""Hostile events on real servers: what the input policy refuses is dead-lettered naming the field, and
everything after it — same partition, other partners — still counts. (A valid event that fails to apply is
isolated the same way: test_consume_path.py.)"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from kpi_projector_testkit import Events
from prometheus_client import REGISTRY
from running_projector import dashboard_shows, projector, publish

from heyzack_shared.contracts import topics
from heyzack_shared.envelope import Envelope
from heyzack_shared.testing import wait_until
from heyzack_shared.testing.dead_letters import dead_letters_of
from heyzack_stack.infra import Endpoints
from kpi_projector.settings import ProjectorSettings


def edited(event: Envelope, edit: Callable[[dict[str, Any]], None]) -> bytes:
    body = json.loads(event.to_json())
    edit(body)
    return json.dumps(body).encode()


def hostile(events: Events) -> dict[str, tuple[bytes, str]]:
    """Events a hostile producer could write, each with the field it must be dead-lettered for. Before the
    input policy, each of them passed validation and failed in the projection (orjson, Lua, time zones)."""

    def envelope(**fields: object) -> Callable[[dict[str, Any]], None]:
        return lambda body: body.update(fields)

    def quantity(body: dict[str, Any]) -> None:
        body["data"]["products"][0]["quantity"] = 2**64

    def amount(body: dict[str, Any]) -> None:
        body["data"].update(amount_cents=2**60, month_total_cents=2**60)

    return {
        "version past 2^63": (
            edited(events.customer("c-v64"), envelope(aggregate_version=2**64 + 1)),
            "aggregate_version",
        ),
        "version past 2^53": (
            edited(events.customer("c-v53"), envelope(aggregate_version=2**53 + 3)),
            "aggregate_version",
        ),
        "quantity past 2^64": (edited(events.installation("i-q"), quantity), "data.products.0.quantity"),
        "amount past 2^53": (edited(events.revenue(1, 100, amount_cents=100), amount), "data.amount_cents"),
        "day past year 9999": (
            edited(events.installation("i-9999"), envelope(occurred_at="9999-12-31T23:30:00Z")),
            "occurred_at",
        ),
        "year 1": (
            edited(events.customer("c-year-1"), envelope(occurred_at="0001-01-01T00:00:00Z")),
            "occurred_at",
        ),
        "NUL in an id": (
            edited(events.customer("c-nul"), envelope(aggregate_id="c-\x00-nul")),
            "aggregate_id",
        ),
        "a 10 kB id": (
            edited(events.customer("c-long"), envelope(aggregate_id="c-" + "x" * 10_000)),
            "aggregate_id",
        ),
        "braces in a partner id": (
            edited(events.customer("c-tag"), envelope(partner_id="p}:kpi")),
            "partner_id",
        ),
    }


def applicable(events: Events) -> list[bytes]:
    """Odd but within the policy: they must apply (each is one more customer), not be dead-lettered."""
    return [
        events.customer("c.a_b:c/d@e+f=g-h").to_json(),
        events.customer("c" + "x" * 127).to_json(),
        edited(events.customer("c-2000"), lambda body: body.update(occurred_at="2000-01-01T00:00:00Z")),
        edited(events.customer("c-2099"), lambda body: body.update(occurred_at="2099-12-31T23:30:00Z")),
    ]


async def test_hostile_events_are_dead_lettered_and_what_follows_still_counts(
    infrastructure: Endpoints, settings: ProjectorSettings, events: Events, token: Callable[..., str]
) -> None:
    other = Events(events.partner_id + ":kpi")  # a neighbour whose id has the keyspace's separator
    bad = hostile(events)
    odd = applicable(events)
    sent = await publish(
        infrastructure.kafka_bootstrap,
        topics.INSTALLATIONS,
        events.partner_id,
        [events.customer("c1"), *(raw for raw, _ in bad.values()), *odd, events.customer("c2")],
    )
    await publish(
        infrastructure.kafka_bootstrap, topics.INSTALLATIONS, other.partner_id, [other.customer("c1")]
    )
    await publish(
        infrastructure.kafka_bootstrap, topics.CREDITS, events.partner_id, [events.credit_earned(2, 5, 5)]
    )

    before = _dead_letter_counts()
    async with projector(settings) as client:
        customers = 2 + len(odd)
        await wait_until(
            dashboard_shows(client, token(events.partner_id), {"total_customers": _count(customers)}),
            timeout=60,
            message="events after the poison never counted",
        )
        await wait_until(
            dashboard_shows(client, token(other.partner_id), {"total_customers": _count(1)}),
            timeout=30,
            message="the neighbour's event never counted",
        )
        await wait_until(
            dashboard_shows(client, token(events.partner_id), {"available_credit": _credit(5)}), timeout=30
        )

    sources = {
        (topics.INSTALLATIONS, p, o): name for name, (p, o) in zip(bad, sent[1 : 1 + len(bad)], strict=True)
    }
    letters = await dead_letters_of(infrastructure.kafka_bootstrap, sources)
    for source, letter in letters.items():
        raw, field = bad[sources[source]]
        assert letter.reason.startswith(f"invalid {field}: "), (sources[source], letter.reason)
        assert letter.original == raw
        assert letter.consumer == "kpi-projector"
    assert _dead_letter_counts()["invalid"] - before["invalid"] >= len(bad)


def _dead_letter_counts() -> Counter[str]:
    """The projector's dead letters so far, by reason (heyzack_dead_letters_total)."""
    counts: Counter[str] = Counter()
    for family in REGISTRY.collect():
        for sample in family.samples:
            if sample.name == "heyzack_dead_letters_total" and sample.labels["consumer"] == "kpi-projector":
                counts[sample.labels["reason"]] += int(sample.value)
    return counts


def _count(value: int) -> dict[str, Any]:
    return {"value": value, "display": str(value)}


def _credit(cents: int) -> dict[str, Any]:
    return {
        "value_cents": cents,
        "currency": "EUR",
        "display": f"€{cents // 100}",
        "can_use_credit": cents > 0,
    }
