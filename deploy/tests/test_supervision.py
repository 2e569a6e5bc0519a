"""`make run`'s supervision, with a stand-in service process: a service killed with SIGKILL is started again
and says so; one that keeps failing stops the platform; the embedded broker and Redis killed are started
again, empty, on their ports, PostgreSQL on its data; a port freed a moment ago is free."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka.errors import KafkaError
from redis.exceptions import RedisError

from heyzack_shared.kafka import ping_kafka
from heyzack_shared.testing import wait_until
from heyzack_shared.testing.topics import topic_shapes
from heyzack_stack import embedded
from heyzack_stack.embedded import EmbeddedServer
from heyzack_stack.health import Server, await_healthy, postgres_answers, redis_answers
from heyzack_stack.ports import ensure_port_free, free_port
from heyzack_stack.processes import supervised
from heyzack_stack.services import MAX_RESTARTS, Service, ServiceFailure, running_services

PROBES = {"redis": redis_answers, "postgres": postgres_answers}

# Answers GET /readyz on HTTP_PORT, unless the file named by FAIL_IF exists: then it exits at once.
STAND_IN = f"""#!{sys.executable}
import http.server, os, sys
if os.path.exists(os.environ["FAIL_IF"]):
    sys.exit(3)
class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(os.environ["HTTP_PORT"])), Ready).serve_forever()
"""


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Service:
    script = tmp_path / "heyzack-stand-in"
    script.write_text(STAND_IN)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    return Service("stand-in", "heyzack-stand-in", free_port())


async def answers(service: Service) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1) as client:
            return (await client.get(f"{service.url}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


async def test_a_killed_service_is_started_again(stand_in: Service, tmp_path: Path) -> None:
    said: list[str] = []
    env = {**os.environ, "FAIL_IF": str(tmp_path / "fail")}
    async with running_services(
        [stand_in], env, tmp_path / "logs", say=said.append, pause=lambda n: 0.1
    ) as running:
        supervising = asyncio.create_task(running.keep_running(poll_interval=0.05))
        first = running.children[stand_in.name]
        os.kill(first.pid, signal.SIGKILL)
        await wait_until(lambda: running.children[stand_in.name] is not first, timeout=10)
        await wait_until(lambda: answers(stand_in), timeout=10, message="the service did not come back")
        assert not supervising.done()
        assert any("stand-in exited with code -9; restarting it" in line for line in said), said
        supervising.cancel()


async def test_a_service_that_keeps_failing_stops_the_platform(stand_in: Service, tmp_path: Path) -> None:
    env = {**os.environ, "FAIL_IF": str(tmp_path / "fail")}
    async with running_services(
        [stand_in], env, tmp_path / "logs", say=print, pause=lambda n: 0.0
    ) as running:
        (tmp_path / "fail").touch()
        os.kill(running.children[stand_in.name].pid, signal.SIGKILL)
        failure = await asyncio.wait_for(running.keep_running(poll_interval=0.05), timeout=30)
    assert isinstance(failure, ServiceFailure)
    assert f"stand-in exited {MAX_RESTARTS + 1} times" in str(failure)


async def test_the_embedded_broker_killed_is_started_again_on_its_port(
    own_broker: EmbeddedServer, tmp_path: Path
) -> None:
    """Empty: the services re-create its topics and publish their outboxes again (test_broker_loss.py)."""
    said: list[str] = []
    await ping_kafka(own_broker.server.url)
    servers = {"kafka": own_broker.restart}
    async with running_services(
        [], os.environ, tmp_path / "logs", say=said.append, pause=lambda n: 0.1, servers=servers
    ) as running:
        supervising = asyncio.create_task(running.keep_running(poll_interval=0.05))
        first = own_broker.child
        os.kill(first.pid, signal.SIGKILL)
        await wait_until(lambda: own_broker.child is not first, timeout=10, message="not started again")
        await wait_until(lambda: broker_answers(own_broker.server.url), timeout=30, message="no answer")
        assert not supervising.done()
        assert any("kafka exited with code -9; restarting it" in line for line in said), said
        supervising.cancel()
    assert await topic_shapes(own_broker.server.url) == {}, "it came back empty"


@pytest.mark.parametrize("name", ["redis", "postgres"])
async def test_embedded_redis_and_postgresql_killed_are_started_again_where_they_were(
    name: str, tmp_path: Path
) -> None:
    """Redis comes back empty (the projector rebuilds its read-models), PostgreSQL on its data directory."""
    said: list[str] = []
    start = embedded.redis if name == "redis" else embedded.postgres
    async with start(tmp_path) as server:
        await await_healthy(server, PROBES[name], timeout=60)
        assert server.restart is not None
        if name == "postgres":
            await _sql(server.url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")
        async with running_services(
            [],
            os.environ,
            tmp_path / "svc",
            say=said.append,
            pause=lambda n: 0.1,
            servers={name: server.restart},
        ) as running:
            supervising = asyncio.create_task(running.keep_running(poll_interval=0.05))
            (first,) = [c for c in supervised() if c.name == name and tmp_path in c.log_path.parents]
            os.kill(first.pid, signal.SIGKILL)
            await wait_until(lambda: _answers(server), timeout=60, message=f"{name} not started again")
            assert first.exit_code() is not None and not supervising.done()
            assert any(f"{name} exited with code -9; restarting it" in line for line in said), said
            supervising.cancel()
        if name == "postgres":
            assert await _sql(server.url, "SELECT n FROM kept") == 7


async def _answers(server: Server) -> bool:
    try:
        await PROBES[server.name](server.url)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RedisError):
        return False
    return server.exit_code() is None


async def _sql(url: str, statement: str) -> object:
    connection = await asyncpg.connect(url)
    try:
        if statement.startswith("SELECT"):
            return await connection.fetchval(statement)
        return await connection.execute(statement)
    finally:
        await connection.close()


async def broker_answers(bootstrap: str) -> bool:
    try:
        await ping_kafka(bootstrap, timeout=1)
    except (KafkaError, OSError, TimeoutError):
        return False
    return True


def test_a_port_whose_connections_linger_in_time_wait_is_free() -> None:
    """After traffic, the server side of closed connections waits in TIME_WAIT for a minute: the servers bind
    anyway (SO_REUSEADDR), so the check must not call the port taken."""
    port = free_port()
    server = socket.create_server(("127.0.0.1", port))
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server closes first: its side of the connection is left in TIME_WAIT
    client.close()
    server.close()
    ensure_port_free(port, "test")
