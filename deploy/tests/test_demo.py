"""The demo history loaded into the real services (in-process apps on the test servers): every report tab
and dashboard card shows figures of two months of business, and loading it again changes nothing.

The story is a pure function of its partner and `now`: both are fixed here, with the read API's clock set to
that `now`, so the figures are the same on every run (and events a persistent broker kept from an earlier run
are the same events again).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from fastapi import FastAPI

from credits.app import create_app as create_credits
from credits.settings import CreditsSettings
from heyzack_shared.auth import issue_token
from heyzack_shared.contracts import commerce
from heyzack_shared.contracts.installations import InstallationStatus
from heyzack_shared.testing import wait_until
from heyzack_stack.commerce import publish
from heyzack_stack.demo import DemoHistory, demo_history
from heyzack_stack.demo_loader import CREDIT_CENTS, Loaded, load_demo
from heyzack_stack.infra import Endpoints
from heyzack_stack.pytest_plugin import ServiceEnvironment
from installations.app import create_app as create_installations
from installations.history import ImportInstallation
from installations.settings import InstallationsSettings
from kpi_projector.app import create_app as create_projector
from kpi_projector.reports import REPORT_TABS
from kpi_projector.settings import ProjectorSettings
from ratings.app import create_app as create_ratings
from ratings.settings import RatingsSettings

Json = dict[str, Any]
PARTNER = "partner-demo-history"
NOW = datetime(2026, 6, 17, 15, 0, tzinfo=UTC)


class Demo:
    """The demo partner's story on the platform: the services' databases, the partner's HTTP clients (of
    credits and the read API), and what the first load did."""

    def __init__(self, history: DemoHistory, databases: dict[str, str], kafka_bootstrap: str) -> None:
        self.history, self.databases, self.kafka_bootstrap = history, databases, kafka_bootstrap

    async def load(self) -> Loaded:
        return await load_demo(
            self.history,
            databases=self.databases,
            kafka_bootstrap=self.kafka_bootstrap,
            credits=self.credits,
            say=lambda _: None,
        )

    async def get(self, path: str) -> Json:
        response = await self.reads.get(path)
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body

    async def figures(self) -> Json:
        """The dashboard cards and every tab over the last 30 days, without the moment they were read."""
        figures = {"cards": (await self.get("/v1/dashboard"))["cards"]}
        for tab in REPORT_TABS:
            report = await self.get(f"/v1/reports/{tab}?range=last_30_days")
            figures[tab] = {part: report[part] for part in ("summary", "series", "tables")}
        return figures

    async def outbox_rows(self) -> dict[str, int]:
        """The events installations and ratings ever emitted (their outboxes keep every row)."""
        rows = {}
        for name, url in self.databases.items():
            conn = await asyncpg.connect(url)
            try:
                rows[name] = await conn.fetchval("SELECT count(*) FROM outbox")
            finally:
                await conn.close()
        return rows

    async def shows_everything(self) -> bool:
        """Every record of the story is projected: counts of each service's records, and the revenue of every
        sale credits recorded from the approvals and the orders."""
        history, cards = self.history, (await self.get("/v1/dashboard"))["cards"]
        satisfaction = await self.get("/v1/reports/satisfaction?range=last_90_days")
        financial = await self.get("/v1/reports/financial?range=last_90_days")
        inventory = await self.get("/v1/reports/inventory?range=last_90_days")
        balance = (await self.credits.get("/v1/credits")).json()["balance_cents"]
        return bool(
            cards["total_customers"]["value"] == len(history.customers)
            and cards["active_installations"]["value"] == len(history.installations)
            and cards["completed_installations"]["value"] == len(_approved(history))
            and cards["available_handymen"]["display"] == "3/5"
            and cards["customer_satisfaction"]["count"] == len(history.ratings)
            and cards["available_credit"]["value_cents"] == balance
            and satisfaction["summary"]["ratings"]["value"] == len(history.ratings)
            and financial["summary"]["revenue_cents"]["value"] == _revenue(history)
            and inventory["summary"]["orders"]["value"] == len(_orders(history))
        )

    credits: httpx.AsyncClient
    reads: httpx.AsyncClient
    first: Loaded


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def demo(
    service_environment: ServiceEnvironment, infrastructure: Endpoints, jwt_secret: str
) -> AsyncIterator[Demo]:
    """The story loaded once into fresh services and a fresh projection, and projected entirely."""
    env = {name: await service_environment(name) for name in ("installations", "ratings", "credits")}
    run = uuid.uuid4().hex[:8]
    projector = create_projector(
        ProjectorSettings.model_validate(
            {
                "REDIS_URL": infrastructure.redis_url,
                "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap,
                "HEYZACK_JWT_SECRET": jwt_secret,
                "PROJECTOR_GROUP_ID": f"demo-{run}",
                "PROJECTOR_REDIS_NAMESPACE": f"demo{run}",
            }
        )
    )
    projector.state.clock = lambda: NOW + timedelta(minutes=5)
    credits = create_credits(CreditsSettings.model_validate(env["credits"]))
    apps = [
        create_installations(InstallationsSettings.model_validate(env["installations"])),
        create_ratings(RatingsSettings.model_validate(env["ratings"])),
        credits,
        projector,
    ]
    token = issue_token(jwt_secret, partner_id=PARTNER, roles=["partner"], subject="owner")
    databases = {name: env[name][f"{name.upper()}_DATABASE_URL"] for name in ("installations", "ratings")}
    demo = Demo(demo_history(PARTNER, now=NOW), databases, infrastructure.kafka_bootstrap)
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        demo.credits = await stack.enter_async_context(_client(credits, token))
        demo.reads = await stack.enter_async_context(_client(projector, token))
        demo.first = await demo.load()
        await wait_until(demo.shows_everything, timeout=90, interval=0.5, message="never all projected")
        yield demo


def _client(app: FastAPI, token: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.AsyncClient(transport=transport, base_url="http://demo", headers=headers, timeout=30)


def _approved(history: DemoHistory) -> list[ImportInstallation]:
    approved = InstallationStatus.CUSTOMER_APPROVED
    return [job for job in history.installations if job.statuses and job.statuses[-1][1] is approved]


def _orders(history: DemoHistory) -> list[commerce.OrderPlaced]:
    return [event for event in history.commerce_events() if isinstance(event, commerce.OrderPlaced)]


def _revenue(history: DemoHistory) -> int:
    placed = sum(order.data.total_cents for order in _orders(history))
    return placed + sum(job.price_cents for job in _approved(history))


async def test_every_tab_and_card_shows_two_months_of_business(demo: Demo) -> None:
    history = demo.history
    assert demo.first.imported == {
        "customers": len(history.customers),
        "handymen": len(history.handymen),
        "installations": len(history.installations),
        "surveys": len(history.surveys),
        "issues": len(history.issues),
        "ratings": len(history.ratings),
    }
    assert demo.first.credit_applied_cents == CREDIT_CENTS
    figures = await demo.figures()

    installations = figures["installations"]["summary"]
    assert installations["created"]["value"] > 10 and installations["created"]["previous"] > 10
    assert 60 <= installations["avg_job_duration_minutes"]["value"] <= 240
    assert 0 < installations["completion_rate"]["value"] < 1
    handymen = figures["handymen"]
    assert 20 <= handymen["summary"]["avg_response_minutes"]["value"] <= 7 * 60
    assert handymen["summary"]["average_rating"]["value"] is not None
    assert sum(1 for row in handymen["tables"]["handymen"] if row["approved"] and row["certifications"]) >= 3
    assert all(any(row["skills"].values()) for row in handymen["tables"]["handymen"])
    inventory = figures["inventory"]
    assert inventory["summary"]["orders"]["value"] > 10 and inventory["summary"]["units_sold"]["value"] > 10
    assert len(inventory["tables"]["stock"]) == 6 and len(inventory["tables"]["usage_by_device_type"]) >= 4
    financial = figures["financial"]["summary"]
    for figure in ("partner_revenue_cents", "product_sales_cents", "service_fees_cents", "commission_cents"):
        assert financial[figure]["value"] > 0, figure
    assert financial["unpaid_cents"]["value"] > 0 and 0 < financial["margin_rate"]["value"] < 1
    aging = {row["bucket"]: row["unpaid_cents"] for row in figures["financial"]["tables"]["aging"]}
    assert aging["current"] > 0 and aging["1-30"] > 0, "some orders are overdue"
    satisfaction = figures["satisfaction"]
    assert -100 <= satisfaction["summary"]["nps"]["value"] <= 100
    assert 0 < satisfaction["summary"]["survey_response_rate"]["value"] < 1
    assert 3.5 <= satisfaction["summary"]["average_rating"]["value"] <= 5
    assert satisfaction["summary"]["issue_resolution_rate"]["previous"] is not None
    assert len(satisfaction["series"]["nps_weekly"]) >= 4 and satisfaction["series"]["sentiment_weekly"]
    assert len(satisfaction["tables"]["by_device_type"]) >= 4
    cards = figures["cards"]
    assert cards["monthly_revenue"]["value_cents"] > 0 and cards["available_credit"]["value_cents"] > 0


async def test_loading_the_demo_again_changes_nothing(demo: Demo) -> None:
    figures, outbox = await demo.figures(), await demo.outbox_rows()

    again = await demo.load()

    assert set(again.imported.values()) == {0}
    assert again.credit_applied_cents == CREDIT_CENTS  # the first application, replayed
    assert await demo.outbox_rows() == outbox
    # The commerce events went out again: once a stock level published after them is projected, so are they.
    sentinel = commerce.StockLevelChanged.new(
        partner_id=PARTNER,
        aggregate_id="ZZ-SENTINEL",
        aggregate_version=1,
        data=commerce.StockLevelChangedData(sku="ZZ-SENTINEL", name="Sentinel", category="test", on_hand=100),
    )
    await publish(demo.kafka_bootstrap, [sentinel])

    async def sentinel_projected() -> bool:
        stock = (await demo.get("/v1/reports/inventory"))["tables"]["stock"]
        return any(row["sku"] == "ZZ-SENTINEL" for row in stock)

    await wait_until(sentinel_projected, timeout=30, message="the sentinel stock level was never projected")
    after = await demo.figures()
    after["inventory"]["tables"]["stock"] = [
        row for row in after["inventory"]["tables"]["stock"] if row["sku"] != "ZZ-SENTINEL"
    ]
    assert after == figures
