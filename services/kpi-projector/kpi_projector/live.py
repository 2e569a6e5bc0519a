"""Live updates: which partners' read-models just changed, for the read API's event streams.

One Redis pub/sub connection per read-API process listens to every partner's `changes` channel (the
projector's batch script publishes there) and wakes the streams of that partner. A stream only learns *that*
its partner's figures changed and when; the page then reads them through the ordinary authenticated
endpoints. A wake-up is a flag, not a queue: a burst of batches while a client is slow costs one message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis.asyncio import Redis

from heyzack_shared.service import stoppable
from kpi_projector.keyspace import Keys

_log = logging.getLogger(__name__)
_RECONNECT_SECONDS = 1.0
_READ_SECONDS = 0.1  # how long one read waits: bounds how late the relay sees it should stop
_STOP_SECONDS = 3.0


@dataclass(eq=False)
class Listener:
    """One open stream of a partner: set when the partner's read-models changed since it last looked."""

    woken: asyncio.Event = field(default_factory=asyncio.Event)
    applied_at: str = ""

    async def next_change(self) -> str:
        """Wait for a change; the applied-at time of the latest one."""
        await self.woken.wait()
        self.woken.clear()
        return self.applied_at

    def wake(self, applied_at: str) -> None:
        self.applied_at = applied_at
        self.woken.set()


class PartnerChanges:
    """Fans the projector's change notifications out to the listeners of each partner."""

    def __init__(self, redis: Redis, namespace: str = "hz") -> None:
        self._redis = redis
        self._keys = Keys(namespace)
        self._listeners: dict[str, set[Listener]] = {}
        self.subscribed = asyncio.Event()

    @contextlib.contextmanager
    def listen(self, partner_id: str) -> Iterator[Listener]:
        listener = Listener()
        self._listeners.setdefault(partner_id, set()).add(listener)
        try:
            yield listener
        finally:
            listeners = self._listeners.get(partner_id, set())
            listeners.discard(listener)
            if not listeners:
                self._listeners.pop(partner_id, None)

    async def wait_subscribed(self, timeout: float = 5.0) -> bool:
        """Wait (a little) until notifications flow, so a stream that says `ready` misses none after it."""
        try:
            await asyncio.wait_for(self.subscribed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def listeners(self) -> int:
        return sum(len(listeners) for listeners in self._listeners.values())

    def relaying(self) -> AbstractAsyncContextManager[None]:
        """Relay notifications while the block runs (stopped by a flag: redis-py can swallow a cancel)."""
        return stoppable(self._run, "kpi-projector-live-updates", timeout=_STOP_SECONDS)

    async def _run(self, stop: asyncio.Event) -> None:
        """Relay until stopped; after a failure, reconnect (streams just stay quiet meanwhile)."""
        while not stop.is_set():
            try:
                await self._relay(stop)
            except Exception as error:  # a relay that died would leave every stream silently quiet
                self.subscribed.clear()
                _log.warning("live updates paused, Redis pub/sub failed: %r", error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _RECONNECT_SECONDS)
        self.subscribed.clear()

    async def _relay(self, stop: asyncio.Event) -> None:
        async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
            await pubsub.psubscribe(self._keys.all_changes)
            self.subscribed.set()
            self._wake_everyone()  # after a reconnect: whatever was published meanwhile was missed
            while not stop.is_set():
                message = await pubsub.get_message(timeout=_READ_SECONDS)
                if message is not None and message["type"] == "pmessage":
                    self._wake(self._keys.partner_of_changes(message["channel"]), message["data"])

    def _wake(self, partner_id: str, applied_at: str) -> None:
        for listener in self._listeners.get(partner_id, ()):
            listener.wake(applied_at)

    def _wake_everyone(self) -> None:
        now = datetime.now(UTC).isoformat()
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.wake(now)
