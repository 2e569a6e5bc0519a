"""Reading and writing the credits tables on the unit of work's connection. Never commits: the use case does.

Every query names the partner. `Partners.lock` is the one serialisation point of a partner: the sales it
records, its month totals, its ledger and its event versions all change under that row lock.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from credits.domain import CreditEntry, Partner, Sale

Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy


class Partners:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, partner_id: str) -> Partner:
        row = await self._conn.fetchrow(
            "SELECT partner_id, balance_cents, version FROM partners WHERE partner_id = $1", partner_id
        )
        return Partner.of(partner_id) if row is None else Partner.of(**dict(row))

    async def lock(self, partner_id: str) -> Partner:
        """The partner, created empty if new, its row locked until the transaction ends."""
        await self._conn.execute(
            "INSERT INTO partners (partner_id) VALUES ($1) ON CONFLICT DO NOTHING", partner_id
        )
        row = await self._conn.fetchrow(
            "SELECT partner_id, balance_cents, version FROM partners WHERE partner_id = $1 FOR UPDATE",
            partner_id,
        )
        assert row is not None
        return Partner.of(**dict(row))

    async def save(self, partner: Partner) -> None:
        await self._conn.execute(
            "UPDATE partners SET balance_cents = $2, version = $3, updated_at = now() WHERE partner_id = $1",
            partner.partner_id,
            partner.balance_cents,
            partner.version,
        )


class Ledger:
    _COLUMNS = (
        "seq, entry_id, partner_id, kind, amount_cents, balance_after_cents, shopify_order_ref,"
        " cart_total_cents, sale_id, occurred_at"
    )

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def append(self, entry: CreditEntry) -> None:
        await self._conn.execute(
            "INSERT INTO credit_entries (entry_id, partner_id, kind, amount_cents, balance_after_cents,"
            " shopify_order_ref, cart_total_cents, sale_id, occurred_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            entry.entry_id,
            entry.partner_id,
            entry.kind,
            entry.amount_cents,
            entry.balance_after_cents,
            entry.shopify_order_ref,
            entry.cart_total_cents,
            entry.sale_id,
            entry.occurred_at,
        )

    async def page(
        self, partner_id: str, *, limit: int, before: int | None
    ) -> tuple[list[CreditEntry], int | None]:
        """Up to `limit` entries, newest first, older than position `before`; and the next page's position."""
        rows = await self._conn.fetch(
            f"SELECT {self._COLUMNS} FROM credit_entries WHERE partner_id = $1 AND ($2::bigint IS NULL"
            " OR seq < $2) ORDER BY seq DESC LIMIT $3",
            partner_id,
            before,
            limit + 1,
        )
        entries = [CreditEntry(**{k: v for k, v in dict(row).items() if k != "seq"}) for row in rows[:limit]]
        following = rows[limit - 1]["seq"] if len(rows) > limit else None
        return entries, following


class Sales:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, sale: Sale, month: str) -> bool:
        """Record the sale; False if this sale id was recorded before (and nothing was written)."""
        added = await self._conn.fetchval(
            "INSERT INTO sales (partner_id, sale_id, source, amount_cents, occurred_at, month)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
            sale.partner_id,
            sale.sale_id,
            sale.source.value,
            sale.amount_cents,
            sale.occurred_at,
            month,
        )
        return bool(added)


class MonthlyRevenue:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def total(self, partner_id: str, month: str) -> int:
        total = await self._conn.fetchval(
            "SELECT total_cents FROM monthly_revenue WHERE partner_id = $1 AND month = $2", partner_id, month
        )
        return int(total or 0)

    async def save(self, partner_id: str, month: str, total_cents: int, tier: str) -> None:
        await self._conn.execute(
            "INSERT INTO monthly_revenue (partner_id, month, total_cents, tier) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (partner_id, month) DO UPDATE SET total_cents = $3, tier = $4",
            partner_id,
            month,
            total_cents,
            tier,
        )


class Installations:
    """Price and approval of each installation, as learned from its events; either may arrive first."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def priced(
        self, partner_id: str, installation_id: str, price_cents: int, version: int
    ) -> datetime | None:
        """Keep the price of the newest version seen; returns the row's approval moment (or None)."""
        approved_at: datetime | None = await self._conn.fetchval(
            "INSERT INTO installations (partner_id, installation_id, price_cents, price_version)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (partner_id, installation_id) DO UPDATE SET"
            " price_cents = CASE WHEN installations.price_version IS NULL OR installations.price_version < $4"
            " THEN $3 ELSE installations.price_cents END,"
            " price_version = GREATEST(installations.price_version, $4)"
            " RETURNING approved_at",
            partner_id,
            installation_id,
            price_cents,
            version,
        )
        return approved_at

    async def approved(self, partner_id: str, installation_id: str, at: datetime) -> int | None:
        """Note the approval (the first one counts); returns the known price, or None if not known yet."""
        price = await self._conn.fetchval(
            "INSERT INTO installations (partner_id, installation_id, approved_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (partner_id, installation_id) DO UPDATE SET"
            " approved_at = COALESCE(installations.approved_at, $3) RETURNING price_cents",
            partner_id,
            installation_id,
            at,
        )
        return None if price is None else int(price)
