"""The read API's guards and shapes: bearer tokens, partner scoping, the operators' view."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from kpi_projector_testkit import Events, batch_of
from redis.asyncio import Redis

from heyzack_shared.auth import issue_token
from kpi_projector.app import create_app
from kpi_projector.read_models import ProjectionStore, live_generation
from kpi_projector.settings import ProjectorSettings, Role


@pytest.fixture
async def client(settings: ProjectorSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The read API alone (no consumer), as `PROJECTOR_ROLE=api` runs it."""
    app = create_app(settings.model_copy(update={"role": Role.API}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kpi-projector") as client:
            yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/v1/dashboard", "/v1/ops/projection"])
async def test_no_token_or_a_bad_one_is_401(client: httpx.AsyncClient, path: str) -> None:
    for headers in ({}, bearer("not-a-jwt"), bearer("a.b.c")):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


async def test_a_token_signed_with_another_secret_is_401(client: httpx.AsyncClient) -> None:
    forged = issue_token("another-secret-of-32-characters!", partner_id="p", roles=["ops"], subject="x")
    assert (await client.get("/v1/dashboard", headers=bearer(forged))).status_code == 401


async def test_the_ops_view_is_for_operators_only(
    client: httpx.AsyncClient, token: Callable[..., str], partner_id: str
) -> None:
    response = await client.get("/v1/ops/projection", headers=bearer(token(partner_id, "partner")))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


async def test_the_ops_view_shows_generation_positions_and_freshness(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    redis: Redis,
    namespace: str,
    events: Events,
) -> None:
    store = ProjectionStore(redis, await live_generation(redis, namespace), namespace)
    await store.apply(batch_of([events.customer("cust-1"), events.customer("cust-2")], first_offset=10))
    await store.flush()

    response = await client.get("/v1/ops/projection", headers=bearer(token("heyzack", "ops")))

    assert response.status_code == 200
    body = response.json()
    assert body["generation"] == "g1"
    assert body["events_handled"] == 2
    assert body["last_event_at"] == "2026-11-25T08:01:00.000000+00:00"
    assert body["freshness_seconds"] > 0
    [partition] = body["partitions"]
    assert (partition["topic"], partition["partition"], partition["position"]) == (
        "test.installations",
        0,
        12,
    )
    assert {"end_offset", "lag"} <= partition.keys()


async def test_a_partner_sees_only_its_own_figures(
    client: httpx.AsyncClient, token: Callable[..., str], redis: Redis, namespace: str, events: Events
) -> None:
    store = ProjectionStore(redis, await live_generation(redis, namespace), namespace)
    await store.apply(batch_of([events.customer("cust-1"), *events.approved_job("inst-1")]))
    await store.flush()

    mine = (await client.get("/v1/dashboard", headers=bearer(token(events.partner_id)))).json()
    theirs = (await client.get("/v1/dashboard", headers=bearer(token(events.partner_id + "-x")))).json()

    assert mine["cards"]["completed_installations"] == {"value": 1, "display": "1"}
    assert theirs["partner_id"] == events.partner_id + "-x"
    assert theirs["cards"]["completed_installations"] == {"value": 0, "display": "0"}


async def test_probes(client: httpx.AsyncClient, redis: Redis, namespace: str) -> None:
    store = ProjectionStore(redis, await live_generation(redis, namespace), namespace)
    await store.restart("epoch-1", {})  # as a consumer does on its first assignment
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "dependencies": {"redis": "up", "kafka": "up", "projection": "up"},
    }
    counted = 'heyzack_http_requests_total{method="GET",service="kpi-projector",status="401"}'

    def unauthenticated_requests(metrics: str) -> float:
        lines = [line for line in metrics.splitlines() if line.startswith(counted)]
        return float(lines[0].split()[-1]) if lines else 0.0

    before = unauthenticated_requests((await client.get("/metrics")).text)
    assert (await client.get("/v1/dashboard")).status_code == 401
    assert unauthenticated_requests((await client.get("/metrics")).text) == before + 1
    assert "/v1/dashboard" in (await client.get("/openapi.json")).json()["paths"]
