"""Pull the plugs: the services run as real processes on the real servers and are killed with SIGKILL at
random moments while work flows; afterwards every figure is exact and nothing was dead-lettered.

- The projector, killed again and again mid-stream: a new process resumes from the positions stored in
  Redis by the same script as the figures.
- The installations service, killed mid-burst of creating commands that the client retries with their
  Idempotency-Key: each is applied once. The outbox relay runs inside that process, so this also kills the
  relay mid-stream (the relay alone, killed mid-batch: shared/tests/test_outbox.py).
- Redis, killed while events flow and started again on its append-only file: the projector waits it out.
  (The projector's consumer alone through a Redis shutdown: test_consume_path.py.)

Each test's projector reads the shared domain topics with a consumer group and a Redis keyspace of its own.
Other tests put poison on those topics, which it dead-letters: only the dead letters of this test's records
count. Seeds are printed, so a failure can be replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import signal
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from kpi_projector_testkit import Events
from prometheus_client.parser import text_string_to_metric_families

from heyzack_shared.contracts import installations as inst
from heyzack_shared.contracts import parse_event, topics
from heyzack_shared.envelope import Envelope
from heyzack_shared.testing import wait_until
from heyzack_shared.testing.dead_letters import Source, dead_letters_among
from heyzack_shared.testing.published import PublishedUnder
from heyzack_stack import embedded
from heyzack_stack.health import Server, await_healthy, redis_answers
from heyzack_stack.infra import Endpoints
from heyzack_stack.ports import free_port
from heyzack_stack.processes import ChildProcess
from heyzack_stack.pytest_plugin import HeadersFor, ServiceEnvironment
from heyzack_stack.services import Service, Services, running_services, service

Json = dict[str, Any]
ZONE = "Europe/Paris"
KILLED = -signal.SIGKILL


def on_a_free_port(name: str) -> Service:
    return replace(service(name), port=free_port())


@pytest.fixture
def projector_env(infrastructure: Endpoints, jwt_secret: str) -> dict[str, str]:
    """The environment of a projector on the test servers, with a consumer group and a keyspace of its own."""
    run = uuid.uuid4().hex[:8]
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap,
        "REDIS_URL": infrastructure.redis_url,
        "HEYZACK_JWT_SECRET": jwt_secret,
        "HEYZACK_TIMEZONE": ZONE,
        "PROJECTOR_GROUP_ID": f"faults-{run}",
        "PROJECTOR_REDIS_NAMESPACE": f"faults{run}",
        "PROJECTOR_BATCH_SIZE": "200",  # many small batches: more moments for a kill to land inside one
    }


@pytest.fixture
async def platform_env(
    projector_env: dict[str, str], service_environment: ServiceEnvironment
) -> dict[str, str]:
    """The projector's environment and an installations service's (with a database of its own)."""
    return {**projector_env, **await service_environment("installations")}


@pytest.fixture
def rng() -> random.Random:
    seed = random.randrange(2**32)
    print(f"seed: {seed}")
    return random.Random(seed)


async def kill_and_start_again(running: Services, name: str) -> int | None:
    """SIGKILL the service's process, then start a new one at once (without waiting for it to be ready);
    the killed process's exit code."""
    child = running.children[name]
    os.kill(child.pid, signal.SIGKILL)
    await child.stop()
    child.log_path.replace(child.log_path.with_name(f"{name}-{child.pid}-killed.log"))  # kept, not emptied
    running.start(running.services[name])
    return child.exit_code()


async def metric(url: str, name: str) -> float:
    """The sum of a metric's samples on a service's /metrics; 0 while the service does not answer."""
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            text = (await http.get(f"{url}/metrics")).text
    except httpx.TransportError:
        return 0.0
    families = text_string_to_metric_families(text)
    return sum(sample.value for family in families for sample in family.samples if sample.name == name)


async def applying(projector_url: str) -> bool:
    """True once this projector process has applied events."""
    return await metric(projector_url, "heyzack_events_handled_total") > 0


async def figures(http: httpx.AsyncClient, headers: dict[str, str]) -> Json | None:
    """The dashboard's figures, exact (no display strings); None while the projector does not answer."""
    try:
        response = await http.get("/v1/dashboard", headers=headers)
    except httpx.TransportError:
        return None
    if response.status_code != 200:
        return None
    cards = response.json()["cards"]
    satisfaction = cards["customer_satisfaction"]
    return {
        "customers": cards["total_customers"]["value"],
        "installations": cards["active_installations"]["value"],
        "completed": cards["completed_installations"]["value"],
        "revenue_cents": cards["monthly_revenue"]["value_cents"],
        "revenue_month": cards["monthly_revenue"]["month"],
        "stars": (satisfaction["sum"], satisfaction["count"]),
        "average_stars": satisfaction["average"],
        "distribution": satisfaction["distribution"],
        "credit_cents": cards["available_credit"]["value_cents"],
    }


async def settles_on(read: Callable[[], Awaitable[Any]], expected: Any, *, timeout: float) -> None:
    """Wait until `read()` gives `expected`, then assert it: a timeout shows what it gave instead."""

    async def arrived() -> bool:
        return bool(await read() == expected)

    with contextlib.suppress(AssertionError):
        await wait_until(arrived, timeout=timeout, interval=0.2)
    assert await read() == expected


def current_month() -> str:
    return datetime.now(ZoneInfo(ZONE)).strftime("%Y-%m")


def expected_figures(
    *,
    customers: int,
    installations: int,
    completed: int = 0,
    stars: Sequence[int] = (),
    sales_cents: Sequence[int] = (),
    credit_cents: int = 0,
) -> Json:
    """The dashboard's figures as docs/figures.md defines them, worked out here without the projector's
    code."""
    average = None
    if stars:
        tenths = (Decimal(sum(stars)) / len(stars)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        average = float(tenths)
    per_star = Counter(stars)
    return {
        "customers": customers,
        "installations": installations,
        "completed": completed,
        "revenue_cents": sum(sales_cents),
        "revenue_month": current_month(),
        "stars": (sum(stars), len(stars)),
        "average_stars": average,
        "distribution": {str(score): per_star[score] for score in range(1, 6)},
        "credit_cents": credit_cents,
    }


# --- the projector killed mid-stream ----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One partner's share of the stream: its events and the figures they imply both follow from it."""

    partner_id: str
    customers: int
    made_inactive: int
    approved_jobs: int
    open_jobs: int
    stars: tuple[int, ...]
    """Ratings of the first approved jobs."""
    sales_cents: tuple[int, ...]
    """Sales of the current month, each earning a 2% commission in credit."""

    @classmethod
    def drawn(cls, rng: random.Random) -> Plan:
        approved = rng.randint(40, 60)
        return cls(
            partner_id=f"partner-{uuid.uuid4().hex[:12]}",
            customers=rng.randint(100, 140),
            made_inactive=rng.randint(10, 30),
            approved_jobs=approved,
            open_jobs=rng.randint(40, 60),
            stars=tuple(rng.randint(1, 5) for _ in range(rng.randint(20, approved))),
            sales_cents=tuple(rng.randint(1_000, 90_000) for _ in range(rng.randint(30, 50))),
        )

    def figures(self) -> Json:
        return expected_figures(
            customers=self.customers,
            installations=self.approved_jobs + self.open_jobs,
            completed=self.approved_jobs,
            stars=self.stars,
            sales_cents=self.sales_cents,
            credit_cents=sum(commission(sale) for sale in self.sales_cents),
        )

    def sequences(self) -> list[list[Envelope]]:
        """Its events, as sequences that must each keep their order (one aggregate's events)."""
        events = Events(self.partner_id)
        customers = [
            [events.customer(f"c{n}"), events.customer(f"c{n}", version=2, active=False)][
                : 2 if n < self.made_inactive else 1
            ]
            for n in range(self.customers)
        ]
        approved = [events.approved_job(f"j{n}") for n in range(self.approved_jobs)]
        still_open = [[events.installation(f"o{n}")] for n in range(self.open_jobs)]
        ratings = [
            [events.rating(f"r{n}", stars, installation_id=f"j{n}")] for n, stars in enumerate(self.stars)
        ]
        return [*customers, *approved, *still_open, *ratings, self._credits(events)]

    def _credits(self, events: Events) -> list[Envelope]:
        """The credits service's events: one aggregate (the partner), one version sequence."""
        month, month_total, balance, sequence = current_month(), 0, 0, []
        for n, sale in enumerate(self.sales_cents):
            month_total, balance = month_total + sale, balance + commission(sale)
            sequence.append(events.revenue(2 * n + 1, month_total, month=month, amount_cents=sale))
            sequence.append(events.credit_earned(2 * n + 2, commission(sale), balance))
        return sequence


def commission(sale_cents: int) -> int:
    return sale_cents * 2 // 100


def interleaved(sequences: Iterable[Sequence[Envelope]], rng: random.Random) -> list[Envelope]:
    """All the events in one random order that keeps each sequence's own."""
    moments = [
        (moment, event)
        for sequence in sequences
        for moment, event in zip(sorted(rng.random() for _ in sequence), sequence, strict=True)
    ]
    return [event for _, event in sorted(moments, key=lambda pair: pair[0])]


async def send(producer: AIOKafkaProducer, events: Sequence[Envelope]) -> list[Source]:
    """Publish the events, each on its topic under its partner's key, in order; where each one landed."""
    pending = [await producer.send(e.topic, e.to_json(), key=e.partner_id.encode()) for e in events]
    return [(sent.topic, sent.partition, sent.offset) for sent in await asyncio.gather(*pending)]


async def test_the_projector_killed_again_and_again_mid_stream_ends_with_exact_figures(
    infrastructure: Endpoints,
    producer: AIOKafkaProducer,
    projector_env: dict[str, str],
    headers_for: HeadersFor,
    rng: random.Random,
    tmp_path: Path,
) -> None:
    plans = [Plan.drawn(rng) for _ in range(7)]
    stream = interleaved([sequence for plan in plans for sequence in plan.sequences()], rng)
    chunks = [stream[start : start + 100] for start in range(0, len(stream), 100)]
    kill_after = set(rng.sample(range(2, len(chunks) - 2), 3))
    projector = on_a_free_port("kpi-projector")
    sources: list[Source] = []
    exit_codes: list[int | None] = []
    async with running_services([projector], projector_env, tmp_path / "logs", say=print) as running:
        for number, chunk in enumerate(chunks):
            sources += await send(producer, chunk)
            if number in kill_after:
                await wait_until(
                    functools.partial(applying, projector.url), timeout=60, message="no event applied"
                )
                exit_codes.append(await kill_and_start_again(running, projector.name))
        await running.ready(projector.name)
        async with httpx.AsyncClient(base_url=projector.url, timeout=10) as http:
            for plan in plans:
                dashboard = functools.partial(figures, http, headers_for(plan.partner_id))
                await settles_on(dashboard, plan.figures(), timeout=60)
    assert len(stream) >= 2500
    assert exit_codes == [KILLED] * 3
    assert await dead_letters_among(infrastructure.kafka_bootstrap, sources) == {}


# --- the installations service killed mid-burst -----------------------------------------------------------


class Partner:
    """A partner's client of the installations service: creating commands, each sent with an
    Idempotency-Key and sent again with it, as often as needed, until it gets an answer."""

    def __init__(self, partner_id: str, http: httpx.AsyncClient) -> None:
        self.partner_id = partner_id
        self.http = http
        self.answered = 0
        self.unanswered = 0
        """Attempts whose answer never came (refused, cut or timed out)."""
        self.replayed = 0

    async def command(self, path: str, body: Json, key: str) -> Json:
        while True:
            try:
                response = await self.http.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError:
                self.unanswered += 1
                await asyncio.sleep(0.05)  # a client's pause before it tries again, not a synchronisation
                continue
            assert response.status_code == 201, response.text
            self.answered += 1
            self.replayed += response.headers.get("Idempotent-Replayed") == "true"
            result: Json = response.json()
            return result

    async def customer_with_installation(self, number: int) -> tuple[str, str]:
        customer = await self.command(
            "/v1/customers", {"name": f"Customer {number}", "email": "c@example.com"}, f"customer-{number}"
        )
        job = {
            "customer_id": customer["customer_id"],
            "device_type": "camera",
            "products": [{"sku": "CAM-01", "quantity": 1}],
            "price_cents": 20_000 + number,
            "scheduled_for": "2026-11-26T10:00:00+01:00",
        }
        installation = await self.command("/v1/installations", job, f"installation-{number}")
        assert installation["customer_id"] == customer["customer_id"]
        return customer["customer_id"], installation["installation_id"]

    async def burst(self, numbers: range, *, at_once: int = 8) -> list[tuple[str, str]]:
        """A customer and an installation for each number, `at_once` of them in flight."""
        gate = asyncio.Semaphore(at_once)

        async def one(number: int) -> tuple[str, str]:
            async with gate:
                return await self.customer_with_installation(number)

        return list(await asyncio.gather(*(one(number) for number in numbers)))

    async def all_exist(self, created: Sequence[tuple[str, str]]) -> None:
        for customer_id, installation_id in created:
            customer = await self.http.get(f"/v1/customers/{customer_id}")
            assert customer.status_code == 200, customer.text
            installation = await self.http.get(f"/v1/installations/{installation_id}")
            assert installation.status_code == 200, installation.text
            assert installation.json()["customer_id"] == customer_id


def answered_or_failed(partner: Partner, answers: int, burst: asyncio.Task[Any]) -> Callable[[], bool]:
    return lambda: partner.answered >= answers or burst.done()


@contextlib.asynccontextmanager
async def partner_of(url: str, headers_for: HeadersFor) -> AsyncIterator[Partner]:
    partner_id = f"partner-{uuid.uuid4().hex[:12]}"
    async with httpx.AsyncClient(base_url=url, headers=headers_for(partner_id), timeout=30) as http:
        yield Partner(partner_id, http)


async def published_events(
    bootstrap: str, partner_id: str, expected: int
) -> tuple[set[Source], list[Envelope]]:
    """Where the partner's events landed on the installations topic, and the events (redeliveries by the
    relay counted once), once `expected` distinct ones are there."""
    async with PublishedUnder(bootstrap, topics.INSTALLATIONS, partner_id) as published:

        async def all_there() -> bool:
            return len({parse_event(record.value).event_id for record in await published.read()}) >= expected

        await wait_until(all_there, timeout=60, message="events missing from the topic")
        records = published.records
    events: list[Envelope] = [parse_event(record.value) for record in records]
    return {(record.topic, record.partition, record.offset) for record in records}, events


def what_happened(events: Iterable[Envelope]) -> set[tuple[str, str]]:
    unique = {event.event_id: event for event in events}.values()
    return {(event.event_type, event.aggregate_id) for event in unique}


async def test_installations_killed_mid_burst_applies_every_retried_command_once(
    infrastructure: Endpoints,
    platform_env: dict[str, str],
    headers_for: HeadersFor,
    rng: random.Random,
    tmp_path: Path,
) -> None:
    """Also the outbox relay killed mid-stream: it runs in the killed process. Events it sent but had not
    marked sent go out again after the restart (same event id), which the projector counts once."""
    count = 120
    kills_at = sorted(rng.sample(range(count // 4, 3 * count // 2), 3))  # of 2 × count answers
    installations, projector = on_a_free_port("installations"), on_a_free_port("kpi-projector")
    exit_codes: list[int | None] = []
    async with (
        running_services([installations, projector], platform_env, tmp_path / "logs", say=print) as running,
        partner_of(installations.url, headers_for) as partner,
    ):
        burst = asyncio.create_task(partner.burst(range(count)))
        try:
            for answers in kills_at:
                await wait_until(answered_or_failed(partner, answers, burst), timeout=60)
                exit_codes.append(await kill_and_start_again(running, installations.name))
            created = await asyncio.wait_for(burst, timeout=90)
        finally:
            burst.cancel()
            await asyncio.gather(burst, return_exceptions=True)
        print(f"{partner.unanswered} attempts unanswered, {partner.replayed} answers replayed")
        await partner.all_exist(created)
        async with httpx.AsyncClient(base_url=projector.url, timeout=10) as http:
            dashboard = functools.partial(figures, http, headers_for(partner.partner_id))
            await settles_on(dashboard, expected_figures(customers=count, installations=count), timeout=60)
    assert exit_codes == [KILLED] * 3
    assert partner.unanswered > 0, "no request was cut by the kills"
    assert len({customer for customer, _ in created}) == count
    sources, events = await published_events(infrastructure.kafka_bootstrap, partner.partner_id, 2 * count)
    assert what_happened(events) == {
        *((inst.CustomerRegistered.model_fields["event_type"].default, c) for c, _ in created),
        *((inst.InstallationCreated.model_fields["event_type"].default, i) for _, i in created),
    }
    assert len({event.event_id for event in events}) == 2 * count
    assert await dead_letters_among(infrastructure.kafka_bootstrap, sources) == {}


# --- Redis killed while events flow -----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def redis_of_our_own(folder: Path, *, append_only: bool) -> AsyncIterator[RedisOfOurOwn]:
    redis = RedisOfOurOwn(folder, free_port(), append_only=append_only)
    try:
        await redis.start()
        yield redis
    finally:
        await redis.child.stop()


class RedisOfOurOwn:
    """A Redis on a port of its own, started again after a kill on the same port and folder: with
    `append_only`, it then has all it acknowledged; without, it starts empty (as `make run` runs it)."""

    def __init__(self, folder: Path, port: int, *, append_only: bool) -> None:
        self.folder, self.port, self.append_only = folder, port, append_only
        self.url = f"redis://127.0.0.1:{port}/0"
        self.child: ChildProcess

    async def start(self) -> None:
        log = self.folder / "redis.log"
        self.child = embedded.redis_server(self.folder, self.port, log_path=log, append_only=self.append_only)
        server = Server("redis", self.url, self.child.log_tail, self.child.exit_code)
        await await_healthy(server, redis_answers, timeout=30)

    async def kill(self) -> int | None:
        os.kill(self.child.pid, signal.SIGKILL)
        await self.child.stop()
        return self.child.exit_code()


async def not_ready(url: str) -> bool:
    async with httpx.AsyncClient(timeout=5) as http:
        return (await http.get(f"{url}/readyz")).status_code == 503


@pytest.mark.parametrize("append_only", [True, False], ids=["data-kept", "data-lost"])
async def test_redis_killed_while_events_flow_is_waited_out_with_exact_figures(
    infrastructure: Endpoints,
    platform_env: dict[str, str],
    headers_for: HeadersFor,
    tmp_path: Path,
    append_only: bool,
) -> None:
    """Commands over HTTP → outbox → Kafka → projector → Redis, with Redis gone for a few seconds: the
    projector retries (counted on its /metrics), says it is not ready meanwhile, and never crashes. A Redis
    that comes back empty is filled again from the topics."""
    installations, projector = on_a_free_port("installations"), on_a_free_port("kpi-projector")
    async with redis_of_our_own(tmp_path / "redis", append_only=append_only) as redis:
        env = {**platform_env, "REDIS_URL": redis.url}
        async with (
            running_services([installations, projector], env, tmp_path / "logs", say=print) as running,
            partner_of(installations.url, headers_for) as partner,
            httpx.AsyncClient(base_url=projector.url, timeout=10) as http,
        ):
            dashboard = functools.partial(figures, http, headers_for(partner.partner_id))
            created = await partner.burst(range(20))
            await settles_on(dashboard, expected_figures(customers=20, installations=20), timeout=60)

            assert await redis.kill() == KILLED
            created += await partner.burst(range(20, 50))
            retried = functools.partial(metric, projector.url, "heyzack_consumer_retries_total")
            await wait_until(lambda: _at_least(retried(), 2), timeout=30, message="no retry counted")
            assert await not_ready(projector.url)
            await redis.start()

            await settles_on(dashboard, expected_figures(customers=50, installations=50), timeout=60)
            assert running.children[projector.name].exit_code() is None, "the projector crashed"
            assert await metric(projector.url, "heyzack_consumer_retries_total") >= 2
            await partner.all_exist(created)
    sources, _ = await published_events(infrastructure.kafka_bootstrap, partner.partner_id, 100)
    assert await dead_letters_among(infrastructure.kafka_bootstrap, sources) == {}


async def _at_least(value: Awaitable[float], minimum: float) -> bool:
    return await value >= minimum
