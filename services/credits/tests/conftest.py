"""The credits service driven in-process on real PostgreSQL and Kafka; a fresh database per module."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from credits.app import create_app
from credits.domain import CreditPolicy, Sale
from credits.handlers import record_sale
from credits.settings import CreditsSettings
from credits.unit_of_work import UnitOfWork
from heyzack_shared.contracts.credits import SaleSource
from heyzack_shared.envelope import Envelope
from heyzack_stack.pytest_plugin import ServiceEnvironment


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def app(service_environment: ServiceEnvironment) -> AsyncIterator[FastAPI]:
    settings = CreditsSettings.model_validate(await service_environment("credits"))
    service = create_app(settings)
    async with service.router.lifespan_context(service):
        yield service


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://credits", timeout=30) as http:
        yield http


Publish = Callable[..., Awaitable[None]]


@pytest.fixture
def publish(producer: AIOKafkaProducer) -> Publish:
    """Send events to their topics, keyed by partner as every producer of the contract does."""

    async def send(*events: Envelope) -> None:
        for event in events:
            await producer.send_and_wait(event.topic, event.to_json(), key=event.key)

    return send


@pytest.fixture
def pool(app: FastAPI) -> asyncpg.Pool:
    database: asyncpg.Pool = app.state.pool
    return database


@pytest.fixture
def policy(app: FastAPI) -> CreditPolicy:
    rules: CreditPolicy = app.state.policy
    return rules


RecordSale = Callable[..., Awaitable[None]]


@pytest.fixture
def sell(pool: asyncpg.Pool, policy: CreditPolicy) -> RecordSale:
    """Record a sale through the same use case the consumer runs, in a transaction of its own."""

    async def record(partner_id: str, amount_cents: int, at: datetime | None = None) -> None:
        sale = Sale(
            partner_id=partner_id,
            sale_id=f"test-sale-{uuid.uuid4().hex}",
            source=SaleSource.PRODUCT_SALES,
            amount_cents=amount_cents,
            occurred_at=at or datetime.now(UTC),
        )
        async with UnitOfWork(pool) as uow:
            assert await record_sale(sale, uow.stores, policy)
            await uow.commit()

    return record
