"""One transaction per use case: state, ledger, idempotency key and events commit together, or not at all."""

from __future__ import annotations

from asyncpg.pool import PoolConnectionProxy

from credits.repository import (
    Connection,
    Installations,
    Ledger,
    MonthlyRevenue,
    Partners,
    Sales,
)
from heyzack_shared import outbox, unit_of_work
from heyzack_shared.envelope import Envelope


class Stores:
    """The repositories and the outbox, bound to one connection inside a transaction someone else owns."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.partners = Partners(conn)
        self.ledger = Ledger(conn)
        self.sales = Sales(conn)
        self.revenue = MonthlyRevenue(conn)
        self.installations = Installations(conn)

    async def emit(self, events: list[Envelope]) -> None:
        if events:
            await outbox.append(self._conn, events)


class UnitOfWork(unit_of_work.UnitOfWork):
    stores: Stores

    def bind(self, conn: PoolConnectionProxy) -> None:
        self.stores = Stores(conn)
