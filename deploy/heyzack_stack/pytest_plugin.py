"""Session fixtures: one set of real servers for the whole test run, and the JWT secret the tests sign with.

Enabled by the repository's root conftest.py (`pytest_plugins = ["heyzack_stack.pytest_plugin"]`).
Tests share the servers, so each test uses names of its own (databases, topics, keys, partner ids).
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from heyzack_shared.contracts.topics import ALL_TOPICS
from heyzack_shared.kafka import create_topics
from heyzack_stack.infra import Endpoints, start_infrastructure

CONTRACT_PARTITIONS = 6


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def infrastructure() -> AsyncIterator[Endpoints]:
    """Kafka (with the contract's topics), Redis and PostgreSQL, started once, stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="heyzack-test-", ignore_cleanup_errors=True) as state_dir:
        async with start_infrastructure(Path(state_dir)) as endpoints:
            await create_topics(endpoints.kafka_bootstrap, ALL_TOPICS, CONTRACT_PARTITIONS)
            yield endpoints


@pytest.fixture(scope="session")
def jwt_secret() -> str:
    return secrets.token_urlsafe(32)
