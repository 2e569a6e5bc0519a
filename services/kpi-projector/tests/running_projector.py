"""The projector running in-process on the test servers, and what its tests do to it: publish events, read
the dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx

from heyzack_shared.envelope import Envelope
from heyzack_shared.kafka import new_producer
from kpi_projector.app import create_app
from kpi_projector.settings import ProjectorSettings

Published = list[tuple[int, int]]
"""(partition, offset) of each message published."""


@asynccontextmanager
async def projector(
    settings: ProjectorSettings, *, now: datetime | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The projector app running in-process (lifespan: Redis, consumer task), and a client of its API; `now`
    fixes the read API's clock."""
    app = create_app(settings)
    if now is not None:
        app.state.clock = lambda: now
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kpi-projector") as client:
            yield client


async def publish(bootstrap: str, topic: str, key: str, values: Sequence[Envelope | bytes]) -> Published:
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        sent = []
        for value in values:
            raw = value if isinstance(value, bytes) else value.to_json()
            metadata = await (await producer.send(topic, raw, key=key.encode()))
            sent.append((metadata.partition, metadata.offset))
        return sent
    finally:
        await producer.stop()


def dashboard_shows(client: httpx.AsyncClient, token: str, expected: dict[str, Any]) -> Callable[[], Any]:
    async def check() -> bool:
        response = await client.get("/v1/dashboard", headers={"Authorization": f"Bearer {token}"})
        cards = response.json()["cards"]
        return all(cards[name] == card for name, card in expected.items())

    return check
