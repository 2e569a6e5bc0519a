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
    return await _read(bootstrap, sources, timeout=timeout, to_end=False)


async def dead_letters_among(
    bootstrap: str, sources: Collection[Source], *, timeout: float = 30.0
) -> dict[Source, DeadLetter]:
    """Every dead letter now in the topic (read to its current end) whose source is one of `sources`: once
    the records after them took effect, exactly those that were dead-lettered."""
    return await _read(bootstrap, sources, timeout=timeout, to_end=True)


async def _read(
    bootstrap: str, sources: Collection[Source], *, timeout: float, to_end: bool
) -> dict[Source, DeadLetter]:
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
        ends = await consumer.end_offsets(partitions) if to_end else {}

        async def done() -> bool:
            for messages in (await consumer.getmany(timeout_ms=200)).values():
                for message in messages:
                    letter = DeadLetter.model_validate_json(message.value)
                    source = (letter.source_topic, letter.source_partition, letter.source_offset)
                    if source in sources:
                        found[source] = letter
            if to_end:
                return all([await consumer.position(p) >= end for p, end in ends.items()])
            return len(found) == len(set(sources))

        what = "the dead-letter topic was not read to its end" if to_end else "dead letters missing"
        await wait_until(done, timeout=timeout, message=f"{what} among {sorted(sources)}")
    finally:
        await consumer.stop()
    return found


def apply_error(letter: DeadLetter) -> str:
    """The exception type of a letter whose event could not apply (`DataError`); the reason up to its first
    colon for a message that is not a valid event (`invalid data.price_cents`, `malformed JSON`)."""
    prefix = "could not apply: "
    return letter.reason.removeprefix(prefix).split(":", 1)[0]
