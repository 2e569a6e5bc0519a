"""A database that goes away for a moment is answered 503 with `Retry-After` (never 500), the same request
succeeds once it is back, and the outbox relay, whose connection went too, carries on."""

from __future__ import annotations

import asyncpg
import httpx

from heyzack_shared.testing import wait_until


async def test_a_command_while_the_database_is_away_is_503_then_succeeds(
    client: httpx.AsyncClient, auth: dict[str, str], pool: asyncpg.Pool, postgres_admin: asyncpg.Connection
) -> None:
    database = await pool.fetchval("SELECT current_database()")
    body = {"name": "Ada Lovelace", "email": "ada@example.com"}
    await postgres_admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
    try:
        await postgres_admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )
        await pool.expire_connections()  # the request must connect anew: the door is shut
        away = await client.post("/v1/customers", json=body, headers=auth)
    finally:
        await postgres_admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')

    assert away.status_code == 503, away.text
    assert away.headers["Retry-After"] == "1"
    assert away.json()["error"]["code"] == "unavailable"
    back = await client.post("/v1/customers", json=body, headers=auth)
    assert back.status_code == 201, back.text

    async def relayed() -> bool:  # the outbox relay lost its connection too, and carried on
        unsent = await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        return unsent == 0

    await wait_until(relayed, timeout=30, message="the outbox relay did not survive the outage")
