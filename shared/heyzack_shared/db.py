"""PostgreSQL access: the pool, migrations applied in order, once, under an advisory lock, and the broker
epochs a service's records refer to."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from asyncpg.pool import PoolConnectionProxy

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 7_211_001

_log = logging.getLogger(__name__)


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
    assert pool is not None
    return pool


@asynccontextmanager
async def database(url: str, *migration_dirs: Path) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a migrated database, closed on exit. Shared migrations (the outbox) come first."""
    pool = await create_pool(url)
    try:
        await migrate(pool, SHARED_MIGRATIONS, *migration_dirs)
        yield pool
    finally:
        await close_pool(pool)


async def close_pool(pool: asyncpg.Pool, timeout: float = 10.0) -> None:
    """Close gracefully, but not forever: a connection never released would hold `close()` (and a stop)."""
    try:
        await asyncio.wait_for(pool.close(), timeout)
    except TimeoutError:
        _log.warning("the database pool did not close within %.0f s; terminating its connections", timeout)
        pool.terminate()


async def migrate(pool: asyncpg.Pool, *migration_dirs: Path) -> list[str]:
    """Apply every `NNN_name.sql` not applied yet, each in its own transaction; returns what ran."""
    applied: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row["name"] for row in await conn.fetch("SELECT name FROM schema_migrations")}
            for path in _pending(migration_dirs, done):
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.name)
                applied.append(path.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied


def _pending(migration_dirs: tuple[Path, ...], done: set[str]) -> list[Path]:
    files = [path for folder in migration_dirs for path in sorted(folder.glob("*.sql"))]
    names = [path.name for path in files]
    if len(names) != len(set(names)):
        raise ValueError(f"migration names must be unique across folders: {names}")
    return [path for path in files if path.name not in done]


async def recorded_broker_epoch(
    db: asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy, owner: str
) -> str | None:
    """The broker epoch (broker_watch.py) recorded for `owner`'s records, or None."""
    epoch: str | None = await db.fetchval("SELECT epoch FROM broker_epochs WHERE owner = $1", owner)
    return epoch


async def locked_broker_epoch(conn: asyncpg.Connection | PoolConnectionProxy, owner: str) -> str | None:
    """The same, and no one else changes it until the caller's transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", owner)
    return await recorded_broker_epoch(conn, owner)


async def record_broker_epoch(conn: asyncpg.Connection | PoolConnectionProxy, owner: str, epoch: str) -> None:
    await conn.execute(
        "INSERT INTO broker_epochs (owner, epoch) VALUES ($1, $2)"
        " ON CONFLICT (owner) DO UPDATE SET epoch = EXCLUDED.epoch, recorded_at = now()",
        owner,
        epoch,
    )
