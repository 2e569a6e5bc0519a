"""End to end on real servers: events published to Kafka → the projector → Redis → GET /v1/dashboard."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import TopicPartition
from kpi_projector_testkit import Events
from redis.asyncio import Redis
from running_projector import dashboard_shows, projector, publish

from heyzack_shared.batches import Batch, Span
from heyzack_shared.contracts import topics
from heyzack_shared.testing import wait_until
from heyzack_shared.testing.dead_letters import dead_letters_of
from heyzack_stack.infra import Endpoints
from kpi_projector.read_models import ProjectionStore, live_generation
from kpi_projector.settings import ProjectorSettings, Role

Published = list[tuple[int, int]]
"""(partition, offset) of each message published."""


def cards(
    customers: int, installations: int, completed: int, available: int, handymen: int
) -> dict[str, Any]:
    return {
        "total_customers": {"value": customers, "display": str(customers)},
        "active_installations": {"value": installations, "display": str(installations)},
        "completed_installations": {"value": completed, "display": str(completed)},
        "available_handymen": {
            "available": available,
            "total": handymen,
            "display": f"{available}/{handymen}",
        },
    }


async def test_published_events_reach_the_dashboard(
    infrastructure: Endpoints, settings: ProjectorSettings, events: Events, token: Callable[..., str]
) -> None:
    job = events.approved_job("inst-1")
    await publish(
        infrastructure.kafka_bootstrap,
        topics.INSTALLATIONS,
        events.partner_id,
        [
            events.customer("cust-1"),
            events.customer("cust-2"),
            *job,
            events.installation("inst-2"),
            events.handyman("hm-1"),
            events.handyman("hm-2"),
            events.handyman("hm-2", "BUSY", version=2),
            *job,  # published twice: Kafka's at-least-once
        ],
    )
    async with projector(settings) as client:
        await wait_until(
            dashboard_shows(client, token(events.partner_id), cards(2, 2, 1, 1, 2)),
            timeout=30,
            message="the dashboard never showed the published events",
        )
        response = await client.get(
            "/v1/dashboard", headers={"Authorization": f"Bearer {token(events.partner_id)}"}
        )
    body = response.json()
    assert response.status_code == 200
    assert body["partner_id"] == events.partner_id
    assert body["cards"]["customer_satisfaction"]["display"] == "N/A"
    assert body["cards"]["available_credit"] == {
        "value_cents": 0,
        "currency": "EUR",
        "display": "€0",
        "can_use_credit": False,
    }


def revenue(cents: int, month: str, display: str) -> dict[str, Any]:
    return {"value_cents": cents, "currency": "EUR", "month": month, "display": display}


async def test_ratings_and_credits_events_reach_their_three_cards(
    infrastructure: Endpoints, settings: ProjectorSettings, events: Events, token: Callable[..., str]
) -> None:
    bootstrap, partner_id = infrastructure.kafka_bootstrap, events.partner_id
    ratings = [events.rating(f"rating-{n}", stars) for n, stars in enumerate((5, 5, 4, 4, 4, 3, 2))]
    await publish(bootstrap, topics.RATINGS, partner_id, [*ratings, ratings[0]])
    credits = [
        events.revenue(1, 380_000, month="2026-10"),
        events.credit_earned(2, 7_600, 7_600),
        events.revenue(3, 420_050, month="2026-11"),
        events.credit_earned(4, 8_401, 16_001),
        events.credit_applied(5, 3_950, 12_051),
    ]
    await publish(bootstrap, topics.CREDITS, partner_id, [*credits, credits[1], credits[3]])
    expected = {
        "monthly_revenue": {
            "value_cents": 420_050,
            "currency": "EUR",
            "month": "2026-11",
            "display": "€4,201",
        },
        "customer_satisfaction": {
            "average": 3.9,
            "sum": 27,
            "count": 7,
            "distribution": {"1": 0, "2": 1, "3": 1, "4": 3, "5": 2},
            "display": "3.9/5",
        },
        "available_credit": {
            "value_cents": 12_051,
            "currency": "EUR",
            "display": "€120",
            "can_use_credit": True,
        },
    }
    # 23:59 on 30 November in Paris, then 00:00 on 1 December: the revenue card rolls over with no event.
    async with projector(settings, now=datetime(2026, 11, 30, 22, 59, tzinfo=UTC)) as client:
        await wait_until(
            dashboard_shows(client, token(partner_id), expected),
            timeout=30,
            message="the dashboard never showed the ratings and credits events",
        )
    read_api = settings.model_copy(update={"role": Role.API})
    async with projector(read_api, now=datetime(2026, 11, 30, 23, 0, tzinfo=UTC)) as client:
        response = await client.get("/v1/dashboard", headers={"Authorization": f"Bearer {token(partner_id)}"})
    cards = response.json()["cards"]
    assert cards["monthly_revenue"] == {
        "value_cents": 0,
        "currency": "EUR",
        "month": "2026-12",
        "display": "€0",
    }
    assert cards["customer_satisfaction"] == expected["customer_satisfaction"]
    assert cards["available_credit"] == expected["available_credit"]


async def test_a_restarted_projector_resumes_from_its_stored_positions(
    infrastructure: Endpoints,
    settings: ProjectorSettings,
    redis: Redis,
    events: Events,
    token: Callable[..., str],
) -> None:
    first = [events.customer("cust-1"), *events.approved_job("inst-1"), events.handyman("hm-1")]
    await publish(infrastructure.kafka_bootstrap, topics.INSTALLATIONS, events.partner_id, first)
    async with projector(settings) as client:
        await wait_until(dashboard_shows(client, token(events.partner_id), cards(1, 1, 1, 1, 1)), timeout=30)

    second = [
        events.customer("cust-2"),
        events.handyman("hm-1", "BUSY", version=2),
        *first,  # redelivered: changes nothing
    ]
    sent = await publish(infrastructure.kafka_bootstrap, topics.INSTALLATIONS, events.partner_id, second)
    # The stored position is what the projector trusts: make it say cust-2 is applied already. A projector
    # that resumes from it never applies cust-2; one that read the topic from its start would count it.
    partition, offset = sent[0]
    store = ProjectionStore(
        redis, await live_generation(redis, settings.redis_namespace), settings.redis_namespace
    )
    await store.apply(Batch([], {TopicPartition(topics.INSTALLATIONS, partition): Span(offset, offset + 1)}))
    await store.flush()
    restarted = settings.model_copy(update={"consumer_group_id": f"{settings.consumer_group_id}-again"})
    async with projector(restarted) as client:
        await wait_until(
            position_reached(client, ops_header(token), partition, sent[-1][1] + 1),
            timeout=30,
            message="the restarted projector did not read the new events",
        )
        assert await dashboard_shows(client, token(events.partner_id), cards(1, 1, 1, 0, 1))()


def position_reached(
    client: httpx.AsyncClient, headers: dict[str, str], partition: int, offset: int
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        status = (await client.get("/v1/ops/projection", headers=headers)).json()
        positions = {(p["topic"], p["partition"]): p["position"] for p in status["partitions"]}
        return positions.get((topics.INSTALLATIONS, partition), 0) >= offset

    return check


async def test_rejected_messages_go_to_the_dead_letter_topic_and_later_events_still_count(
    infrastructure: Endpoints, settings: ProjectorSettings, events: Events, token: Callable[..., str]
) -> None:
    unknown_type = json.loads(events.customer("cust-x").to_json()) | {"event_type": "CustomerTeleported"}
    invalid = json.loads(events.customer("cust-y").to_json())
    del invalid["data"]["email"]
    rejected = [b'{"event_id": "not json', json.dumps(unknown_type).encode(), json.dumps(invalid).encode()]
    sent = await publish(
        infrastructure.kafka_bootstrap,
        topics.INSTALLATIONS,
        events.partner_id,
        [events.customer("cust-1"), *rejected, events.customer("cust-2")],
    )

    async with projector(settings) as client:
        await wait_until(
            dashboard_shows(
                client, token(events.partner_id), {"total_customers": {"value": 2, "display": "2"}}
            ),
            timeout=30,
        )
    sources = [(topics.INSTALLATIONS, partition, offset) for partition, offset in sent[1:4]]
    found = await dead_letters_of(infrastructure.kafka_bootstrap, sources)
    letters = [found[source] for source in sources]

    reasons = [letter.reason for letter in letters]
    assert reasons[0].startswith("malformed JSON")
    assert reasons[1] == "unknown event type 'CustomerTeleported'"
    assert reasons[2].startswith("invalid data.email")
    for letter, original, (partition, offset) in zip(letters, rejected, sent[1:4], strict=True):
        assert letter.original == original
        assert (letter.source_topic, letter.source_partition, letter.source_offset) == (
            topics.INSTALLATIONS,
            partition,
            offset,
        )
        assert letter.source_key_base64 == base64.b64encode(events.partner_id.encode()).decode()
        assert letter.consumer == "kpi-projector"


def ops_header(token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('heyzack', 'ops')}"}
