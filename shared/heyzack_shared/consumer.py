"""The consume path every consumer shares, on FastStream: a batch subscriber on the consumer's topics whose
handler (`FencedBatches`) parses each fetch and has a sink apply it exactly once in effect.

- **Positions live in the sink's own store**, written in the same atomic write as the effects (the
  subscriber commits nothing to Kafka: `AckPolicy.MANUAL`). On assignment the partitions are paused, the
  stored positions read (they stay paused while the store cannot be read), sought, and resumed.
- **The offset fence, write-behind and poison isolation**: see fenced_batches.py; where a partition
  resumes, and when its log is new: resume.py, checked on every assignment and every `check_interval` s.
- **FastStream does no per-record work**: its decoder hands over aiokafka's raw records. FastStream would
  log and swallow a handler's exception and fetch on: the handler lets none escape.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy

from heyzack_shared.batches import EventSink
from heyzack_shared.broker_watch import BrokerWatch
from heyzack_shared.contracts.topics import DEADLETTER
from heyzack_shared.dead_letters import DeadLetters
from heyzack_shared.fenced_batches import STOP_TIMEOUT, FencedBatches, pause_unless_stopped
from heyzack_shared.service import stoppable

_log = logging.getLogger(__name__)


class _TopicsAreOurs(logging.Filter):
    """FastStream warns on every start that it creates no topics: by design, ours are created with their
    partitions and retention by heyzack_shared.kafka."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Auto create topics is disabled" not in record.getMessage()


_faststream_log = logging.getLogger("heyzack_shared.consumer.faststream")
_faststream_log.addFilter(_TopicsAreOurs())


@dataclass(frozen=True)
class ConsumerConfig:
    name: str
    bootstrap: str
    topics: Sequence[str]
    group_id: str
    max_records: int = 5000
    batch_timeout_ms: int = 100
    restart_delay: float = 1.0
    check_interval: float = 2.0
    """Seconds between checks that the broker, and the store, still hold what the positions refer to."""
    log_check_interval: float = 30.0
    """Seconds between checks that no stored position lies beyond its log's end (see resume.py)."""


def consuming(config: ConsumerConfig, sink: EventSink) -> AbstractAsyncContextManager[None]:
    """Consume into `sink` while the block runs; on the way out, stop after the batch in hand, within a
    bounded time (FastStream's own stop waits for the broker without a limit)."""
    return stoppable(
        lambda stop: _consume(config, sink, stop), f"consumer {config.name}", timeout=STOP_TIMEOUT + 5
    )


async def _consume(config: ConsumerConfig, sink: EventSink, stop: asyncio.Event) -> None:
    """Start a FastStream broker with the fenced batch subscriber, trying again while Kafka is unreachable;
    once started, FastStream and aiokafka reconnect by themselves."""
    while not stop.is_set():
        broker, handler = fenced_subscriber(config, sink, stop)
        try:
            await broker.start()
        except (KafkaError, OSError):
            _log.exception(
                "consumer %s could not start; trying again in %.1fs", config.name, config.restart_delay
            )
            await _bounded(broker.stop(), config.name)
            await pause_unless_stopped(stop, config.restart_delay)
            continue
        try:
            while not stop.is_set():
                await pause_unless_stopped(stop, config.check_interval)
                if not stop.is_set():
                    await handler.check()
        finally:
            await _bounded(broker.stop(), config.name)
            await handler.close()


def fenced_subscriber(
    config: ConsumerConfig, sink: EventSink, stop: asyncio.Event
) -> tuple[KafkaBroker, FencedBatches]:
    """A FastStream broker (not started) with one batch subscriber on the consumer's topics, handled by
    `FencedBatches` into `sink`."""
    broker = KafkaBroker(
        config.bootstrap,
        client_id=f"heyzack-{config.name}",
        logger=_faststream_log,  # the services' log format, not FastStream's coloured one
        apply_types=False,  # the handler takes the raw records: no per-record work in FastStream
        allow_auto_create_topics=False,  # topics come from heyzack_shared.kafka, with their partitions
        log_level=logging.DEBUG,  # FastStream's "received/processed" lines, once per batch
        graceful_timeout=STOP_TIMEOUT,
        metadata_max_age_ms=5000,  # a topic re-created (after a broker lost it) is assigned within seconds
    )
    watch = BrokerWatch(config.bootstrap, [*config.topics, DEADLETTER])
    letters = DeadLetters(broker, config.name, stop)
    handler = FencedBatches(
        config.name, sink, letters, stop, watch, log_check_interval=config.log_check_interval
    )
    subscriber = broker.subscriber(
        *config.topics,
        group_id=config.group_id,
        batch=True,
        max_records=config.max_records,
        batch_timeout_ms=config.batch_timeout_ms,
        ack_policy=AckPolicy.MANUAL,
        listener=handler.listener,
        decoder=_raw_records,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    subscriber(handler.handle)
    handler.subscriber = subscriber
    return broker, handler


async def _raw_records(message: StreamMessage[Any]) -> Any:
    """The batch's aiokafka records as they came (topic, partition and offset kept); async, so that
    FastStream calls it in the loop rather than in a thread."""
    return message.raw_message


async def _bounded(stopping: Awaitable[None], name: str) -> None:
    try:
        await asyncio.wait_for(stopping, STOP_TIMEOUT)
    except TimeoutError:
        _log.warning("consumer %s did not stop within %.0fs; abandoning its connections", name, STOP_TIMEOUT)
