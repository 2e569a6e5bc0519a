"""Loading and saving entities on the unit of work's connection. Never commits: the use case does.

Every query names the partner, so one partner can never read or change another's rows. `lock=True`
reads with `SELECT ... FOR UPDATE`: concurrent commands on one entity then run one after the other.
"""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from heyzack_shared.contracts.installations import DeviceType, InstallationStatus
from ratings.domain import AlreadyRated, Issue, KnownInstallation, Rating, Survey

Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy


def _locking(lock: bool) -> str:
    return " FOR UPDATE" if lock else ""


class KnownInstallations:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(
        self, partner_id: str, installation_id: str, *, lock: bool = False
    ) -> KnownInstallation | None:
        row = await self._conn.fetchrow(
            "SELECT partner_id, installation_id, customer_id, handyman_id, device_type, status, version,"
            " status_version, handyman_version FROM known_installations"
            " WHERE partner_id = $1 AND installation_id = $2" + _locking(lock),
            partner_id,
            installation_id,
        )
        if row is None:
            return None
        fields = dict(row)
        device_type, status = fields.pop("device_type"), fields.pop("status")
        return KnownInstallation(
            **fields,
            device_type=None if device_type is None else DeviceType(device_type),
            status=None if status is None else InstallationStatus(status),
        )

    async def save(self, known: KnownInstallation) -> None:
        await self._conn.execute(
            "INSERT INTO known_installations (partner_id, installation_id, customer_id, handyman_id,"
            " device_type, status, version, status_version, handyman_version)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (partner_id, installation_id) DO UPDATE SET customer_id = $3, handyman_id = $4,"
            " device_type = $5, status = $6, version = $7, status_version = $8, handyman_version = $9,"
            " updated_at = now()",
            known.partner_id,
            known.installation_id,
            known.customer_id,
            known.handyman_id,
            None if known.device_type is None else known.device_type.value,
            None if known.status is None else known.status.value,
            known.version,
            known.status_version,
            known.handyman_version,
        )


class Ratings:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, partner_id: str, rating_id: str) -> Rating | None:
        row = await self._conn.fetchrow(
            "SELECT partner_id, id, installation_id, customer_id, handyman_id, device_type, stars, comment,"
            " version FROM ratings WHERE partner_id = $1 AND id = $2",
            partner_id,
            rating_id,
        )
        if row is None:
            return None
        fields = dict(row)
        return Rating(**fields | {"device_type": DeviceType(fields["device_type"])})

    async def add(self, rating: Rating) -> None:
        """Raises AlreadyRated when the installation has a rating, even one committed a moment ago."""
        try:
            await self._conn.execute(
                "INSERT INTO ratings (partner_id, id, installation_id, customer_id, handyman_id,"
                " device_type, stars, comment, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                rating.partner_id,
                rating.id,
                rating.installation_id,
                rating.customer_id,
                rating.handyman_id,
                rating.device_type.value,
                rating.stars,
                rating.comment,
                rating.version,
            )
        except asyncpg.UniqueViolationError:
            raise AlreadyRated(rating.installation_id) from None


class Surveys:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, partner_id: str, survey_id: str, *, lock: bool = False) -> Survey | None:
        row = await self._conn.fetchrow(
            "SELECT partner_id, id, customer_id, installation_id, sent_at, nps_score, comment, answered_at,"
            " version FROM surveys WHERE partner_id = $1 AND id = $2" + _locking(lock),
            partner_id,
            survey_id,
        )
        return None if row is None else Survey(**dict(row))

    async def save(self, survey: Survey) -> None:
        await self._conn.execute(
            "INSERT INTO surveys (partner_id, id, customer_id, installation_id, sent_at, nps_score, comment,"
            " answered_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (partner_id, id) DO UPDATE SET nps_score = $6, comment = $7, answered_at = $8,"
            " version = $9",
            survey.partner_id,
            survey.id,
            survey.customer_id,
            survey.installation_id,
            survey.sent_at,
            survey.nps_score,
            survey.comment,
            survey.answered_at,
            survey.version,
        )


class Issues:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, partner_id: str, issue_id: str, *, lock: bool = False) -> Issue | None:
        row = await self._conn.fetchrow(
            "SELECT partner_id, id, customer_id, installation_id, summary, reported_at, resolved_at, version"
            " FROM issues WHERE partner_id = $1 AND id = $2" + _locking(lock),
            partner_id,
            issue_id,
        )
        return None if row is None else Issue(**dict(row))

    async def save(self, issue: Issue) -> None:
        await self._conn.execute(
            "INSERT INTO issues (partner_id, id, customer_id, installation_id, summary, reported_at,"
            " resolved_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (partner_id, id) DO UPDATE SET resolved_at = $7, version = $8",
            issue.partner_id,
            issue.id,
            issue.customer_id,
            issue.installation_id,
            issue.summary,
            issue.reported_at,
            issue.resolved_at,
            issue.version,
        )
