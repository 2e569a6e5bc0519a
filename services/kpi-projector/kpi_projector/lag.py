"""End offsets of the consumed partitions, for the ops view of consumer lag.

Under the embedded Tansu broker the high watermark is the base offset of the last record batch + 1, so it can
under-report: lag from here is an estimate for people, never an input to a decision.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

_log = logging.getLogger(__name__)


class EndOffsets:
    """A group-less Kafka client, started on first use so the read API does not need Kafka to serve."""

    def __init__(self, bootstrap: str, timeout: float = 2.0) -> None:
        self._bootstrap = bootstrap
        self._timeout = timeout
        self._client: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()

    async def of(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int] | None:
        """Each partition's end offset, or None when the broker does not answer in time."""
        if not partitions:
            return {}
        try:
            async with asyncio.timeout(self._timeout):
                client = await self._started()
                ends: dict[TopicPartition, int] = await client.end_offsets(list(partitions))
                return ends
        except (KafkaError, OSError, TimeoutError) as error:
            _log.warning("end offsets unavailable: %r", error)
            return None

    async def _started(self) -> AIOKafkaConsumer:
        async with self._lock:
            if self._client is None:
                client = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False)
                try:
                    await client.start()
                except BaseException:
                    await client.stop()
                    raise
                self._client = client
            return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.stop()
            self._client = None
