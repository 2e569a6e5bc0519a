"""Apache Kafka, PostgreSQL and Redis as testcontainers, for machines with a reachable Docker engine.

Each container's log is written to `state_dir/logs/NAME.log` when it stops.
Testcontainers' reaper (Ryuk) removes the containers should this process die before stopping them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from testcontainers.community.postgres import PostgresContainer
from testcontainers.community.redis import RedisContainer
from testcontainers.core.container import DockerContainer

from heyzack_stack.health import Server
from heyzack_stack.ports import free_port

KAFKA_IMAGE = "apache/kafka:3.9.1"
POSTGRES_IMAGE = "postgres:17-alpine"
REDIS_IMAGE = "redis:7-alpine"


@asynccontextmanager
async def _running(
    container: Any, url: Callable[[], str], name: str, state_dir: Path
) -> AsyncIterator[Server]:
    await asyncio.to_thread(container.start)
    try:
        yield Server(name, url(), lambda: _log_tail(container))
    finally:
        try:
            log_path = state_dir / "logs" / f"{name}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.write_text(_log_tail(container, lines=None))
        finally:
            await asyncio.to_thread(container.stop)


def _log_tail(container: Any, lines: int | None = 40) -> str:
    stdout, stderr = container.get_logs()
    text = (stdout + stderr).decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:] if lines else text.splitlines())


@asynccontextmanager
async def kafka(state_dir: Path, port: int | None = None) -> AsyncIterator[Server]:
    """A single KRaft node; the host port is fixed up front because the broker must advertise it."""
    host_port = port or free_port()
    container = DockerContainer(KAFKA_IMAGE).with_bind_ports(9092, host_port)
    host = container.get_docker_client().host()
    settings = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{host}:{host_port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    }
    for key, value in settings.items():
        container.with_env(key, value)
    async with _running(container, lambda: f"{host}:{host_port}", "kafka", state_dir) as server:
        yield server


@asynccontextmanager
async def postgres(state_dir: Path) -> AsyncIterator[Server]:
    container = PostgresContainer(
        POSTGRES_IMAGE, username="postgres", password="postgres", dbname="postgres", driver=None
    ).with_command("postgres -c fsync=off -c max_connections=300")

    def url() -> str:
        host, port = container.get_container_host_ip(), container.get_exposed_port(5432)
        return f"postgresql://postgres:postgres@{host}:{port}/postgres"

    async with _running(container, url, "postgres", state_dir) as server:
        yield server


@asynccontextmanager
async def redis(state_dir: Path) -> AsyncIterator[Server]:
    container = RedisContainer(REDIS_IMAGE)

    def url() -> str:
        host, port = container.get_container_host_ip(), container.get_exposed_port(6379)
        return f"redis://{host}:{port}/0"

    async with _running(container, url, "redis", state_dir) as server:
        yield server
