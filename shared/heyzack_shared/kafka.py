"""Kafka plumbing every process shares: topic creation, the producer settings, waiting for a broker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

KEEP_FOREVER = {"retention.ms": "-1"}


async def create_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int = 6,
    *,
    replication_factor: int = 1,
) -> None:
    """Create the topics that do not exist yet, kept forever. Safe to call from several processes at once."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, partitions, replication_factor, topic_configs=KEEP_FOREVER)
            for name in dict.fromkeys(names)
            if name not in existing
        ]
        if missing:
            response = await admin.create_topics(missing)
            _raise_topic_errors(response.topic_errors)
    finally:
        await admin.close()


def _raise_topic_errors(topic_errors: list[tuple[Any, ...]]) -> None:
    for name, code, *message in topic_errors:
        error = for_code(code) if code else None
        if error is not None and error is not TopicAlreadyExistsError:
            raise error(f"could not create topic {name}: {message[0] if message else ''}")


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
