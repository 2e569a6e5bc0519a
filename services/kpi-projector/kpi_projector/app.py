"""Composition root: settings in, a running projector out. Clients and the consumer live in the lifespan."""

from __future__ import annotations

import argparse
import contextlib
import gc
from collections.abc import AsyncIterator

from fastapi import FastAPI
from redis.asyncio import Redis

from heyzack_shared.consumer import ConsumerConfig, consuming
from heyzack_shared.http import Dependency, Rebuilding
from heyzack_shared.http import create_app as create_service_app
from heyzack_shared.service import kafka, serve
from kpi_projector import api, portal_routes
from kpi_projector.lag import EndOffsets
from kpi_projector.live import PartnerChanges
from kpi_projector.read_models import ProjectionStore, ReadModels, live_generation
from kpi_projector.settings import ProjectorSettings, Role


def create_app(settings: ProjectorSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:  # closes in reverse: consumer, store, relay, clients
            redis = Redis.from_url(settings.redis_url, decode_responses=True)
            stack.push_async_callback(redis.aclose)
            end_offsets = EndOffsets(settings.kafka_bootstrap_servers)
            stack.push_async_callback(end_offsets.close)
            app.state.redis = redis
            app.state.read_models = ReadModels(redis, settings.redis_namespace)
            app.state.end_offsets = end_offsets
            if settings.role is not Role.CONSUMER:
                app.state.partner_changes = PartnerChanges(redis, settings.redis_namespace)
                await stack.enter_async_context(app.state.partner_changes.relaying())
            if settings.role is not Role.API:
                generation = await live_generation(redis, settings.redis_namespace)
                store = ProjectionStore(
                    redis, generation, settings.redis_namespace, zone=settings.business_zone
                )
                stack.push_async_callback(store.close)
                await stack.enter_async_context(consuming(_consumer_config(settings), store))
            yield

    app = create_service_app(
        "kpi-projector",
        settings,
        lifespan=lifespan,
        readiness=[
            Dependency("redis", _redis_answers),
            kafka(settings.kafka_bootstrap_servers),
            Dependency("projection", _figures_whole),
        ],
        description="KPI read-models built from HeyZack events, and the partner read API.",
    )
    app.state.business_zone = settings.business_zone
    app.state.low_stock_threshold = settings.low_stock_threshold
    if settings.role is not Role.CONSUMER:
        app.include_router(api.router)
        app.include_router(portal_routes.router(settings))
    return app


async def _redis_answers(app: FastAPI) -> None:
    redis: Redis = app.state.redis
    await redis.ping()


async def _figures_whole(app: FastAPI) -> None:
    """Readers must not take the figures of a store being rebuilt for the partners' (rebuilds.py)."""
    read_models: ReadModels = app.state.read_models
    state = await read_models.rebuild_state()
    if state.rebuilding:
        reason = "partitions left" if state.started else "the store holds no figures yet (it lost its data?)"
        raise Rebuilding({"reason": reason, "partitions": state.partitions})


def _consumer_config(settings: ProjectorSettings) -> ConsumerConfig:
    return ConsumerConfig(
        name="kpi-projector",
        bootstrap=settings.kafka_bootstrap_servers,
        topics=settings.topics,
        group_id=settings.consumer_group_id,
        max_records=settings.batch_size,
    )


def tune_garbage_collector() -> None:
    """Freeze what start-up allocated and run the cyclic collector less often.

    A batch allocates tens of thousands of short-lived containers (messages, events, changes) that reference
    counting frees; with the default threshold (700) the collector still runs hundreds of times per batch,
    each run walking the young objects and now and then every live one: ~25% of the projector's time.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="heyzack-kpi-projector", description=__doc__)
    parser.add_argument(
        "--role",
        choices=[role.value for role in Role],
        help="run the read API and the consumer (all, the default), or only one of them; env PROJECTOR_ROLE",
    )
    arguments = parser.parse_args(argv)
    settings = ProjectorSettings()
    if arguments.role:
        settings = settings.model_copy(update={"role": Role(arguments.role)})
    app = create_app(settings)
    tune_garbage_collector()
    serve(app, host=settings.http_host, port=settings.http_port)
