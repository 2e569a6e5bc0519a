"""What every domain service runs besides its routes: a migrated database, the outbox relay, uvicorn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI

from heyzack_shared.db import database
from heyzack_shared.http import READINESS_TIMEOUT, Dependency
from heyzack_shared.kafka import ping_kafka
from heyzack_shared.outbox import relay_forever

_log = logging.getLogger(__name__)

# Open event streams (the portal's live updates) never end by themselves: on shutdown they get this long.
GRACEFUL_SHUTDOWN_SECONDS = 3


@asynccontextmanager
async def background(
    work: Coroutine[Any, Any, None], name: str, *, timeout: float = 10.0
) -> AsyncIterator[asyncio.Task[None]]:
    """Run `work` as a task while the block runs; cancel it and wait for it (`timeout` s at most: a library
    can swallow a cancellation) on the way out."""
    task = asyncio.create_task(work, name=name)
    try:
        yield task
    finally:
        task.cancel()
        try:
            await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout)
        except TimeoutError:
            _log.warning("%s did not stop within %.0f s of its cancellation; leaving it", name, timeout)


@asynccontextmanager
async def stoppable(
    work: Callable[[asyncio.Event], Coroutine[Any, Any, None]], name: str, *, timeout: float
) -> AsyncIterator[None]:
    """Run `work(stop)` as a task while the block runs; on the way out set `stop` and give it `timeout` s.

    For loops that wait on a library (aiokafka, redis-py's pub/sub) which can swallow a cancellation landing
    at the wrong moment and then wait forever: such a loop checks `stop` between short waits instead, and is
    cancelled only as a last resort, with a bounded wait again.
    """
    stop = asyncio.Event()
    task = asyncio.create_task(work(stop), name=name)
    try:
        yield
    finally:
        stop.set()
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            _log.warning("%s did not stop within %.0f s; cancelling it", name, timeout)
            task.cancel()
            await asyncio.wait({task}, timeout=timeout)


@asynccontextmanager
async def database_with_outbox(
    database_url: str, migrations: Path, kafka_bootstrap: str
) -> AsyncIterator[asyncpg.Pool]:
    """A migrated pool, with the outbox relay publishing to Kafka in the background while it is open."""
    async with (
        database(database_url, migrations) as pool,
        stoppable(lambda stop: relay_forever(pool, kafka_bootstrap, stop), "outbox-relay", timeout=10),
    ):
        yield pool


async def database_answers(app: FastAPI) -> None:
    """Readiness check for an app that keeps its pool in `app.state.pool`."""
    await app.state.pool.fetchval("SELECT 1")


def kafka(bootstrap: str) -> Dependency:
    """Kafka, as a service that keeps working without it sees it: commands wait in the outbox, reads are
    served from the store, so a broker that is down makes the service degraded, not unavailable."""

    async def answers(_: FastAPI) -> None:
        await ping_kafka(bootstrap, timeout=READINESS_TIMEOUT)

    return Dependency("kafka", answers, required=False)


def domain_readiness(bootstrap: str) -> list[Dependency]:
    """What a domain service's `/readyz` checks: its database (required), and Kafka."""
    return [Dependency("postgres", database_answers), kafka(bootstrap)]


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
