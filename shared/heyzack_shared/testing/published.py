"""Reading back what was published under one key (a partner's events), from the topic's beginning."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer


class PublishedUnder:
    """The records of `topic` whose key is `key`, read from the beginning by a consumer of no group: each
    `read()` adds what has arrived since and returns them all, in the order read."""

    def __init__(self, bootstrap: str, topic: str, key: str) -> None:
        self.records: list[Any] = []
        self._key = key.encode()
        self._consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")

    async def __aenter__(self) -> Self:
        await self._consumer.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self._consumer.stop()

    async def read(self) -> list[Any]:
        for messages in (await self._consumer.getmany(timeout_ms=100)).values():
            self.records.extend(message for message in messages if message.key == self._key)
        return self.records


__all__ = ["PublishedUnder"]
