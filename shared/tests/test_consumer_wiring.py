"""The consumer's FastStream wiring, on FastStream's in-memory test broker: the handler gets the fetch's raw
records, events reach the sink as one batch, and messages that are not events reach the dead-letter topic.

The in-memory broker gives every record partition 0 and offset 0 and never rebalances, so the fence, seeks
and isolation are tested on the real broker (services/kpi-projector/tests/test_consume_path.py)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Collection, Mapping
from typing import Any

from aiokafka import TopicPartition
from faststream.kafka import TestKafkaBroker

from heyzack_shared.batches import Batch, Refused, Span
from heyzack_shared.consumer import ConsumerConfig, fenced_subscriber
from heyzack_shared.contracts import installations, topics
from heyzack_shared.contracts.deadletter import DeadLetter


class Recorded:
    def __init__(self) -> None:
        self.batches: list[Batch] = []

    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        return {}

    async def apply(self, batch: Batch) -> Awaitable[Refused]:
        self.batches.append(batch)
        return asyncio.sleep(0, {})

    async def broker_epoch(self) -> str | None:
        return None

    async def restart(self, epoch: str, partitions: Mapping[TopicPartition, int]) -> None:
        pass


def customer(partner_id: str) -> bytes:
    return installations.CustomerRegistered.new(
        partner_id=partner_id,
        aggregate_id="cus-1",
        aggregate_version=1,
        data=installations.CustomerRegisteredData(
            customer_id="cus-1", name="Ada", email="a@b.c", active=True
        ),
    ).to_json()


async def test_events_reach_the_sink_and_rejected_messages_the_dead_letter_topic() -> None:
    sink, stop = Recorded(), asyncio.Event()
    config = ConsumerConfig("wiring", "127.0.0.1:9092", [topics.INSTALLATIONS], "wiring")
    broker, handler = fenced_subscriber(config, sink, stop)
    letters: list[DeadLetter] = []

    @broker.subscriber(topics.DEADLETTER)
    async def dead_letter(body: dict[str, Any]) -> None:
        letters.append(DeadLetter.model_validate(body))

    unknown = customer("partner-a").replace(b"CustomerRegistered", b"CustomerTeleported")
    async with TestKafkaBroker(broker) as test:
        await test.publish_batch(customer("partner-a"), b"not json", unknown, topic=topics.INSTALLATIONS)
        await handler.close()

    partition = TopicPartition(topics.INSTALLATIONS, 0)
    assert [(b.spans, [d.event.partner_id for d in b.deliveries]) for b in sink.batches] == [
        ({partition: Span(0, 1)}, ["partner-a"])
    ]
    assert [letter.reason for letter in letters] == [
        "malformed JSON: Invalid JSON: expected ident at line 1 column 2",
        "unknown event type 'CustomerTeleported'",
    ]
    assert {letter.consumer for letter in letters} == {"wiring"}
    assert [base64.b64decode(letter.original_base64) for letter in letters] == [b"not json", unknown]
