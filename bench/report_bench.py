"""Report latency: `GET /v1/reports/{tab}` for a 90-day range over a realistic partner history.

One partner's history (customers, handymen, 400 installations over ~2 months, a rating for most approved
installations, and 300 Shopify orders with payments and stock levels from the commerce simulator) is
projected into Redis by the projector's own store; then the read API, in-process over ASGI with its clock
set just after the history, answers each built tab many times. Prints p50/p99 per tab and for the exports.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import workload
from fastapi import FastAPI
from redis.asyncio import Redis

from heyzack_shared.auth import issue_token
from heyzack_shared.batches import Batch, Delivery
from heyzack_shared.contracts import installations as inst
from heyzack_shared.contracts import ratings, topics
from heyzack_shared.envelope import Envelope
from heyzack_stack.commerce import simulate
from heyzack_stack.infra import start_infrastructure
from kpi_projector.app import create_app
from kpi_projector.read_models import ProjectionStore, live_generation
from kpi_projector.reports import REPORT_TABS
from kpi_projector.settings import ProjectorSettings

SECRET = "report-bench-secret-of-at-least-32-bytes"


def history(work: workload.Workload, partner_id: str) -> list[Envelope]:
    """The installations workload plus ratings of approved jobs and simulated commerce, in time order."""
    events = work.ordered()
    latest = max(event.occurred_at for event in events)
    rng = random.Random(11)
    ratings = [
        _rating(event, rng.choice((3, 4, 4, 5, 5, 5)))
        for event in events
        if isinstance(event, inst.InstallationStatusChanged)
        and event.data.to_status == inst.InstallationStatus.CUSTOMER_APPROVED
        and rng.random() < 0.8
    ]
    orders = simulate(partner_id, orders=300, seed=5, until=latest, days=60)
    return sorted([*events, *ratings, *orders], key=lambda event: event.occurred_at)


def _rating(approved: inst.InstallationStatusChanged, stars: int) -> Envelope:
    rating_id = f"rat-{approved.aggregate_id}"
    return ratings.RatingSubmitted.new(
        partner_id=approved.partner_id,
        aggregate_id=rating_id,
        aggregate_version=1,
        data=ratings.RatingSubmittedData(
            rating_id=rating_id,
            installation_id=approved.aggregate_id,
            customer_id="cust-00001",
            handyman_id="hm-001",
            device_type=inst.DeviceType.CAMERA,
            stars=stars,
            comment=None,
        ),
        occurred_at=approved.occurred_at + timedelta(hours=2),
    )


async def project(redis: Redis, namespace: str, events: list[Envelope]) -> int:
    store = ProjectionStore(redis, await live_generation(redis, namespace), namespace)
    for first in range(0, len(events), 5_000):
        chunk = events[first : first + 5_000]
        deliveries = [Delivery(event, topics.INSTALLATIONS, 0, first + n) for n, event in enumerate(chunk)]
        await store.apply(Batch(deliveries, {}))
    await store.flush()
    return len(events)


async def latencies(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], requests: int
) -> list[float]:
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = await http.get(path, headers=headers)
        timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            return []
    return timings


def describe(timings: list[float]) -> str:
    quantiles = statistics.quantiles(timings, n=100)
    return (
        f"p50 {quantiles[49] * 1000:7.2f} ms   p99 {quantiles[98] * 1000:7.2f} ms   ({len(timings)} requests)"
    )


@dataclass
class ProjectedPartner:
    """One partner's realistic history projected into Redis, and the read API over it (not started)."""

    app: FastAPI
    partner_id: str
    token: str
    events: int
    first: datetime
    last: datetime


@asynccontextmanager
async def projected_partner() -> AsyncIterator[ProjectedPartner]:
    """Embedded infrastructure with one partner's history projected; the read API's clock set just after."""
    work = workload.build(1)  # one partner
    partner_id = next(iter(work.expected))
    first, last = min(at for at, _ in work.events), max(at for at, _ in work.events)
    namespace = f"bench{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory(prefix="heyzack-bench-", ignore_cleanup_errors=True) as state_dir:
        async with start_infrastructure(Path(state_dir)) as endpoints:
            redis = Redis.from_url(endpoints.redis_url, decode_responses=True)
            try:
                count = await project(redis, namespace, history(work, partner_id))
            finally:
                await redis.aclose()
            settings = ProjectorSettings.model_validate(
                {
                    "REDIS_URL": endpoints.redis_url,
                    "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap,
                    "HEYZACK_JWT_SECRET": SECRET,
                    "PROJECTOR_ROLE": "api",
                    "PROJECTOR_REDIS_NAMESPACE": namespace,
                }
            )
            app = create_app(settings)
            app.state.clock = lambda: last + timedelta(hours=1)
            token = issue_token(SECRET, partner_id=partner_id, roles=["partner"], subject="bench")
            yield ProjectedPartner(app, partner_id, token, count, first, last)


async def main(requests: int) -> int:
    async with projected_partner() as partner:
        print(
            f"projected {partner.events:,} events of {partner.partner_id} "
            f"({partner.first:%Y-%m-%d} .. {partner.last:%Y-%m-%d})"
        )
        headers = {"Authorization": f"Bearer {partner.token}"}
        async with partner.app.router.lifespan_context(partner.app):
            transport = httpx.ASGITransport(app=partner.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                await report_latencies(http, headers, requests)
    return 0


async def report_latencies(http: httpx.AsyncClient, headers: dict[str, str], requests: int) -> None:
    for tab in REPORT_TABS:
        timings = await latencies(http, f"/v1/reports/{tab}?range=last_90_days", headers, requests)
        print(f"GET /v1/reports/{tab:<13} 90 days: " + (describe(timings) if timings else "failed"))
    for fmt in ("csv", "xlsx", "pdf"):
        path = f"/v1/reports/installations/export?format={fmt}&range=last_90_days"
        timings = await latencies(http, path, headers, max(20, requests // 10))
        print(f"export installations {fmt:<4}     90 days: " + (describe(timings) if timings else "failed"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="requests per tab (default 300)")
    sys.exit(asyncio.run(main(parser.parse_args().requests)))
