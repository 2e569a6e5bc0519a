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
        self._reply: asyncio.Task[None] | None = None

    async def submit(self, keys: Sequence[str], args: Sequence[str | bytes]) -> None:
        """Collect the previous call's outcome (raising its error), then send this call; don't wait for it."""
        await self.wait()
        connection = await self._connected()
        try:
            await connection.send_command("EVALSHA", self._sha, len(keys), *keys, *args)
        except BaseException:
            await self._drop()
            raise
        self._reply = asyncio.create_task(self._outcome(connection, keys, args))
        self._reply.add_done_callback(_report_failure)

    async def wait(self) -> None:
        """Return once the last call has run; raise its error if it failed (the call is then forgotten).

        Several callers may wait for the same call (the consumer's next batch and a rebalance asking for
        positions); a caller cancelled while waiting leaves the call running.
        """
        reply = self._reply
        if reply is None:
            return
        await asyncio.wait([reply])
        if self._reply is reply:
            self._reply = None
            if reply.cancelled() or reply.exception() is not None:
                await self._drop()
        reply.result()

    async def close(self) -> None:
        if self._reply is not None:
            self._reply.cancel()
            await asyncio.gather(self._reply, return_exceptions=True)
            self._reply = None
        await self._drop()

    async def _outcome(
        self, connection: AbstractConnection, keys: Sequence[str], args: Sequence[str | bytes]
    ) -> None:
        try:
            await connection.read_response()
        except NoScriptError:  # a Redis that restarted or flushed its scripts since: send the source
            await connection.send_command("EVAL", self._script, len(keys), *keys, *args)
            await connection.read_response()

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


def _report_failure(reply: asyncio.Task[None]) -> None:
    """Say at once that a call failed; the caller's next `submit` or `wait` raises it."""
    if not reply.cancelled() and (error := reply.exception()) is not None:
        _log.error("a write-behind script call failed: %r", error)
