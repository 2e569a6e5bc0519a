"""Where the infrastructure answers, and the one database operation the stack itself performs."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg

_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
Restart = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap: str  # "127.0.0.1:9092"
    redis_url: str  # "redis://127.0.0.1:PORT/0"
    postgres_admin_url: str  # "postgresql://postgres@127.0.0.1:PORT/postgres"
    restarts: Mapping[str, Restart] = field(default_factory=dict, compare=False, repr=False)
    """The servers that can be started again where they were, by name (the embedded broker)."""

    def database_url(self, name: str) -> str:
        """The admin URL with its database swapped for `name` (same server, user and options)."""
        parts = urlsplit(self.postgres_admin_url)
        return urlunsplit(parts._replace(path=f"/{name}"))


async def ensure_database(endpoints: Endpoints, name: str) -> None:
    """CREATE DATABASE `name` unless it exists. Names are plain lowercase identifiers."""
    if not _DATABASE_NAME.fullmatch(name):
        raise ValueError(f"not a plain database name: {name!r}")
    connection = await asyncpg.connect(endpoints.postgres_admin_url)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Another process may create it between our check and our CREATE: the outcome we wanted.
            with suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
