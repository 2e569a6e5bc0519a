"""Poison isolation on real servers: an event the contract accepts but that cannot be projected is
dead-lettered with its reason, and everything after it — same partition, other partners — still counts."""

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


def poison(events: Events) -> dict[str, tuple[bytes, str]]:
    """Events that validate but cannot be projected, with the error each must be dead-lettered for."""

    def version(value: int) -> Callable[[dict[str, Any]], None]:
        return lambda body: body.update(aggregate_version=value)

    def quantity(body: dict[str, Any]) -> None:
        body["data"]["products"][0]["quantity"] = 2**64

    def last_moment(body: dict[str, Any]) -> None:
        body["occurred_at"] = "9999-12-31T23:30:00Z"  # in Paris, a day of the year 10000

    return {
        "version past 2^63": (edited(events.customer("c-v64"), version(2**64 + 1)), "TypeError"),
        "version past 2^53": (edited(events.customer("c-v53"), version(2**53 + 3)), "ResponseError"),
        "quantity past 2^64": (edited(events.installation("i-q"), quantity), "TypeError"),
        "amount past 2^53": (events.revenue(1, 2**60, amount_cents=2**60).to_json(), "ResponseError"),
        "day past year 9999": (edited(events.installation("i-9999"), last_moment), "OverflowError"),
    }


def applicable(events: Events) -> list[bytes]:
    """Odd but projectable: they must apply (each is one more customer), not be dead-lettered."""
    return [
        events.customer("c-\x00-nul").to_json(),
        events.customer("c-" + "x" * 10_000).to_json(),
        events.customer("c-{tag}:key'; DROP TABLE x;--").to_json(),
        edited(events.customer("c-year-1"), lambda body: body.update(occurred_at="0001-01-01T00:00:00Z")),
    ]


async def test_poison_is_dead_lettered_and_what_follows_still_counts(
    infrastructure: Endpoints, settings: ProjectorSettings, events: Events, token: Callable[..., str]
) -> None:
    other = Events(events.partner_id + "}:kpi")  # a neighbour whose id means something in the keyspace
    bad = poison(events)
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
        raw, error = bad[sources[source]]
        assert letter.reason.startswith(f"could not apply: {error}: "), (sources[source], letter.reason)
        assert letter.original == raw
        assert letter.consumer == "kpi-projector"
    counted = _dead_letter_counts() - before
    for reason in ("apply:TypeError", "apply:ResponseError", "apply:OverflowError"):
        assert counted[reason] >= sum(1 for _, error in bad.values() if f"apply:{error}" == reason), reason


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
