from __future__ import annotations

from asyncpg.pool import PoolConnectionProxy

from heyzack_shared import unit_of_work
from ratings.repository import Issues, KnownInstallations, Ratings, Surveys


class UnitOfWork(unit_of_work.UnitOfWork):
    installations: KnownInstallations
    ratings: Ratings
    surveys: Surveys
    issues: Issues

    def bind(self, conn: PoolConnectionProxy) -> None:
        self.installations = KnownInstallations(conn)
        self.ratings = Ratings(conn)
        self.surveys = Surveys(conn)
        self.issues = Issues(conn)
