"""Composition root: settings in, a running service out. Pool, relay and consumer live in the lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from credits import api
from credits.consumers import sales_handler
from credits.settings import CreditsSettings
from heyzack_shared.consumer import ConsumerConfig, consuming
from heyzack_shared.contracts import topics
from heyzack_shared.http import create_app as create_service_app
from heyzack_shared.inbox import Inbox
from heyzack_shared.service import database_with_outbox, domain_readiness, serve

MIGRATIONS = Path(__file__).parent / "migrations"
CONSUMER = "credits"


def create_app(settings: CreditsSettings) -> FastAPI:
    policy = settings.policy

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with database_with_outbox(
            settings.database_url, MIGRATIONS, settings.kafka_bootstrap_servers
        ) as pool:
            app.state.pool = pool
            config = ConsumerConfig(
                name=CONSUMER,
                bootstrap=settings.kafka_bootstrap_servers,
                topics=(topics.INSTALLATIONS, topics.COMMERCE),
                group_id=settings.consumer_group_id,
            )
            sales = Inbox(pool, CONSUMER, sales_handler(policy))
            async with consuming(config, sales):
                yield

    app = create_service_app(
        "credits",
        settings,
        lifespan=lifespan,
        readiness=domain_readiness(settings.kafka_bootstrap_servers),
        description="Partner tiers, commission and the partner credit ledger of HeyZack partners.",
    )
    app.state.policy = policy
    app.include_router(api.router)
    return app


def main() -> None:
    settings = CreditsSettings()
    serve(create_app(settings), host=settings.http_host, port=settings.http_port)
