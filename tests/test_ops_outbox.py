"""`heyzack-ops outbox republish` against real servers: a service's history is published again by its own
relay, every event a second time, and the projector's figures do not move."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from running_projector import dashboard_shows, projector
from typer.testing import CliRunner

from heyzack_shared.auth import issue_token
from heyzack_shared.contracts import parse_event, topics
from heyzack_shared.testing import wait_until
from heyzack_shared.testing.published import PublishedUnder
from heyzack_stack.endpoints import Endpoints
from heyzack_stack.ops.cli import app as ops
from heyzack_stack.pytest_plugin import ServiceEnvironment, projector_settings
from installations.app import create_app
from installations.settings import InstallationsSettings

CUSTOMERS = 3


@pytest_asyncio.fixture
async def installations(
    service_environment: ServiceEnvironment, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FastAPI]:
    environment = await service_environment("installations")
    monkeypatch.setenv("INSTALLATIONS_DATABASE_URL", environment["INSTALLATIONS_DATABASE_URL"])
    service = create_app(InstallationsSettings.model_validate(environment))
    async with service.router.lifespan_context(service):
        yield service


@pytest_asyncio.fixture
async def dashboard(
    infrastructure: Endpoints, jwt_secret: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    namespace = f"opsoutbox{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("REDIS_URL", infrastructure.redis_url)
    monkeypatch.setenv("PROJECTOR_REDIS_NAMESPACE", namespace)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", infrastructure.kafka_bootstrap)
    settings = projector_settings(infrastructure, jwt_secret, namespace)
    async with projector(settings) as client:
        yield client


async def test_a_republished_history_changes_no_figure(
    installations: FastAPI, dashboard: httpx.AsyncClient, infrastructure: Endpoints, jwt_secret: str
) -> None:
    partner = f"ops-outbox-{uuid.uuid4().hex[:8]}"
    token = issue_token(jwt_secret, partner_id=partner, roles=["partner"], subject="t")
    operator = issue_token(jwt_secret, partner_id=partner, roles=["ops"], subject="operator")
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=installations)
    async with httpx.AsyncClient(transport=transport, base_url="http://installations") as client:
        for n in range(CUSTOMERS):
            body = {"name": f"Customer {n}", "email": f"c{n}@example.com"}
            assert (await client.post("/v1/customers", json=body, headers=headers)).status_code == 201
    counted = {"total_customers": {"value": CUSTOMERS, "display": str(CUSTOMERS)}}
    await wait_until(dashboard_shows(dashboard, token, counted), timeout=30)

    result = await asyncio.to_thread(
        CliRunner().invoke, ops, ["outbox", "republish", "--service", "installations", "--json"]
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1]) == {
        "service": "installations",
        "queued": CUSTOMERS,
        "unsent": 0,
    }
    async with PublishedUnder(infrastructure.kafka_bootstrap, topics.INSTALLATIONS, partner) as published:

        async def twice() -> bool:
            return len(await published.read()) == 2 * CUSTOMERS

        await wait_until(twice, timeout=30, message="the history was not published again")
        ids = [parse_event(record.value).event_id for record in published.records]
        last = published.records[-1]
    assert len(set(ids)) == CUSTOMERS and ids[:CUSTOMERS] == ids[CUSTOMERS:]

    async def applied_past_the_copies() -> bool:
        state = await _projection(dashboard, operator)
        return any(
            p["topic"] == topics.INSTALLATIONS
            and p["partition"] == last.partition
            and p["position"] > last.offset
            for p in state["partitions"]
        )

    await wait_until(applied_past_the_copies, timeout=30, message="the projector never read the copies")
    assert await dashboard_shows(dashboard, token, counted)()


async def _projection(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    answer = await client.get("/v1/ops/projection", headers={"Authorization": f"Bearer {token}"})
    state: dict[str, Any] = answer.json()
    return state


async def test_status_says_where_the_projector_stands(
    installations: FastAPI, dashboard: httpx.AsyncClient, jwt_secret: str
) -> None:
    """`heyzack-ops status --json`: the same view as GET /v1/ops/projection, from the command line."""
    operator = issue_token(jwt_secret, partner_id="ops", roles=["ops"], subject="operator")

    async def caught_up() -> bool:
        return not (await _projection(dashboard, operator))["rebuilding"]

    await wait_until(caught_up, timeout=60, message="the projector never caught up")
    result = await asyncio.to_thread(CliRunner().invoke, ops, ["status", "--json"])

    assert result.exit_code == 0, result.output
    state = json.loads(result.output.strip().splitlines()[-1])
    served = await _projection(dashboard, operator)  # read after: it may only be further on
    assert state["projector"]["generation"] == served["generation"]
    assert state["projector"]["rebuilding"] is False
    positions = {(p["topic"], p["partition"]): p["position"] for p in state["projector"]["partitions"]}
    later = {(p["topic"], p["partition"]): p["position"] for p in served["partitions"]}
    assert positions and set(positions) <= set(later)  # a partition that never had events has no position
    assert all(0 < position <= later[where] for where, position in positions.items())
    assert all(p["lag"] >= 0 for p in state["projector"]["partitions"] if p["lag"] is not None)
    shown = await asyncio.to_thread(CliRunner().invoke, ops, ["status"])
    assert shown.exit_code == 0 and f"generation {served['generation']}, live" in shown.output, shown.output
    assert f"kpi-projector │ {topics.INSTALLATIONS}" in shown.output, shown.output
