"""The embedded broker restarted empty under a running platform (installations and the projector, on a
broker of the test's own): the platform heals by itself. The topics come back with their partitions and
retention, the outbox is published again, the projector reads the new logs from their beginning, and what
is published afterwards, by the services or by other systems, reaches the dashboard exactly."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from prometheus_client import REGISTRY

from heyzack_shared.auth import issue_token
from heyzack_shared.contracts import installations as inst
from heyzack_shared.contracts import parse_event, topics
from heyzack_shared.kafka import PARTITIONS, new_producer
from heyzack_shared.testing import wait_until
from heyzack_shared.testing.topics import topic_shapes
from heyzack_stack.embedded import EmbeddedServer
from heyzack_stack.infra import Endpoints
from heyzack_stack.pytest_plugin import ServiceEnvironment
from installations.app import create_app as create_installations
from installations.settings import InstallationsSettings
from kpi_projector.app import create_app as create_projector
from kpi_projector.settings import ProjectorSettings


@pytest.fixture
async def platform(
    own_broker: EmbeddedServer,
    service_environment: ServiceEnvironment,
    infrastructure: Endpoints,
    jwt_secret: str,
) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    """Installations and the projector, on the test's own broker (the session's others share theirs)."""
    bootstrap, run = own_broker.server.url, uuid.uuid4().hex[:8]
    environment = {**await service_environment("installations"), "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    installations = create_installations(InstallationsSettings.model_validate(environment))
    projector = create_projector(
        ProjectorSettings.model_validate(
            {
                "REDIS_URL": infrastructure.redis_url,
                "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "HEYZACK_JWT_SECRET": jwt_secret,
                "PROJECTOR_GROUP_ID": f"brokerloss-{run}",
                "PROJECTOR_REDIS_NAMESPACE": f"brokerloss{run}",
            }
        )
    )
    async with (
        installations.router.lifespan_context(installations),
        projector.router.lifespan_context(projector),
    ):
        yield installations, projector


def client(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s", headers=headers)


async def readiness(app: FastAPI) -> Any:
    async with client(app) as http:
        return (await http.get("/readyz")).json()


async def customers_shown(projector: FastAPI, headers: dict[str, str]) -> int:
    async with client(projector, headers) as http:
        body = (await http.get("/v1/dashboard")).json()
    value: int = body["cards"]["total_customers"]["value"]
    return value


def shows(projector: FastAPI, headers: dict[str, str], customers: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await customers_shown(projector, headers) == customers

    return check


async def register(installations: FastAPI, headers: dict[str, str], count: int) -> list[str]:
    """Customers registered over HTTP (their events go out through the outbox); their ids."""
    ids = []
    async with client(installations, headers) as http:
        for _ in range(count):
            answer = await http.post(
                "/v1/customers", json={"name": "C", "email": "c@example.com", "active": True}
            )
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["customer_id"])
    return ids


async def from_another_system(bootstrap: str, partner_id: str, customer_ids: Sequence[str]) -> None:
    """Customers published straight to the topic, as another system would: in no outbox of ours."""
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        for customer_id in customer_ids:
            event = inst.CustomerRegistered.new(
                partner_id=partner_id,
                aggregate_id=customer_id,
                aggregate_version=1,
                data=inst.CustomerRegisteredData(
                    customer_id=customer_id, name="E", email="e@example.com", active=True
                ),
            )
            await producer.send_and_wait(topics.INSTALLATIONS, event.to_json(), key=partner_id.encode())
    finally:
        await producer.stop()


async def customers_in_the_log(bootstrap: str, partner_id: str, expected: int) -> list[str]:
    """The partner's customers on the installations topic, read from its beginning until `expected`."""
    found: list[str] = []
    reader = AIOKafkaConsumer(topics.INSTALLATIONS, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await reader.start()

    async def read() -> bool:
        for records in (await reader.getmany(timeout_ms=100)).values():
            events = (parse_event(record.value or b"") for record in records)
            found.extend(e.aggregate_id for e in events if e.partner_id == partner_id)
        return len(found) >= expected

    try:
        await wait_until(read, timeout=20, message=f"{len(found)} of {expected} events in the log")
    finally:
        await reader.stop()
    return found


def new_logs_seen(consumer: str) -> float:
    return sum(
        sample.value
        for family in REGISTRY.collect()
        for sample in family.samples
        if sample.name == "heyzack_consumer_new_logs_total"
        and sample.labels == {"consumer": consumer, "topic": topics.INSTALLATIONS, "reason": "broker"}
    )


async def test_the_platform_heals_after_the_broker_restarts_empty(
    own_broker: EmbeddedServer, platform: tuple[FastAPI, FastAPI], jwt_secret: str
) -> None:
    installations, projector = platform
    bootstrap, partner_id = own_broker.server.url, f"partner-{uuid.uuid4().hex[:10]}"
    token = issue_token(jwt_secret, partner_id=partner_id, roles=["partner"], subject="owner")
    headers = {"Authorization": f"Bearer {token}"}
    before = await register(installations, headers, 3)
    await from_another_system(bootstrap, partner_id, ["ext-1", "ext-2", "ext-3", "ext-4"])
    await wait_until(shows(projector, headers, 7), timeout=30, message="first projection")
    noticed_before = new_logs_seen("kpi-projector")

    await own_broker.child.stop()
    for app in platform:
        outage = await readiness(app)
        assert (outage["status"], outage["dependencies"]["kafka"][:4]) == ("degraded", "down")
    await own_broker.restart()  # empty: every topic, and every offset the consumers stored, is gone

    # The other system publishes one more customer: the new log of that partition is far shorter than
    # the position the projector had stored in the old one (7), yet this one must count.
    await from_another_system(bootstrap, partner_id, ["ext-5"])
    after = await register(installations, headers, 2)
    await wait_until(shows(projector, headers, 10), timeout=40, message="later events never counted")

    # Events the relay sent before it noticed the new broker go out twice: consumers drop the second.
    new_log = await customers_in_the_log(bootstrap, partner_id, 6)
    assert set(new_log) == {*before, "ext-5", *after}, "the whole outbox again, and what came after"

    shapes = await topic_shapes(bootstrap)
    assert all(shapes[topic] == (PARTITIONS, "-1") for topic in topics.ALL_TOPICS), shapes
    assert new_logs_seen("kpi-projector") > noticed_before
    for app in platform:
        await wait_until(lambda app=app: _ready(app), timeout=20, message="not ready again")
    assert await customers_shown(projector, headers) == 10, "nothing counted twice"


async def _ready(app: FastAPI) -> bool:
    return (await readiness(app))["status"] == "ready"
