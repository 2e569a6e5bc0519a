"""One Lua script call in flight at a time, sent before the caller moves on, its reply collected later.

The projector's store sends a batch's script call and lets Redis run it while the consumer fetches and parses
the next batch. The call must really be on the wire when `submit` returns, so it is written on a connection of
its own (a command issued in a background task is only written whenever the event loop next gets to it,
which a CPU-busy consumer delays until the very moment it waits for the reply).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError

_log = logging.getLogger(__name__)


class WriteBehindScript:
    def __init__(self, redis: Redis, script: str) -> None:
        self._pool = redis.connection_pool
        self._script = script
        self._sha = hashlib.sha1(script.encode()).hexdigest()
        self._connection: AbstractConnection | None = None
        self._reply: asyncio.Task[Any] | None = None

    async def submit(self, keys: Sequence[str], args: Sequence[str | bytes]) -> asyncio.Task[Any]:
        """Send this call once the previous one has run, and don't wait for it: the task gives its reply.

        The previous call's outcome belongs to whoever holds its task; it is not raised here.
        """
        await self._settled()
        connection = await self._connected()
        try:
            await connection.send_command("EVALSHA", self._sha, len(keys), *keys, *args)
        except BaseException:
            await self._drop()
            raise
        self._reply = asyncio.create_task(self._outcome(connection, keys, args))
        self._reply.add_done_callback(_report_failure)
        return self._reply

    async def wait(self) -> None:
        """Return once the last call has run; raise its error if it failed (the call is then forgotten).

        Several callers may wait for the same call (the consumer and a rebalance asking for positions); a
        caller cancelled while waiting leaves the call running.
        """
        reply = self._reply
        await self._settled()
        if reply is not None:
            reply.result()

    async def _settled(self) -> None:
        """Wait for the last call; after a failure, what is left on its connection is unknown: drop it."""
        reply = self._reply
        if reply is None:
            return
        await asyncio.wait([reply])
        if self._reply is reply:
            self._reply = None
            if reply.cancelled() or reply.exception() is not None:
                await self._drop()

    async def close(self) -> None:
        if self._reply is not None:
            self._reply.cancel()
            await asyncio.gather(self._reply, return_exceptions=True)
            self._reply = None
        await self._drop()

    async def _outcome(
        self, connection: AbstractConnection, keys: Sequence[str], args: Sequence[str | bytes]
    ) -> Any:
        try:
            return await connection.read_response()
        except NoScriptError:  # a Redis that restarted or flushed its scripts since: send the source
            await connection.send_command("EVAL", self._script, len(keys), *keys, *args)
            return await connection.read_response()

    async def _connected(self) -> AbstractConnection:
        if self._connection is None:
            self._connection = await self._pool.get_connection()  # type: ignore[no-untyped-call]
        return self._connection

    async def _drop(self) -> None:
        """Forget the connection: after an error or a cancelled read, what is left on it is unknown."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.disconnect()
            await self._pool.release(connection)


def _report_failure(reply: asyncio.Task[Any]) -> None:
    """Say at once that a call failed (its holder decides what to do about it)."""
    if not reply.cancelled() and (error := reply.exception()) is not None:
        _log.error("a write-behind script call failed: %r", error)
