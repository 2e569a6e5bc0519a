"""One transaction per use case: state and the events it emits commit together, or not at all."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from heyzack_shared import outbox
from heyzack_shared.envelope import Envelope
from heyzack_shared.idempotency import Answer, IdempotencyKey, IdempotencyKeys


class UnitOfWork:
    """Rolls back on exit unless `commit()` was called; `emit` writes events in the same transaction.

    A service subclasses it and builds its repositories on the transaction's connection in `bind`.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    def bind(self, conn: PoolConnectionProxy) -> None:
        """Build the service's repositories on the connection of this unit of work."""

    async def __aenter__(self) -> Self:
        self._conn: PoolConnectionProxy = await self._pool.acquire()
        self._transaction: Transaction = self._conn.transaction()
        try:
            await self._transaction.start()
        except BaseException:
            await self._pool.release(self._conn)
            raise
        self._committed = False
        self.bind(self._conn)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                await self._transaction.rollback()
        finally:
            await self._pool.release(self._conn)

    async def emit(self, *events: Envelope | None) -> None:
        """Record the events that happened; None stands for "nothing changed" and is skipped."""
        emitted = [event for event in events if event is not None]
        if emitted:
            await outbox.append(self._conn, emitted)

    async def replay(self, key: IdempotencyKey | None) -> Answer | None:
        """Claim the request's Idempotency-Key (if it has one) for this unit of work: None to go ahead, or
        the answer its first request stored, to be given again instead of acting twice. Call it first."""
        return None if key is None else await IdempotencyKeys(self._conn).claim(key)

    async def answer(self, key: IdempotencyKey | None, answer: Answer) -> Answer:
        """Store the answer under the claimed key, if any, to commit with the effect; returns it."""
        if key is not None:
            await IdempotencyKeys(self._conn).answer(key, answer)
        return answer

    async def claim(self, *key: str) -> None:
        """Hold `key` until this unit of work ends (a transaction-level advisory lock), so units of work
        claiming the same key run one after the other: e.g. two imports of one record, where the second must
        find the first's row rather than both finding none."""
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "\x1f".join(key))

    async def commit(self) -> None:
        await self._transaction.commit()
        self._committed = True
