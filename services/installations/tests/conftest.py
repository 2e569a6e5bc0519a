"""The installations service driven in-process on real PostgreSQL and Kafka; a fresh database per module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from heyzack_shared.contracts import parse_event
from heyzack_shared.envelope import Envelope
from heyzack_stack.pytest_plugin import ServiceEnvironment
from installations.app import create_app
from installations.settings import InstallationsSettings


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def app(service_environment: ServiceEnvironment) -> AsyncIterator[FastAPI]:
    settings = InstallationsSettings.model_validate(await service_environment("installations"))
    service = create_app(settings)
    async with service.router.lifespan_context(service):
        yield service


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://installations") as http:
        yield http


@pytest.fixture
def pool(app: FastAPI) -> asyncpg.Pool:
    database: asyncpg.Pool = app.state.pool
    return database


OutboxEvents = Callable[[str], Awaitable[list[Envelope]]]


@pytest.fixture
def outbox_events(pool: asyncpg.Pool) -> OutboxEvents:
    """The events written to the outbox for one aggregate, in the order they were written."""

    async def events(aggregate_id: str) -> list[Envelope]:
        rows = await pool.fetch(
            "SELECT payload FROM outbox WHERE aggregate_id = $1 ORDER BY id", aggregate_id
        )
        return [parse_event(row["payload"]) for row in rows]

    return events


Json = dict[str, Any]
Create = Callable[..., Awaitable[Json]]
SCHEDULED_FOR = "2026-11-25T09:30:00+01:00"


async def _created(client: httpx.AsyncClient, path: str, body: Json, headers: dict[str, str]) -> Json:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


@pytest.fixture
def new_customer(client: httpx.AsyncClient, auth: dict[str, str]) -> Create:
    """POST /v1/customers for the test's partner (or `headers=` another's); returns the 201 body."""

    async def create(headers: dict[str, str] = auth, **fields: Any) -> Json:
        body = {"name": "Ada Lovelace", "email": "ada@example.com", **fields}
        return await _created(client, "/v1/customers", body, headers)

    return create


@pytest.fixture
def new_handyman(client: httpx.AsyncClient, auth: dict[str, str]) -> Create:
    async def create(headers: dict[str, str] = auth, **fields: Any) -> Json:
        return await _created(client, "/v1/handymen", {"name": "Bob Builder", **fields}, headers)

    return create


@pytest.fixture
def new_installation(client: httpx.AsyncClient, auth: dict[str, str], new_customer: Create) -> Create:
    """A scheduled camera job; for a new customer of the same partner unless `customer_id=` is given."""

    async def create(headers: dict[str, str] = auth, **fields: Any) -> Json:
        customer_id = fields.pop("customer_id", None) or (await new_customer(headers))["customer_id"]
        body = {
            "customer_id": customer_id,
            "device_type": "camera",
            "products": [{"sku": "CAM-1", "quantity": 2}],
            "price_cents": 24_900,
            "scheduled_for": SCHEDULED_FOR,
            **fields,
        }
        return await _created(client, "/v1/installations", body, headers)

    return create
