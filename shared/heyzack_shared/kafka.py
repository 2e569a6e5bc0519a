"""Kafka plumbing every process shares: topic creation, the producer settings, waiting for a broker.

Topics are the platform's: created here, with `PARTITIONS` partitions and kept forever, never by the broker
on a client's metadata request (see `_NoTopicCreation`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import aiokafka.admin.client
import aiokafka.client
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code
from aiokafka.protocol.metadata import MetadataRequest

KEEP_FOREVER = {"retention.ms": "-1"}
PARTITIONS = 6
"""Partitions of every topic of the platform (a partner's events keep their order within one)."""

_log = logging.getLogger(__name__)


class _NoTopicCreation(MetadataRequest):  # type: ignore[misc]
    """aiokafka asks for a topic's metadata with `allow_auto_topic_creation` on, and a broker that allows it
    (the embedded one does, with 4 partitions and its default retention) then creates a missing topic on the
    spot: after a broker lost its topics, whichever client asked first would decide their shape. Every
    aiokafka client of a process that imports this module asks with it off."""

    def __init__(self, topics: list[str] | None = None, allow_auto_topic_creation: bool = False) -> None:
        super().__init__(topics, allow_auto_topic_creation)


aiokafka.client.MetadataRequest = _NoTopicCreation
aiokafka.admin.client.MetadataRequest = _NoTopicCreation


async def create_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int = PARTITIONS,
    *,
    replication_factor: int = 1,
) -> None:
    """Create the topics that do not exist yet, kept forever. Safe to call from several processes at once."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await ensure_topics(admin, dict.fromkeys(names, partitions), replication_factor=replication_factor)
    finally:
        await admin.close()


async def ensure_topics(
    admin: AIOKafkaAdminClient, wanted: Mapping[str, int], *, replication_factor: int = 1
) -> list[str]:
    """Create those of `wanted` (name → partitions) that do not exist, kept forever; returns the names it
    created. A topic someone else created meanwhile with other partitions is reported as an error."""
    existing = await admin.list_topics()
    missing = [name for name in wanted if name not in existing]
    if not missing:
        return []
    response = await admin.create_topics(
        [NewTopic(name, wanted[name], replication_factor, topic_configs=KEEP_FOREVER) for name in missing]
    )
    raced = _raise_topic_errors(response.topic_errors)
    if raced:
        await _report_other_shapes(admin, {name: wanted[name] for name in raced})
    return [name for name in missing if name not in raced]


def _raise_topic_errors(topic_errors: list[tuple[Any, ...]]) -> list[str]:
    """Raise the first real error; returns the topics that already existed."""
    existed = []
    for name, code, *message in topic_errors:
        error = for_code(code) if code else None
        if error is TopicAlreadyExistsError:
            existed.append(name)
        elif error is not None:
            raise error(f"could not create topic {name}: {message[0] if message else ''}")
    return existed


async def _report_other_shapes(admin: AIOKafkaAdminClient, wanted: Mapping[str, int]) -> None:
    for topic in await admin.describe_topics(list(wanted)):
        found = len(topic["partitions"])
        if found != wanted[topic["topic"]]:
            _log.error(
                "topic %s was created by another client with %d partitions instead of %d: a partner's events"
                " may now be spread over partitions differently; re-create it with %d",
                topic["topic"],
                found,
                wanted[topic["topic"]],
                wanted[topic["topic"]],
            )


def new_producer(bootstrap: str) -> AIOKafkaProducer:
    """A producer that waits for all in-sync replicas; not started (the caller owns its lifecycle).

    Not idempotent: the embedded Tansu broker rejects idempotent producers. Ordering and exactly-once
    effect come from aggregate versions and consumer-side dedupe instead.
    """
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        linger_ms=5,
    )


async def ping_kafka(bootstrap: str, *, timeout: float = 5.0) -> None:
    """One metadata round trip; raises KafkaError or TimeoutError when no broker answers."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        async with asyncio.timeout(timeout):
            await admin.start()
            await admin.list_topics()
    finally:
        await admin.close()


async def wait_for_kafka(bootstrap: str, timeout: float = 30.0) -> None:
    """Return once a broker at `bootstrap` answers a metadata request; TimeoutError after `timeout` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            await ping_kafka(bootstrap, timeout=min(5.0, max(0.5, deadline - loop.time())))
            return
        except (KafkaError, OSError) as error:
            if loop.time() >= deadline:
                raise TimeoutError(f"no Kafka broker answered at {bootstrap}: {error!r}") from error
        await asyncio.sleep(0.2)
