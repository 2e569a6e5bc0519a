"""Reading the dead-letter topic back in tests: which letters name the given source records."""

from __future__ import annotations

from collections.abc import Collection

from aiokafka import AIOKafkaConsumer, TopicPartition

from heyzack_shared.contracts import topics
from heyzack_shared.contracts.deadletter import DeadLetter
from heyzack_shared.testing import wait_until

Source = tuple[str, int, int]
"""A dead letter's source: topic, partition, offset."""


async def dead_letters_of(
    bootstrap: str, sources: Collection[Source], *, timeout: float = 30.0
) -> dict[Source, DeadLetter]:
    """The dead letter of each source record, read from the topic's beginning; fails when one is missing
    after `timeout` s."""
    found: dict[Source, DeadLetter] = {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topics.DEADLETTER, p)
            for p in consumer.partitions_for_topic(topics.DEADLETTER) or []
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)

        async def all_found() -> bool:
            for messages in (await consumer.getmany(timeout_ms=200)).values():
                for message in messages:
                    letter = DeadLetter.model_validate_json(message.value)
                    source = (letter.source_topic, letter.source_partition, letter.source_offset)
                    if source in sources:
                        found[source] = letter
            return len(found) == len(set(sources))

        await wait_until(all_found, timeout=timeout, message=f"dead letters missing among {sorted(sources)}")
    finally:
        await consumer.stop()
    return found
