"""Live updates: the batch script tells a partner's channel when its figures changed, and `GET /v1/changes`
streams that to the partner's open pages as Server-Sent Events (a real uvicorn server: an in-memory ASGI
transport would buffer the endless response)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from kpi_projector_testkit import Events, batch_of
from redis.asyncio import Redis
from test_consumer import publish

from heyzack_shared.auth import issue_token
from heyzack_shared.contracts import topics
from heyzack_stack.inprocess import serving
from heyzack_stack.ports import free_port
from kpi_projector.app import create_app
from kpi_projector.keyspace import Keys
from kpi_projector.live import PartnerChanges
from kpi_projector.read_models import ProjectionStore, live_generation
from kpi_projector.settings import ProjectorSettings, Role

SentEvent = tuple[str, dict[str, Any]]


async def test_a_batch_tells_only_the_partners_it_changed(redis: Redis, namespace: str) -> None:
    store = ProjectionStore(redis, await live_generation(redis, namespace), namespace)
    ada, ben = Events("partner-ada"), Events("partner-ben")
    keys = Keys(namespace)
    async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.psubscribe(keys.all_changes)
        first = batch_of([ada.customer("c1"), ben.customer("c2")])
        await store.apply(first, applied_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
        await store.apply(
            first, applied_at=datetime(2026, 11, 25, 9, 1, tzinfo=UTC)
        )  # redelivered: no change
        await store.apply(
            batch_of([ada.customer("c3")], first_offset=2),
            applied_at=datetime(2026, 11, 25, 9, 2, tzinfo=UTC),
        )
        await store.flush()
        told = [await _next_message(pubsub, keys) for _ in range(3)]
        assert await pubsub.get_message(timeout=0.2) is None, "a redelivery was told as a change"
    assert sorted(told) == [
        ("partner-ada", "2026-11-25T09:00:00.000000+00:00"),
        ("partner-ada", "2026-11-25T09:02:00.000000+00:00"),
        ("partner-ben", "2026-11-25T09:00:00.000000+00:00"),
    ]
    await store.close()


async def _next_message(pubsub: Any, keys: Keys) -> tuple[str, str]:
    async with asyncio.timeout(5):
        while (message := await pubsub.get_message(timeout=1)) is None:  # None: a subscription's reply
            pass
    return keys.partner_of_changes(message["channel"]), message["data"]


async def test_a_partners_listeners_are_woken_once_per_burst_and_no_one_elses(redis: Redis) -> None:
    changes = PartnerChanges(redis, "unused")
    with changes.listen("partner-ada") as ada, changes.listen("partner-ben") as ben:
        for moment in ("t1", "t2", "t3"):
            changes._wake("partner-ada", moment)
        assert await asyncio.wait_for(ada.next_change(), 1) == "t3"
        assert not ada.woken.is_set()
        assert not ben.woken.is_set()
        assert changes.listeners() == 2
    assert changes.listeners() == 0


async def test_an_open_page_hears_of_its_partners_changes(
    settings: ProjectorSettings, events: Events, token: Callable[..., str]
) -> None:
    other = Events(f"{events.partner_id}-other")
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        assert (await http.get("/v1/changes")).status_code == 401
        async with (
            _stream(http, token(events.partner_id)) as mine,
            _stream(http, token(other.partner_id)) as theirs,
        ):
            assert await _next_event(mine) == ("ready", {"listening": True})
            assert await _next_event(theirs) == ("ready", {"listening": True})

            bootstrap = settings.kafka_bootstrap_servers
            await publish(bootstrap, topics.INSTALLATIONS, events.partner_id, [events.customer("cust-1")])
            name, body = await _next_event(mine)
            assert name == "changed"
            assert datetime.fromisoformat(body["applied_at"]) <= datetime.now(UTC)
            headers = {"Authorization": f"Bearer {token(events.partner_id)}"}
            dashboard = (await http.get("/v1/dashboard", headers=headers)).json()
            assert dashboard["cards"]["total_customers"]["value"] == 1

            await publish(bootstrap, topics.INSTALLATIONS, other.partner_id, [other.customer("cust-2")])
            assert (await _next_event(theirs))[0] == "changed"
            # Had the other partner's change reached this page, it would come before this one's.
            before_mine = datetime.now(UTC)
            await publish(bootstrap, topics.INSTALLATIONS, events.partner_id, [events.customer("cust-3")])
            name, body = await _next_event(mine)
            assert name == "changed"
            assert datetime.fromisoformat(body["applied_at"]) >= before_mine


@contextlib.asynccontextmanager
async def _stream(http: httpx.AsyncClient, token: str) -> AsyncIterator[asyncio.Queue[SentEvent]]:
    """Reads `GET /v1/changes` in the background into a queue of (event name, data)."""
    received: asyncio.Queue[SentEvent] = asyncio.Queue()

    async def read() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with http.stream("GET", "/v1/changes", headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            name, data = "message", ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = line.removeprefix("data: ")
                elif line == "" and data:
                    received.put_nowait((name, json.loads(data)))
                    name, data = "message", ""

    reading = asyncio.create_task(read())
    try:
        yield received
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)


async def _next_event(stream: asyncio.Queue[SentEvent]) -> SentEvent:
    return await asyncio.wait_for(stream.get(), timeout=20)


async def test_the_relay_stops_whenever_asked(redis: Redis) -> None:
    """A stop landing at any moment of the relay's life (connecting, subscribing, reading) ends it: redis-py
    may swallow a cancellation, so the relay is stopped by a flag (this loop hung the suite before)."""
    for moment in range(40):
        changes = PartnerChanges(redis, "stops")
        async with changes.relaying():
            for _ in range(moment % 8):
                await asyncio.sleep(0)
            if moment % 5 == 0:
                assert await changes.wait_subscribed()
        relays = [task for task in asyncio.all_tasks() if task.get_name() == "kpi-projector-live-updates"]
        assert all(task.done() for task in relays), f"the relay still runs after a stop at moment {moment}"


async def test_a_stream_ends_when_its_token_expires(settings: ProjectorSettings, jwt_secret: str) -> None:
    token = issue_token(jwt_secret, partner_id="partner-brief", roles=["partner"], subject="t", ttl=2)
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        async with asyncio.timeout(20):
            headers = {"Authorization": f"Bearer {token}"}
            async with http.stream("GET", "/v1/changes", headers=headers) as response:
                assert response.status_code == 200
                lines = [line async for line in response.aiter_lines()]  # returns once the server ends it
        assert "event: ready" in lines
        again = await http.get("/v1/changes", headers=headers)
        assert again.status_code == 401
        assert again.json()["error"]["message"] == "token expired"


async def test_no_stream_is_promised_while_live_updates_are_down(
    settings: ProjectorSettings, token: Callable[..., str]
) -> None:
    """Redis unreachable: the stream answers 503 (the page keeps polling) instead of a silent `ready`."""
    unreachable = settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0", "role": Role.API}
    )
    app = create_app(unreachable)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kpi-projector") as http:
            headers = {"Authorization": f"Bearer {token('partner-x')}"}
            response = await http.get("/v1/changes", headers=headers)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
