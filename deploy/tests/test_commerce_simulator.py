"""The commerce simulator (`heyzack-commerce-sim`): what it publishes is valid contract events of one partner.

Here rather than beside the simulator because the workspace collects tests from `services/` and `tests/` only;
the projector is one of the consumers of what it publishes.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from heyzack_shared.contracts import commerce, parse_event, topics
from heyzack_shared.contracts.credits import SaleSource
from heyzack_shared.envelope import Envelope
from heyzack_shared.testing import wait_until
from heyzack_stack.commerce import main, simulate
from heyzack_stack.infra import Endpoints

UNTIL = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_the_simulation_is_deterministic_and_versions_each_aggregate_from_one(partner_id: str) -> None:
    events = simulate(partner_id, orders=30, seed=7, until=UNTIL)
    again = simulate(partner_id, orders=30, seed=7, until=UNTIL)
    other_seed = simulate(partner_id, orders=30, seed=8, until=UNTIL)
    assert [e.to_json() for e in events] == [e.to_json() for e in again]
    assert {e.event_id for e in events}.isdisjoint(e.event_id for e in other_seed)

    versions: dict[str, list[int]] = defaultdict(list)
    for event in events:
        assert event.partner_id == partner_id
        versions[event.aggregate_id].append(event.aggregate_version)
    assert all(found == list(range(1, len(found) + 1)) for found in versions.values())
    assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)

    orders = [e for e in events if isinstance(e, commerce.OrderPlaced)]
    assert len(orders) == 30 and len({o.data.order_id for o in orders}) == 30
    for order in orders:
        assert order.aggregate_id == order.data.order_id
        assert order.data.total_cents == sum(
            line.quantity * line.unit_price_cents for line in order.data.lines
        )
        assert order.data.due_at > order.occurred_at
    sources = {line.source for order in orders for line in order.data.lines}
    assert sources == {SaleSource.PRODUCT_SALES, SaleSource.SERVICE_FEES}
    paid: dict[str, int] = defaultdict(int)
    for payment in (e for e in events if isinstance(e, commerce.PaymentReceived)):
        paid[payment.data.order_id] += payment.data.amount_cents
    totals = {o.data.order_id: o.data.total_cents for o in orders}
    assert all(amount <= totals[order_id] for order_id, amount in paid.items())
    assert 0 < len(paid) < len(orders)  # some orders are still unpaid
    stock = [e for e in events if isinstance(e, commerce.StockLevelChanged)]
    assert all(e.aggregate_id == e.data.sku and e.data.on_hand >= 0 for e in stock)


async def test_the_command_publishes_parseable_events_keyed_by_partner(
    infrastructure: Endpoints, partner_id: str
) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=infrastructure.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        numbers = consumer.partitions_for_topic(topics.COMMERCE) or set()
        partitions = [TopicPartition(topics.COMMERCE, number) for number in numbers]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for partition, end in ends.items():
            consumer.seek(partition, end)

        # The console script's entry point, run in a worker thread since it runs its own event loop.
        arguments = ["--partner", partner_id, "--orders", "5", "--seed", "3", "--until", UNTIL.isoformat()]
        await asyncio.to_thread(main, [*arguments, "--bootstrap", infrastructure.kafka_bootstrap])

        simulated = simulate(partner_id, orders=5, seed=3, until=UNTIL)
        expected = len(simulated)
        received: list[Envelope] = []

        async def all_received() -> bool:
            for messages in (await consumer.getmany(timeout_ms=200)).values():
                for message in messages:
                    if message.key == partner_id.encode():
                        received.append(parse_event(message.value))
            return len(received) >= expected

        await wait_until(all_received, timeout=30, message="the simulator's events never arrived")
    finally:
        await consumer.stop()

    # The partner id seeds the simulation too: which kinds of event five orders yield varies between runs.
    assert [event.to_json() for event in received] == [event.to_json() for event in simulated]
    assert commerce.OrderPlaced in {type(event) for event in received}
    assert all(event.partner_id == partner_id and event.producer == "commerce" for event in received)
