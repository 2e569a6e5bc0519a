"""Session fixtures: one set of real servers for the whole test run, and the JWT secret the tests sign with.

Enabled by the repository's root conftest.py (`pytest_plugins = ["heyzack_stack.pytest_plugin"]`).
Tests share the servers, so each test uses names of its own (databases, topics, keys, partner ids).
"""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from heyzack_shared.auth import issue_token
from heyzack_shared.contracts.topics import ALL_TOPICS
from heyzack_shared.kafka import create_topics, new_producer
from heyzack_stack.embedded import EmbeddedServer, restartable_kafka
from heyzack_stack.health import await_healthy, kafka_answers
from heyzack_stack.infra import Endpoints, ensure_database, start_infrastructure
from kpi_projector.settings import ProjectorSettings

CONTRACT_PARTITIONS = 6


def pytest_configure(config: pytest.Config) -> None:
    """The tests tell `heyzack-ops` where the servers are; a running `make run`'s `.state/platform.env`
    must not answer for them."""
    os.environ["HEYZACK_PLATFORM_ENV"] = os.devnull


def projector_settings(
    endpoints: Endpoints, jwt_secret: str, namespace: str, **more: object
) -> ProjectorSettings:
    """The projector on the test servers with a keyspace and a consumer group of its own (`namespace`);
    `more`: further settings by their environment names."""
    return ProjectorSettings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap,
            "REDIS_URL": endpoints.redis_url,
            "HEYZACK_JWT_SECRET": jwt_secret,
            "PROJECTOR_GROUP_ID": f"kpi-test-{namespace}",
            "PROJECTOR_REDIS_NAMESPACE": namespace,
            **more,
        }
    )


@pytest_asyncio.fixture(loop_scope="session")
async def postgres_admin(infrastructure: Endpoints) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the server's admin database: to shut another database's door, say."""
    connection = await asyncpg.connect(infrastructure.postgres_admin_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def infrastructure() -> AsyncIterator[Endpoints]:
    """Kafka (with the contract's topics), Redis and PostgreSQL, started once, stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="heyzack-test-", ignore_cleanup_errors=True) as state_dir:
        async with start_infrastructure(Path(state_dir)) as endpoints:
            await create_topics(endpoints.kafka_bootstrap, ALL_TOPICS, CONTRACT_PARTITIONS)
            yield endpoints


@pytest_asyncio.fixture
async def own_broker(tmp_path: Path) -> AsyncIterator[EmbeddedServer]:
    """An embedded broker of the test's own, for a test that restarts it: restarting the session's broker
    would empty every other test's topics. `restart()` brings it back empty on the same port."""
    broker = await restartable_kafka(tmp_path)
    try:
        await await_healthy(broker.server, kafka_answers, timeout=30)
        yield broker
    finally:
        await broker.child.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def producer(infrastructure: Endpoints) -> AsyncIterator[AIOKafkaProducer]:
    """A Kafka producer with the platform's settings, for tests that publish events themselves."""
    kafka = new_producer(infrastructure.kafka_bootstrap)
    await kafka.start()
    try:
        yield kafka
    finally:
        await kafka.stop()


@pytest.fixture(scope="session")
def jwt_secret() -> str:
    return secrets.token_urlsafe(32)


HeadersFor = Callable[..., dict[str, str]]


@pytest.fixture
def partner() -> str:
    """A partner id of this test's own."""
    return f"partner-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def headers_for(jwt_secret: str) -> HeadersFor:
    """Authorization headers of a partner's user; `secret` and `ttl` make bad and expired tokens."""

    def headers(partner_id: str, *, secret: str = jwt_secret, ttl: int = 300) -> dict[str, str]:
        token = issue_token(
            secret, partner_id=partner_id, roles=["partner"], subject=f"user@{partner_id}", ttl=ttl
        )
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def auth(headers_for: HeadersFor, partner: str) -> dict[str, str]:
    """The headers of the test's own partner."""
    return headers_for(partner)


ServiceEnvironment = Callable[[str], Awaitable[dict[str, str]]]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def service_environment(infrastructure: Endpoints, jwt_secret: str) -> ServiceEnvironment:
    """The settings of a domain service (`installations`, `ratings`, `credits`) on the test servers, with a
    database and a consumer group of its own, as the environment variables the service reads."""

    async def environment(service: str) -> dict[str, str]:
        own = f"{service}_{uuid.uuid4().hex[:8]}"
        await ensure_database(infrastructure, own)
        return {
            f"{service.upper()}_DATABASE_URL": infrastructure.database_url(own),
            f"{service.upper()}_CONSUMER_GROUP_ID": own,
            "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap,
            "HEYZACK_JWT_SECRET": jwt_secret,
        }

    return environment
