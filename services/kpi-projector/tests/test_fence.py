"""The store's side of the consume path on real Redis: the offset fence, exact integers, partner keyspaces."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition
from kpi_projector_testkit import Events, batch_of, snapshot, unchecked
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from heyzack_shared.batches import FROM_THE_BEGINNING, Batch, Delivery, Refused, Span
from kpi_projector.read_models import ProjectionStore, ReadModels, live_generation

P0, P1 = TopicPartition("test.installations", 0), TopicPartition("test.installations", 1)


@pytest.fixture
async def store(redis: Redis, namespace: str) -> ProjectionStore:
    return ProjectionStore(redis, await live_generation(redis, namespace), namespace)


async def applied(store: ProjectionStore, batch: Batch) -> Refused:
    return await (await store.apply(batch))


def merged(*batches: Batch) -> Batch:
    return Batch(
        [d for b in batches for d in b.deliveries], {p: s for b in batches for p, s in b.spans.items()}
    )


async def customers(redis: Redis, namespace: str, partner_id: str) -> int:
    return (await ReadModels(redis, namespace).dashboard_counters(partner_id)).get("customer", 0)


async def test_a_batch_off_its_stored_position_writes_nothing_and_is_answered_that_position(
    redis: Redis, store: ProjectionStore, namespace: str, events: Events
) -> None:
    """A zombie member, or a consumer that never sought, sends offsets 1.. of a partition stored at 2: not
    even the batch's good partition is applied, so the consumer can send it again without the other."""
    assert (
        await applied(store, batch_of([events.customer("c1"), events.customer("c2")], first_offset=0)) == {}
    )
    before = await snapshot(redis, namespace)

    stale = batch_of([events.customer("c3")], partition=0, first_offset=1)
    fresh = batch_of([events.customer("c4")], partition=1, first_offset=0)
    assert await applied(store, merged(stale, fresh)) == {P0: 2}
    assert await snapshot(redis, namespace) == before

    assert await applied(store, merged(stale, fresh).without([P0])) == {}
    assert await customers(redis, namespace, events.partner_id) == 3
    assert await store.positions([P0, P1]) == {P0: 2, P1: 1}


async def test_a_late_batch_of_a_revoked_partition_cannot_move_its_position_back(
    redis: Redis, store: ProjectionStore, namespace: str, events: Events
) -> None:
    """Member A sent offsets 0..1 and lost the partition; member B applied 0..1 and 2; A's call runs last."""
    from_a = batch_of([events.customer("c1"), events.customer("c2", version=2)], first_offset=0)
    assert await applied(store, from_a) == {}
    assert await applied(store, batch_of([events.customer("c3")], first_offset=2)) == {}

    assert await applied(store, from_a) == {P0: 3}
    assert await store.positions([P0]) == {P0: 3}
    assert (await ReadModels(redis, namespace).status()).events_handled == 3


async def test_a_store_without_positions_takes_only_a_batch_read_from_the_beginning(
    redis: Redis, store: ProjectionStore, namespace: str, events: Events
) -> None:
    """A store that lost its data (flushed, restarted empty) must not take the next increments as if they
    were the whole history: the consumer is sent back to the beginning and rebuilds it."""
    mid_log = Batch(
        [Delivery(events.customer("c9"), P0.topic, P0.partition, 9)], {P0: Span(9, 10, from_beginning=False)}
    )
    before = await snapshot(redis, namespace)
    assert await applied(store, mid_log) == {P0: FROM_THE_BEGINNING}
    assert await snapshot(redis, namespace) == before

    assert await applied(store, batch_of([events.customer("c0")], first_offset=0)) == {}
    assert await store.positions([P0]) == {P0: 1}


async def test_a_version_past_2_53_fails_the_batch_before_any_write(
    redis: Redis, store: ProjectionStore, namespace: str, events: Events
) -> None:
    """Lua numbers are doubles: 2^53 + 2 would compare equal to 2^53 + 1 and a newer event would be lost."""
    past = events.customer("c2").model_copy(update={"aggregate_version": 2**53 + 2})
    before = await snapshot(redis, namespace)
    with pytest.raises(ResponseError, match=r"not exact: the version of customer c2 is beyond 2\^53"):
        await applied(store, batch_of([events.customer("c1"), past], first_offset=0))
    assert await snapshot(redis, namespace) == before


async def test_an_amount_past_2_53_fails_the_batch_before_any_write(
    redis: Redis, store: ProjectionStore, namespace: str, events: Events
) -> None:
    """Defence in depth: the input policy refuses such amounts as events are read; the script, were one to
    reach it, refuses it too rather than store it wrong."""
    revenue = events.revenue(1, 100, month="2026-11", amount_cents=100)
    huge = unchecked(
        revenue, data=revenue.data.model_copy(update={"amount_cents": 2**60, "month_total_cents": 2**60})
    )
    before = await snapshot(redis, namespace)
    with pytest.raises(ResponseError, match=r"not exact: .* beyond 2\^53"):
        await applied(store, batch_of([huge], first_offset=0))
    assert await snapshot(redis, namespace) == before


async def test_a_partner_id_cannot_name_keys_of_another_partner(
    redis: Redis, store: ProjectionStore, namespace: str
) -> None:
    """The hash tag is the partner's slot and its keyspace: `{`, `}` and `:` in an id are escaped. The input
    policy refuses such ids as events are read; the keys do not rely on it."""
    hostile = "victim}:agg:partner_credits:victim"
    victim, attacker = Events("victim"), Events("attacker")
    await applied(store, batch_of([victim.customer("c1"), victim.credit_earned(1, 500, 500)]))
    victim_keys = await snapshot(redis, namespace)
    attack = [attacker.customer("c1"), attacker.credit_earned(1, 9_999, 9_999)]
    attack[0] = unchecked(attack[0], partner_id=hostile)
    attack[1] = unchecked(attack[1], partner_id=hostile, aggregate_id=hostile)
    await applied(store, batch_of(attack))

    for key in set(await snapshot(redis, namespace)) - set(victim_keys):
        assert "{victim}" not in key, f"{key} is in the victim's keyspace"
    assert {k: v for k, v in (await snapshot(redis, namespace)).items() if "{victim}" in k} == {
        k: v for k, v in victim_keys.items() if "{victim}" in k
    }
    assert await customers(redis, namespace, hostile) == 1
    figures = await ReadModels(redis, namespace).dashboard_figures(
        hostile, "partner_credits", hostile, ["balance_cents"]
    )
    assert figures[1] == {"balance_cents": "9999"}
