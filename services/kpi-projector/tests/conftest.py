"""Fixtures of the projector's tests: a partner and a keyspace of each test's own, Redis, settings, tokens."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from heyzack_shared.auth import issue_token
from heyzack_stack.infra import Endpoints
from heyzack_stack.pytest_plugin import projector_settings
from kpi_projector.settings import ProjectorSettings

sys.path.insert(0, str(Path(__file__).parent))

from kpi_projector_testkit import Events


@pytest.fixture
def partner_id() -> str:
    return f"partner-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def events(partner_id: str) -> Events:
    return Events(partner_id)


@pytest.fixture
def namespace() -> str:
    """Each test's own read-model keyspace in the shared Redis."""
    return f"hzt{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def redis(infrastructure: Endpoints) -> AsyncIterator[Redis]:
    client = Redis.from_url(infrastructure.redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def settings(infrastructure: Endpoints, jwt_secret: str, namespace: str) -> ProjectorSettings:
    """The projector on the test servers, with a keyspace and a consumer group of its own."""
    return projector_settings(infrastructure, jwt_secret, namespace, PROJECTOR_BATCH_SIZE=500)


@pytest.fixture
def token(jwt_secret: str) -> Callable[..., str]:
    def issue(partner_id: str, *roles: str) -> str:
        return issue_token(jwt_secret, partner_id=partner_id, roles=list(roles or ["partner"]), subject="t")

    return issue
