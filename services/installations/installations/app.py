"""Composition root: settings in, a running service out. Pools and the outbox relay live in the lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from heyzack_shared.http import create_app as create_service_app
from heyzack_shared.service import database_with_outbox, domain_readiness, serve
from installations import api
from installations.settings import InstallationsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: InstallationsSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with database_with_outbox(
            settings.database_url, MIGRATIONS, settings.kafka_bootstrap_servers
        ) as pool:
            app.state.pool = pool
            yield

    app = create_service_app(
        "installations",
        settings,
        lifespan=lifespan,
        readiness=domain_readiness(settings.kafka_bootstrap_servers),
        description="Customers, handymen and the installation workflow of HeyZack partners.",
    )
    app.include_router(api.router)
    return app


def main() -> None:
    settings = InstallationsSettings()
    serve(create_app(settings), host=settings.http_host, port=settings.http_port)
