"""Composition root: settings in, a running service out. The pool, the outbox relay and the consumer of
installation facts live in the lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from heyzack_shared.consumer import ConsumerConfig, consuming
from heyzack_shared.contracts import topics
from heyzack_shared.http import create_app as create_service_app
from heyzack_shared.inbox import Inbox
from heyzack_shared.service import database_with_outbox, domain_readiness, serve
from ratings import api, consumers
from ratings.settings import RatingsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: RatingsSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with database_with_outbox(
            settings.database_url, MIGRATIONS, settings.kafka_bootstrap_servers
        ) as pool:
            app.state.pool = pool
            inbox = Inbox(pool, consumers.CONSUMER, consumers.learn_installation)
            async with consuming(_consumer_config(settings), inbox):
                yield

    app = create_service_app(
        "ratings",
        settings,
        lifespan=lifespan,
        readiness=domain_readiness(settings.kafka_bootstrap_servers),
        description="Star ratings, NPS surveys and customer issues of HeyZack partners.",
    )
    app.include_router(api.router)
    return app


def _consumer_config(settings: RatingsSettings) -> ConsumerConfig:
    return ConsumerConfig(
        name=consumers.CONSUMER,
        bootstrap=settings.kafka_bootstrap_servers,
        topics=[topics.INSTALLATIONS],
        group_id=settings.consumer_group_id,
    )


def main() -> None:
    settings = RatingsSettings()
    serve(create_app(settings), host=settings.http_host, port=settings.http_port)
