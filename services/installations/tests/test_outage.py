"""A database that goes away for a moment is answered 503 with `Retry-After` (never 500), and the same
request succeeds once it is back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest_asyncio

from heyzack_stack.infra import Endpoints


@pytest_asyncio.fixture(loop_scope="session")
async def admin(infrastructure: Endpoints) -> AsyncIterator[asyncpg.Connection]:
    """A connection to another database of the server, to shut the service's database's door."""
    connection = await asyncpg.connect(infrastructure.postgres_admin_url)
    try:
        yield connection
    finally:
        await connection.close()


async def test_a_command_while_the_database_is_away_is_503_then_succeeds(
    client: httpx.AsyncClient, auth: dict[str, str], pool: asyncpg.Pool, admin: asyncpg.Connection
) -> None:
    database = await pool.fetchval("SELECT current_database()")
    body = {"name": "Ada Lovelace", "email": "ada@example.com"}
    await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )
        away = await client.post("/v1/customers", json=body, headers=auth)
    finally:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')

    assert away.status_code == 503, away.text
    assert away.headers["Retry-After"] == "1"
    assert away.json()["error"]["code"] == "unavailable"
    back = await client.post("/v1/customers", json=body, headers=auth)
    assert back.status_code == 201, back.text
