"""Composition root: settings in, a running service out. Pools, producer and relay live in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import uvicorn
from fastapi import FastAPI
from heyzack_shared.db import database
from heyzack_shared.http import create_app as create_service_app
from heyzack_shared.kafka import new_producer
from heyzack_shared.outbox import OutboxRelay

from installations import api
from installations.settings import InstallationsSettings

MIGRATIONS = Path(__file__).parent / "migrations"
_RELAY_RETRY_SECONDS = 2.0
_log = logging.getLogger(__name__)


def create_app(settings: InstallationsSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with database(settings.database_url, MIGRATIONS) as pool:
            app.state.pool = pool
            relay = asyncio.create_task(_relay_forever(pool, settings.kafka_bootstrap_servers))
            try:
                yield
            finally:
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await relay

    app = create_service_app(
        "installations",
        lifespan=lifespan,
        readiness=[_database_answers],
        description="Customers, handymen and the installation workflow of HeyZack partners.",
    )
    app.state.jwt_secret = settings.jwt_secret.get_secret_value()
    app.include_router(api.router)
    return app


async def _database_answers(app: FastAPI) -> None:
    await app.state.pool.fetchval("SELECT 1")


async def _relay_forever(pool: asyncpg.Pool, bootstrap: str) -> None:
    """Relay the outbox until cancelled. Commands are accepted while Kafka is unreachable: their events
    wait in the outbox, and the relay starts over with a fresh producer until the broker answers again."""
    while True:
        producer = new_producer(bootstrap)
        try:
            await producer.start()
            await OutboxRelay(pool, producer).run()
        except Exception:
            _log.exception("outbox relay stopped; restarting in %s s", _RELAY_RETRY_SECONDS)
        finally:
            await producer.stop()
        await asyncio.sleep(_RELAY_RETRY_SECONDS)


def main() -> None:
    settings = InstallationsSettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port)
