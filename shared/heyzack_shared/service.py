"""What every domain service runs besides its routes: a migrated database, the outbox relay, uvicorn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI

from heyzack_shared.db import database
from heyzack_shared.outbox import relay_forever

# Open event streams (the portal's live updates) never end by themselves: on shutdown they get this long.
GRACEFUL_SHUTDOWN_SECONDS = 3


@asynccontextmanager
async def background(work: Coroutine[Any, Any, None], name: str) -> AsyncIterator[asyncio.Task[None]]:
    """Run `work` as a task while the block runs; cancel it and wait for it on the way out."""
    task = asyncio.create_task(work, name=name)
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def database_with_outbox(
    database_url: str, migrations: Path, kafka_bootstrap: str
) -> AsyncIterator[asyncpg.Pool]:
    """A migrated pool, with the outbox relay publishing to Kafka in the background while it is open."""
    async with (
        database(database_url, migrations) as pool,
        background(relay_forever(pool, kafka_bootstrap), "outbox-relay"),
    ):
        yield pool


async def database_answers(app: FastAPI) -> None:
    """Readiness check for an app that keeps its pool in `app.state.pool`."""
    await app.state.pool.fetchval("SELECT 1")


def serve(app: FastAPI, *, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
