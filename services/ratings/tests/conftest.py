"""The ratings service driven in-process on real PostgreSQL and Kafka; a fresh database and consumer
group per module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from heyzack_shared.contracts import parse_event
from heyzack_shared.contracts.installations import DeviceType, InstallationStatus
from heyzack_shared.envelope import Envelope
from heyzack_stack.pytest_plugin import ServiceEnvironment
from ratings.app import create_app
from ratings.domain import KnownInstallation, new_id
from ratings.repository import KnownInstallations
from ratings.settings import RatingsSettings

Json = dict[str, Any]
OutboxEvents = Callable[[str], Awaitable[list[Envelope]]]
Known = Callable[..., Awaitable[str]]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def app(service_environment: ServiceEnvironment) -> AsyncIterator[FastAPI]:
    settings = RatingsSettings.model_validate(await service_environment("ratings"))
    service = create_app(settings)
    async with service.router.lifespan_context(service):
        yield service


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ratings") as http:
        yield http


@pytest.fixture
def pool(app: FastAPI) -> asyncpg.Pool:
    database: asyncpg.Pool = app.state.pool
    return database


@pytest.fixture
def known_installation(pool: asyncpg.Pool, partner: str) -> Known:
    """Store what the consumer would have learned of an installation (default: approved, with a
    handyman); returns its id. The consumer's own path is tested in test_consumer.py."""

    async def store(
        status: InstallationStatus = InstallationStatus.CUSTOMER_APPROVED, *, partner_id: str = partner
    ) -> str:
        known = KnownInstallation(
            partner_id=partner_id,
            installation_id=new_id("ins"),
            customer_id=new_id("cus"),
            device_type=DeviceType.CAMERA,
            handyman_id=new_id("hdm"),
            status=status,
            version=5,
            status_version=5,
            handyman_version=2,
        )
        async with pool.acquire() as conn:
            await KnownInstallations(conn).save(known)
        return known.installation_id

    return store


@pytest.fixture
def outbox_events(pool: asyncpg.Pool) -> OutboxEvents:
    """The events written to the outbox for one aggregate, in the order they were written."""

    async def events(aggregate_id: str) -> list[Envelope]:
        rows = await pool.fetch(
            "SELECT payload FROM outbox WHERE aggregate_id = $1 ORDER BY id", aggregate_id
        )
        return [parse_event(row["payload"]) for row in rows]

    return events


def body_of(response: httpx.Response, status: int) -> Json:
    assert response.status_code == status, response.text
    body: Json = response.json()
    return body


def error_of(response: httpx.Response, status: int) -> str:
    """The error message, after checking the status and the contract's error body."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"]
    message: str = error["message"]
    assert message
    return message
