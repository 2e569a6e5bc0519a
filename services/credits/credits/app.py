"""Composition root of the credits service (partner tiers, commission and the partner credit ledger)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from credits.settings import CreditsSettings
from heyzack_shared.http import create_app as create_service_app
from heyzack_shared.service import database_answers, database_with_outbox, serve

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: CreditsSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with database_with_outbox(
            settings.database_url, MIGRATIONS, settings.kafka_bootstrap_servers
        ) as pool:
            app.state.pool = pool
            yield

    app = create_service_app("credits", lifespan=lifespan, readiness=[database_answers])
    app.state.jwt_secret = settings.jwt_secret.get_secret_value()
    return app


def main() -> None:
    settings = CreditsSettings()  # read from the environment
    serve(create_app(settings), host=settings.http_host, port=settings.http_port)
