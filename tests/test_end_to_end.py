"""Commands over HTTP → outbox → Kafka → projector → Redis → GET /v1/dashboard, all on real servers."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI

from heyzack_shared import outbox
from heyzack_shared.auth import issue_token
from heyzack_shared.contracts import topics
from heyzack_shared.contracts.deadletter import DeadLetter
from heyzack_shared.testing import wait_until
from heyzack_stack.infra import Endpoints
from heyzack_stack.pytest_plugin import ServiceEnvironment
from installations.app import create_app as create_installations
from installations.settings import InstallationsSettings
from kpi_projector.app import create_app as create_projector
from kpi_projector.settings import ProjectorSettings

Json = dict[str, Any]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def installations(service_environment: ServiceEnvironment) -> AsyncIterator[FastAPI]:
    settings = InstallationsSettings.model_validate(await service_environment("installations"))
    app = create_installations(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def projector(infrastructure: Endpoints, jwt_secret: str) -> AsyncIterator[FastAPI]:
    run = uuid.uuid4().hex[:8]
    settings = ProjectorSettings.model_validate(
        {
            "REDIS_URL": infrastructure.redis_url,
            "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap,
            "HEYZACK_JWT_SECRET": jwt_secret,
            "PROJECTOR_GROUP_ID": f"e2e-{run}",
            "PROJECTOR_REDIS_NAMESPACE": f"e2e{run}",
        }
    )
    app = create_projector(settings)
    async with app.router.lifespan_context(app):
        yield app


class Partner:
    """One partner's user, talking to both services over HTTP with its own token."""

    def __init__(self, installations: FastAPI, projector: FastAPI, secret: str) -> None:
        self.partner_id = f"partner-{uuid.uuid4().hex[:10]}"
        token = issue_token(secret, partner_id=self.partner_id, roles=["partner"], subject="owner")
        headers = {"Authorization": f"Bearer {token}"}
        self.commands = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=installations), base_url="http://i", headers=headers
        )
        self.reads = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=projector), base_url="http://p", headers=headers
        )

    async def post(self, path: str, body: Json, expected: int = 201) -> Json:
        response = await self.commands.post(path, json=body)
        assert response.status_code == expected, response.text
        result: Json = response.json()
        return result

    async def customer(self, active: bool = True) -> str:
        body = await self.post("/v1/customers", {"name": "C", "email": "c@example.com", "active": active})
        return str(body["customer_id"])

    async def installation(self, customer_id: str, *statuses: str) -> str:
        job = await self.post(
            "/v1/installations",
            {
                "customer_id": customer_id,
                "device_type": "thermostat",
                "products": [{"sku": "THERMO-2", "quantity": 1}],
                "price_cents": 18_000,
                "scheduled_for": "2026-11-26T10:00:00+01:00",
            },
        )
        for status in statuses:
            await self.post(f"/v1/installations/{job['installation_id']}/status", {"to_status": status}, 200)
        return str(job["installation_id"])

    async def cards(self) -> Json:
        response = await self.reads.get("/v1/dashboard")
        assert response.status_code == 200, response.text
        assert response.json()["partner_id"] == self.partner_id
        cards: Json = response.json()["cards"]
        return cards

    async def shows(self, customers: int, installations: int, completed: int, handymen: str) -> bool:
        cards = await self.cards()
        return (
            cards["total_customers"]["value"],
            cards["active_installations"]["value"],
            cards["completed_installations"]["value"],
            cards["available_handymen"]["display"],
        ) == (customers, installations, completed, handymen)


@pytest.fixture
def partner(installations: FastAPI, projector: FastAPI, jwt_secret: str) -> Partner:
    return Partner(installations, projector, jwt_secret)


async def test_commands_show_up_on_the_dashboard(
    partner: Partner, installations: FastAPI, projector: FastAPI, jwt_secret: str
) -> None:
    first, second = await partner.customer(), await partner.customer()
    await partner.customer(active=False)
    await partner.installation(first, "IN_PROGRESS", "WORK_COMPLETED", "CUSTOMER_APPROVED")
    await partner.installation(second, "IN_PROGRESS")
    await partner.installation(second, "CANCELLED")
    busy = await partner.post("/v1/handymen", {"name": "H1", "availability": "BUSY"})
    await partner.post("/v1/handymen", {"name": "H2", "availability": "AVAILABLE"})
    await partner.post("/v1/handymen", {"name": "H3", "availability": "OFF_DUTY"})
    response = await partner.commands.put(
        f"/v1/handymen/{busy['handyman_id']}/availability", json={"availability": "AVAILABLE"}
    )
    assert response.status_code == 200

    await wait_until(lambda: partner.shows(3, 3, 1, "2/3"), timeout=20, message="dashboard caught up")
    cards = await partner.cards()
    assert cards["total_customers"] == {"value": 3, "display": "3"}
    assert cards["available_handymen"] == {"available": 2, "total": 3, "display": "2/3"}
    assert cards["customer_satisfaction"]["display"] == "N/A"

    stranger = Partner(installations, projector, jwt_secret)
    assert await stranger.shows(0, 0, 0, "0/0"), "another partner sees none of it"


async def test_a_forbidden_transition_changes_no_number(partner: Partner) -> None:
    job = await partner.installation(await partner.customer(), "IN_PROGRESS", "WORK_COMPLETED")
    await partner.post(f"/v1/installations/{job}/status", {"to_status": "SCHEDULED"}, 409)
    await partner.post(f"/v1/installations/{job}/status", {"to_status": "CUSTOMER_APPROVED"}, 200)
    await partner.post(f"/v1/installations/{job}/status", {"to_status": "CANCELLED"}, 409)
    await wait_until(lambda: partner.shows(1, 1, 1, "0/0"), timeout=20, message="approved job counted")


async def test_redelivered_history_does_not_change_the_numbers(
    partner: Partner, installations: FastAPI
) -> None:
    await partner.installation(await partner.customer(), "IN_PROGRESS", "WORK_COMPLETED", "CUSTOMER_APPROVED")
    await wait_until(lambda: partner.shows(1, 1, 1, "0/0"), timeout=20, message="first projection")

    assert await outbox.mark_all_unsent(installations.state.pool) > 0  # every event goes out again
    await partner.customer()  # published after the redelivered history, in the same partition
    await wait_until(lambda: partner.shows(2, 1, 1, "0/0"), timeout=30, message="history redelivered")


async def test_a_malformed_message_is_dead_lettered_and_later_events_still_count(
    partner: Partner, infrastructure: Endpoints
) -> None:
    garbage = f'{{"event_type": "CustomerRegistered", "broken": "{uuid.uuid4()}"'.encode()
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topics.INSTALLATIONS, garbage, key=partner.partner_id.encode())
    finally:
        await producer.stop()
    await partner.customer()
    await wait_until(lambda: partner.shows(1, 0, 0, "0/0"), timeout=20, message="later event counted")

    letter = await _dead_letter_of(infrastructure.kafka_bootstrap, garbage)
    assert letter.source_topic == topics.INSTALLATIONS
    assert letter.reason.startswith("malformed JSON")
    assert letter.source_key_base64 == base64.b64encode(partner.partner_id.encode()).decode()


async def _dead_letter_of(bootstrap: str, original: bytes) -> DeadLetter:
    found: list[DeadLetter] = []
    consumer = AIOKafkaConsumer(topics.DEADLETTER, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()

    async def arrived() -> bool:
        for messages in (await consumer.getmany(timeout_ms=100)).values():
            letters = (DeadLetter.model_validate_json(m.value) for m in messages)
            found.extend(letter for letter in letters if letter.original == original)
        return bool(found)

    try:
        await wait_until(arrived, timeout=20, message="dead letter published")
    finally:
        await consumer.stop()
    return found[0]
