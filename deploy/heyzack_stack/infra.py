"""The infrastructure the platform and the tests need, behind one interface, wherever it comes from.

Per server, in order of preference: an external one named by the environment (`KAFKA_BOOTSTRAP_SERVERS`,
`REDIS_URL`, `DATABASE_URL`); a testcontainer when a Docker engine answers; a local child process.
`HEYZACK_INFRA=embedded` or `=containers` forces the choice between the last two.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Protocol

from heyzack_stack import embedded
from heyzack_stack.endpoints import Endpoints, ensure_database
from heyzack_stack.health import (
    InfrastructureError,
    Probe,
    Server,
    await_healthy,
    kafka_answers,
    postgres_answers,
    redis_answers,
)

_EXTERNAL = {"kafka": "KAFKA_BOOTSTRAP_SERVERS", "redis": "REDIS_URL", "postgres": "DATABASE_URL"}
_PROBES: dict[str, Probe] = {
    "kafka": kafka_answers,
    "redis": redis_answers,
    "postgres": postgres_answers,
}


@asynccontextmanager
async def start_infrastructure(state_dir: Path, *, kafka_port: int | None = None) -> AsyncIterator[Endpoints]:
    """Start (or find) Kafka, Redis and PostgreSQL; yield once every one of them answers.

    An async context manager: `async with start_infrastructure(dir) as endpoints: ...`. On exit every server
    it started is stopped, in reverse order. Logs and the PostgreSQL data directory live under `state_dir`.
    `kafka_port` pins the port of a broker it starts (default: a free one).
    """
    backend = _backend() if not all(map(os.environ.get, _EXTERNAL.values())) else embedded
    starts: dict[str, Callable[[], AbstractAsyncContextManager[Server]]] = {
        "kafka": lambda: backend.kafka(state_dir, kafka_port),
        "redis": lambda: backend.redis(state_dir),
        "postgres": lambda: backend.postgres(state_dir),
    }
    async with AsyncExitStack() as stack:
        servers: dict[str, Server] = {}
        for name, start in starts.items():
            url = os.environ.get(_EXTERNAL[name])
            servers[name] = await stack.enter_async_context(_found(name, url) if url else start())
        timeout = 60.0 if backend is embedded else 180.0
        for name, server in servers.items():
            await await_healthy(server, _PROBES[name], timeout=timeout)
        yield Endpoints(
            kafka_bootstrap=servers["kafka"].url,
            redis_url=servers["redis"].url,
            postgres_admin_url=servers["postgres"].url,
            restarts={name: server.restart for name, server in servers.items() if server.restart},
        )


class _Backend(Protocol):
    def kafka(self, state_dir: Path, port: int | None) -> AbstractAsyncContextManager[Server]: ...

    def redis(self, state_dir: Path) -> AbstractAsyncContextManager[Server]: ...

    def postgres(self, state_dir: Path) -> AbstractAsyncContextManager[Server]: ...


def _backend() -> _Backend:
    choice = os.environ.get("HEYZACK_INFRA", "auto")
    if choice not in ("auto", "embedded", "containers"):
        raise InfrastructureError(f"HEYZACK_INFRA must be auto, embedded or containers, not {choice!r}")
    if choice == "embedded" or (choice == "auto" and not docker_engine_reachable()):
        return embedded
    from heyzack_stack import containers  # needs testcontainers, a development dependency

    return containers


def docker_engine_reachable() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        answer = subprocess.run(["docker", "info"], capture_output=True, timeout=15, check=False)
    except subprocess.TimeoutExpired:
        return False
    return answer.returncode == 0


@asynccontextmanager
async def _found(name: str, url: str) -> AsyncIterator[Server]:
    yield Server(name, url, lambda: "(an external server: its log is not ours)")


__all__ = [
    "Endpoints",
    "InfrastructureError",
    "ensure_database",
    "start_infrastructure",
]
