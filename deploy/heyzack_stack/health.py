"""A running server, however it was started, and the checks that tell it really answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import httpx
import redis.asyncio as redis
from aiokafka.errors import KafkaError
from redis.exceptions import RedisError

from heyzack_shared.kafka import ping_kafka

Probe = Callable[[str], Awaitable[None]]


class InfrastructureError(RuntimeError):
    """A server could not be started or did not become healthy in time."""


def _no_exit() -> int | None:
    return None


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    log_tail: Callable[[], str]
    exit_code: Callable[[], int | None] = _no_exit
    restart: Callable[[], Awaitable[None]] | None = None
    """Start it again where it was (the embedded servers; the broker and Redis come back empty): returns
    once it answers."""


async def postgres_answers(url: str) -> None:
    connection = await asyncpg.connect(url, timeout=3)
    try:
        await connection.fetchval("SELECT 1")
    finally:
        await connection.close()


async def redis_answers(url: str) -> None:
    client = redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def kafka_answers(bootstrap: str) -> None:
    await ping_kafka(bootstrap, timeout=3)


async def http_ready(url: str) -> None:
    async with httpx.AsyncClient(timeout=3) as client:
        response = await client.get(url)
        response.raise_for_status()


_NOT_YET = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    RedisError,
    KafkaError,
    httpx.HTTPError,
)


async def await_healthy(server: Server, probe: Probe, *, timeout: float) -> None:
    """Probe until the server answers; InfrastructureError with its log tail when it exits or times out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            await probe(server.url)
            return
        except _NOT_YET as error:
            last_error = error
        code = server.exit_code()
        if code is not None:
            raise _failure(server, f"exited with code {code}", last_error)
        if loop.time() >= deadline:
            raise _failure(server, f"did not answer within {timeout:.0f} s", last_error)
        await asyncio.sleep(0.1)


def _failure(server: Server, what: str, error: BaseException) -> InfrastructureError:
    return InfrastructureError(
        f"{server.name} at {server.url} {what}; last error: {error!r}\n"
        f"--- {server.name} log tail ---\n{server.log_tail()}"
    )
