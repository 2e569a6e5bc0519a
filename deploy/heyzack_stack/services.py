"""The platform's services as supervised child processes: which ones, on which port, ready when."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from heyzack_stack.health import InfrastructureError, Server, await_healthy, http_ready
from heyzack_stack.ports import ensure_port_free
from heyzack_stack.processes import ChildProcess, spawn, supervised


@dataclass(frozen=True)
class Service:
    name: str
    command: str  # a console script of the workspace
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


SERVICES: tuple[Service, ...] = (
    Service("installations", "heyzack-installations", 8001),
    Service("ratings", "heyzack-ratings", 8002),
    Service("credits", "heyzack-credits", 8003),
    Service("kpi-projector", "heyzack-kpi-projector", 8000),
)
DATABASES = ("installations", "ratings", "credits")


def service(name: str) -> Service:
    return next(candidate for candidate in SERVICES if candidate.name == name)


class ServiceFailure(RuntimeError):
    """A supervised process ended while the platform was meant to be running."""


@asynccontextmanager
async def running_services(
    services: Sequence[Service], env: Mapping[str, str], log_dir: Path, *, timeout: float = 90.0
) -> AsyncIterator[None]:
    """Start every service, yield once each answers 200 on /readyz; stop them (newest first) on exit."""
    started: list[ChildProcess] = []
    try:
        for service in services:
            ensure_port_free(service.port, f"is another {service.name} running?")
            started.append(_start(service, env, log_dir))
        for service, child in zip(services, started, strict=True):
            server = Server(service.name, f"{service.url}/readyz", child.log_tail, child.exit_code)
            await await_healthy(server, http_ready, timeout=timeout)
        yield
    finally:
        for child in reversed(started):
            await child.stop()


def _start(service: Service, env: Mapping[str, str], log_dir: Path) -> ChildProcess:
    return spawn(
        service.name,
        [_executable(service.command)],
        log_path=log_dir / f"{service.name}.log",
        env={**env, "HTTP_PORT": str(service.port)},
    )


def _executable(command: str) -> str:
    # The console scripts sit beside this interpreter, whether or not that folder is on PATH.
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(command, path=search)
    if found is None:
        raise InfrastructureError(f"{command} is not installed here: run `uv sync` first")
    return found


async def first_failure(poll_interval: float = 0.5) -> ServiceFailure:
    """Wait until any supervised process (service or server) ends, and describe it."""
    while True:
        for child in supervised():
            code = child.exit_code()
            if code is not None:
                return ServiceFailure(
                    f"{child.name} exited with code {code}\n--- {child.name} log tail ---\n{child.log_tail()}"
                )
        await asyncio.sleep(poll_interval)
