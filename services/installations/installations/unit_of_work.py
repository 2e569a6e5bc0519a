from __future__ import annotations

from asyncpg.pool import PoolConnectionProxy

from heyzack_shared import unit_of_work
from installations.repository import Customers, Handymen, Installations


class UnitOfWork(unit_of_work.UnitOfWork):
    customers: Customers
    handymen: Handymen
    installations: Installations

    def bind(self, conn: PoolConnectionProxy) -> None:
        self.customers = Customers(conn)
        self.handymen = Handymen(conn)
        self.installations = Installations(conn)
