"""`/readyz` names every dependency's state and answers by what matters: a store that is down makes a service
unavailable, Kafka down degraded, a rebuild 503 `rebuilding`; a dependency that hangs counts as down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from heyzack_shared import http
from heyzack_shared.http import Dependency, Rebuilding, create_app
from heyzack_shared.settings import ServiceSettings

SECRET = "a-readiness-test-secret-of-32-chars!"


async def answers(_: FastAPI) -> None:
    pass


async def refuses(_: FastAPI) -> None:
    raise ConnectionRefusedError("connection refused")


async def hangs(_: FastAPI) -> None:
    await asyncio.Event().wait()


async def rebuilds(_: FastAPI) -> None:
    raise Rebuilding({"partitions": {"heyzack.installations.v1:0": 12}})


async def readiness(dependencies: Sequence[Dependency]) -> tuple[int, Any]:
    @asynccontextmanager
    async def no_resources(_: FastAPI) -> AsyncIterator[None]:
        yield

    settings = ServiceSettings.model_validate({"HEYZACK_JWT_SECRET": SECRET})
    app = create_app("probe", settings, lifespan=no_resources, readiness=dependencies)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        response = await client.get("/readyz")
    return response.status_code, response.json()


async def test_every_dependency_up_is_ready() -> None:
    status, body = await readiness([Dependency("postgres", answers), Dependency("kafka", answers, False)])
    assert (status, body) == (200, {"status": "ready", "dependencies": {"postgres": "up", "kafka": "up"}})


async def test_an_optional_dependency_down_is_degraded_and_named() -> None:
    status, body = await readiness([Dependency("postgres", answers), Dependency("kafka", refuses, False)])
    assert (status, body["status"]) == (200, "degraded")
    assert body["dependencies"] == {
        "postgres": "up",
        "kafka": "down: ConnectionRefusedError('connection refused')",
    }


async def test_a_required_dependency_down_is_unavailable_even_while_rebuilding() -> None:
    status, body = await readiness([Dependency("redis", refuses), Dependency("projection", rebuilds)])
    assert (status, body["status"]) == (503, "unavailable")
    assert body["dependencies"]["redis"].startswith("down: ConnectionRefusedError")


async def test_a_rebuild_is_503_with_what_is_left() -> None:
    status, body = await readiness([Dependency("redis", answers), Dependency("projection", rebuilds)])
    assert (status, body["status"]) == (503, "rebuilding")
    assert body["rebuilding"] == {"projection": {"partitions": {"heyzack.installations.v1:0": 12}}}
    assert body["dependencies"] == {"redis": "up", "projection": "rebuilding"}


async def test_a_dependency_that_does_not_answer_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "READINESS_TIMEOUT", 0.2)
    status, body = await asyncio.wait_for(readiness([Dependency("postgres", hangs)]), timeout=5)
    assert (status, body["dependencies"]["postgres"]) == (503, "down: no answer within 0.2 s")
