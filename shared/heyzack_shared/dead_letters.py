"""Publishing what a consumer could not take to the dead-letter topic, with why and where it came from."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from datetime import UTC, datetime

from faststream.kafka import KafkaBroker

from heyzack_shared import consumer_metrics as metrics
from heyzack_shared.batches import Delivery, Record, Rejected
from heyzack_shared.contracts.deadletter import DeadLetter
from heyzack_shared.transient import backoff, is_transient

_log = logging.getLogger(__name__)

REASON_LIMIT = 2000
"""Characters of an error message kept in a dead letter's reason (a hostile record can make them huge)."""
ORIGINAL_LIMIT = 512 * 1024
KEY_LIMIT = 64 * 1024
"""Bytes of the original kept in a dead letter: in base64 (+33%) it still fits a 1 MiB Kafka message."""


class DeadLetters:
    def __init__(self, broker: KafkaBroker, consumer: str, stop: asyncio.Event) -> None:
        self._broker = broker
        self._consumer = consumer
        self._stop = stop

    async def reject(self, rejected: list[Rejected]) -> None:
        """Messages that are not valid events of the contract (the reason says which rule they broke)."""
        for message in rejected:
            kind = message.reason.split(" ", 1)[0]  # malformed, unknown, missing or invalid
            await self._publish(message.record, message.reason, kind)

    async def failed(self, delivery: Delivery, error: Exception) -> None:
        """A valid event that could not be applied: the reason is the error's type and message."""
        record = delivery.record
        if record is None:
            raise error  # an event that did not come from Kafka has nowhere to be re-driven from
        reason = f"could not apply: {type(error).__name__}: {error}"
        await self._publish(record, reason[:REASON_LIMIT], f"apply:{type(error).__name__}")

    async def _publish(self, record: Record, reason: str, kind: str) -> None:
        original = record.value or b""
        letter = DeadLetter(
            reason=reason,
            consumer=self._consumer,
            source_topic=record.topic,
            source_partition=record.partition,
            source_offset=record.offset,
            source_key_base64=base64.b64encode(record.key[:KEY_LIMIT]).decode() if record.key else None,
            original_base64=base64.b64encode(original[:ORIGINAL_LIMIT]).decode(),
            rejected_at=datetime.now(UTC),
            original_size=len(original) if len(original) > ORIGINAL_LIMIT else None,
        )
        key = record.key if record.key is None or len(record.key) <= KEY_LIMIT else None
        await self._send(letter.model_dump_json().encode(), key)
        metrics.dead_letters.labels(self._consumer, kind).inc()
        _log.warning(
            "dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason[:200]
        )

    async def _send(self, value: bytes, key: bytes | None) -> None:
        """Until the broker has it: the consumer's position must never pass a letter that went nowhere."""
        attempt = 0
        while True:
            try:
                await self._broker.publish(value, DeadLetter.topic, key=key)
                return
            except Exception as error:
                if not is_transient(error) or self._stop.is_set():
                    raise
                delay = backoff(attempt)
                attempt += 1
                _log.warning("dead-letter topic unreachable (%r); retrying in %.2fs", error, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
