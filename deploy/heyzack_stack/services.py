"""The platform's services as supervised child processes: which ones, on which port, ready when."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from heyzack_stack.endpoints import Restart
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


def _pause_before_restart(restarts_in_window: int) -> float:
    """1 s, then 2, 4, 8, 16: a service that crashed once is back at once, a crash loop does not spin."""
    return min(30.0, 2.0**restarts_in_window)


RESTART_WINDOW_SECONDS = 300.0
MAX_RESTARTS = 5
"""A service that exits this many times within the window is failing, not crashing once: stop the platform."""


@dataclass
class Services:
    """The running services, restarted when one exits (with growing pauses), until one keeps failing; and
    the servers of the infrastructure that can be started again (`servers`: the embedded broker)."""

    env: Mapping[str, str]
    log_dir: Path
    say: Callable[[str], None]
    pause: Callable[[int], float] = _pause_before_restart
    servers: Mapping[str, Restart] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    children: dict[str, ChildProcess] = field(default_factory=dict)
    restarts: dict[str, list[float]] = field(default_factory=dict)

    def start(self, service: Service) -> None:
        self.services[service.name] = service
        self.children[service.name] = _start(service, self.env, self.log_dir)

    async def ready(self, name: str, timeout: float = 90.0) -> None:
        """Return once the service answers 200 on /readyz; InfrastructureError if it exits first or does not
        answer within `timeout` s."""
        service, child = self.services[name], self.children[name]
        server = Server(service.name, f"{service.url}/readyz", child.log_tail, child.exit_code)
        await await_healthy(server, http_ready, timeout=timeout)

    async def keep_running(self, poll_interval: float = 0.5) -> ServiceFailure:
        """Restart any service, or restartable server, that exits; return when another server of the
        infrastructure ends, or a process keeps failing."""
        while True:
            for child in supervised():
                code = child.exit_code()
                if code is None:
                    continue
                start = self._starter(child)
                if start is None:
                    return _ended(child, code)
                failure = await self._restart(child, code, start)
                if failure is not None:
                    return failure
            await asyncio.sleep(poll_interval)

    def _starter(self, child: ChildProcess) -> Restart | None:
        if self.children.get(child.name) is not child:
            return self.servers.get(child.name)
        service = self.services[child.name]

        async def start() -> None:
            self.start(service)

        return start

    async def _restart(self, child: ChildProcess, code: int, start: Restart) -> ServiceFailure | None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        recent = [t for t in self.restarts.get(child.name, []) if now - t < RESTART_WINDOW_SECONDS]
        if len(recent) >= MAX_RESTARTS:
            return ServiceFailure(
                f"{child.name} exited {len(recent) + 1} times within {RESTART_WINDOW_SECONDS:.0f} s;"
                f" stopping\n--- {child.name} log tail ---\n{child.log_tail()}"
            )
        self.restarts[child.name] = [*recent, now]
        delay = self.pause(len(recent))
        await child.stop()  # sweeps what it left behind in its process group
        _keep_log(child)
        self.say(
            f"{child.name} exited with code {code}; restarting it in {delay:.0f} s"
            f" (log of the run that ended: {child.log_path}.1)"
        )
        await asyncio.sleep(delay)
        await start()
        return None


@asynccontextmanager
async def running_services(
    services: Sequence[Service],
    env: Mapping[str, str],
    log_dir: Path,
    *,
    say: Callable[[str], None],
    timeout: float = 90.0,
    pause: Callable[[int], float] = _pause_before_restart,
    servers: Mapping[str, Restart] | None = None,
) -> AsyncIterator[Services]:
    """Start every service, yield once each answers 200 on /readyz; stop them (newest first) on exit.
    `servers`: the servers of the infrastructure to start again when they exit, by name."""
    running = Services(env, log_dir, say, pause, dict(servers or {}))
    try:
        for service in services:
            ensure_port_free(service.port, f"is another {service.name} running?")
            running.start(service)
        for service in services:
            await running.ready(service.name, timeout)
        yield running
    finally:
        for child in reversed(list(running.children.values())):
            await child.stop()


def _start(service: Service, env: Mapping[str, str], log_dir: Path) -> ChildProcess:
    return spawn(
        service.name,
        [_executable(service.command)],
        log_path=log_dir / f"{service.name}.log",
        env={**env, "HTTP_PORT": str(service.port)},
    )


def _keep_log(child: ChildProcess) -> None:
    """The next run empties the log: keep this one's beside it, as `<name>.log.1`."""
    if child.log_path.exists():
        child.log_path.replace(child.log_path.with_name(child.log_path.name + ".1"))


def _executable(command: str) -> str:
    # The console scripts sit beside this interpreter, whether or not that folder is on PATH.
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(command, path=search)
    if found is None:
        raise InfrastructureError(f"{command} is not installed here: run `uv sync` first")
    return found


def _ended(child: ChildProcess, code: int) -> ServiceFailure:
    return ServiceFailure(
        f"{child.name} exited with code {code}\n--- {child.name} log tail ---\n{child.log_tail()}"
    )
