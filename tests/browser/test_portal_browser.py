"""The partner portal in a real headless Chromium (Debian's, driven by Playwright), against real HTTP servers.

The services run as uvicorn servers on free ports in the test's event loop; the browser talks to them over
HTTP like a partner's would. Screenshots go to `test-artifacts/` (git-ignored).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from credits.app import create_app as create_credits
from credits.settings import CreditsSettings
from heyzack_shared.auth import issue_token
from heyzack_shared.testing import wait_until
from heyzack_stack.demo import demo_history
from heyzack_stack.demo_loader import load_demo
from heyzack_stack.infra import Endpoints
from heyzack_stack.inprocess import serving
from heyzack_stack.ports import free_port
from heyzack_stack.pytest_plugin import ServiceEnvironment
from installations.app import create_app as create_installations
from installations.settings import InstallationsSettings
from kpi_projector.app import create_app as create_projector
from kpi_projector.reports import REPORT_TABS
from kpi_projector.settings import ProjectorSettings
from ratings.app import create_app as create_ratings
from ratings.settings import RatingsSettings

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TABS = tuple(REPORT_TABS)
CARDS = (
    "total_customers",
    "active_installations",
    "completed_installations",
    "available_handymen",
    "monthly_revenue",
    "customer_satisfaction",
    "available_credit",
)
RUN = uuid.uuid4().hex[:8]
Json = dict[str, Any]

if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium: apt-get install chromium to run the browser tests", allow_module_level=True
    )

from playwright.async_api import Browser, Page, async_playwright, expect  # noqa: E402


@dataclass
class Platform:
    urls: dict[str, str]
    partner_id: str
    token: str
    databases: dict[str, str]
    kafka_bootstrap: str

    def client(self, service: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.urls[service], headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )

    async def call(self, service: str, method: str, path: str, expected: int, **kwargs: Any) -> Json:
        async with self.client(service) as http:
            response = await http.request(method, path, **kwargs)
        assert response.status_code == expected, response.text
        body: Json = response.json()
        return body


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def platform(
    infrastructure: Endpoints, jwt_secret: str, service_environment: ServiceEnvironment
) -> AsyncIterator[Platform]:
    ports = {name: free_port() for name in ("projector", "installations", "ratings", "credits")}
    portal_origin = f"http://127.0.0.1:{ports['projector']}"
    shared = {"HEYZACK_PORTAL_ORIGINS": portal_origin}
    env = {name: await service_environment(name) for name in ("installations", "ratings", "credits")}
    apps = {
        "installations": create_installations(
            InstallationsSettings.model_validate({**env["installations"], **shared})
        ),
        "ratings": create_ratings(RatingsSettings.model_validate({**env["ratings"], **shared})),
        "credits": create_credits(CreditsSettings.model_validate({**env["credits"], **shared})),
        "projector": create_projector(
            ProjectorSettings.model_validate(
                {
                    "REDIS_URL": infrastructure.redis_url,
                    "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap,
                    "HEYZACK_JWT_SECRET": jwt_secret,
                    "PROJECTOR_GROUP_ID": f"portal-{RUN}",
                    "PROJECTOR_REDIS_NAMESPACE": f"portal{RUN}",
                    "HEYZACK_CREDITS_URL": f"http://127.0.0.1:{ports['credits']}",
                    **shared,
                }
            )
        ),
    }
    partner_id = f"partner-{uuid.uuid4().hex[:10]}"
    token = issue_token(jwt_secret, partner_id=partner_id, roles=["partner"], subject="browser")
    async with contextlib.AsyncExitStack() as stack:
        urls = {
            name: await stack.enter_async_context(serving(app, ports[name])) for name, app in apps.items()
        }
        databases = {name: env[name][f"{name.upper()}_DATABASE_URL"] for name in ("installations", "ratings")}
        platform = Platform(urls, partner_id, token, databases, infrastructure.kafka_bootstrap)
        await _some_history(platform)
        yield platform


async def _some_history(platform: Platform) -> None:
    """Two approved installations (€6,000 and €500.50: Silver, credit earned), rated 5 and 4."""
    approved = []
    for price_cents, device in ((600_000, "smart_lock"), (50_050, "camera")):
        customer = await platform.call(
            "installations", "POST", "/v1/customers", 201, json={"name": "C", "email": "c@example.com"}
        )
        job = await platform.call(
            "installations",
            "POST",
            "/v1/installations",
            201,
            json={
                "customer_id": customer["customer_id"],
                "device_type": device,
                "products": [{"sku": "LOCK-1", "quantity": 1}],
                "price_cents": price_cents,
                "scheduled_for": "2026-11-26T10:00:00+01:00",
            },
        )
        for status in ("IN_PROGRESS", "WORK_COMPLETED", "CUSTOMER_APPROVED"):
            path = f"/v1/installations/{job['installation_id']}/status"
            await platform.call("installations", "POST", path, 200, json={"to_status": status})
        approved.append(job["installation_id"])
    async with platform.client("ratings") as ratings:
        for installation_id, stars in zip(approved, (5, 4), strict=True):
            body = {"installation_id": installation_id, "stars": stars, "comment": None}

            async def accepted(body: Json = body) -> bool:
                response = await ratings.post("/v1/ratings", json=body)
                assert response.status_code in (201, 404, 409), response.text
                return response.status_code == 201

            await wait_until(accepted, timeout=30, message="ratings learned of the approval")

    async def projected() -> bool:
        cards = (await platform.call("projector", "GET", "/v1/dashboard", 200))["cards"]
        return bool(
            cards["customer_satisfaction"]["count"] == 2 and cards["available_credit"]["value_cents"] > 0
        )

    await wait_until(projected, timeout=45, message="the history reached the dashboard")

    async def whole() -> bool:  # caught up with the other tests' events too: the portal says "Live"
        async with platform.client("projector") as projector:
            return (await projector.get("/readyz")).json()["status"] == "ready"

    await wait_until(whole, timeout=60, message="the projector never caught up")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    opened = await context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    yield opened
    await context.close()
    assert not problems, problems


async def signed_in(page: Page, platform: Platform) -> None:
    await page.goto(f"{platform.urls['projector']}/?token={platform.token}")
    await expect(page.locator("#card-available_credit .value")).not_to_be_empty()
    assert "token=" not in page.url, "the token is removed from the address bar"


async def shown_cards(page: Page) -> dict[str, str]:
    return {card: (await page.locator(f"#card-{card} .value").inner_text()).strip() for card in CARDS}


def screenshot(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"portal-{name}.png"


async def test_sign_in_shows_the_seven_cards_of_the_api(page: Page, platform: Platform) -> None:
    await signed_in(page, platform)
    dashboard = await platform.call("projector", "GET", "/v1/dashboard", 200)
    expected = {name: card["display"] for name, card in dashboard["cards"].items()}
    assert await shown_cards(page) == expected
    assert expected["customer_satisfaction"] == "4.5/5"
    await expect(page.locator("#dashboard-fresh")).to_contain_text("updated")
    bars = page.locator("#card-customer_satisfaction .bars li")
    await expect(bars).to_have_count(5)
    await expect(page.locator("#use-credit")).to_be_visible()

    card = page.locator("#card-monthly_revenue")
    await card.focus()
    tip = page.locator("#tip-monthly_revenue")
    await expect(tip).to_be_visible()
    assert await card.get_attribute("aria-describedby") == "tip-monthly_revenue"
    assert "current month" in await tip.inner_text()
    await page.screenshot(path=screenshot("dashboard"), full_page=True)

    await page.set_viewport_size({"width": 390, "height": 844})
    await page.screenshot(path=screenshot("dashboard-phone"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no horizontal scrolling at phone width"

    await page.reload()
    await expect(page.locator("#card-total_customers .value")).to_have_text(expected["total_customers"])
    await page.click("#sign-out")
    await expect(page.locator("#signin")).to_be_visible()
    await page.fill("#token-input", platform.token)
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#card-total_customers .value")).to_have_text(expected["total_customers"])


async def test_a_bad_token_is_explained(page: Page, platform: Platform) -> None:
    await page.goto(f"{platform.urls['projector']}/?token=not-a-token")
    await expect(page.locator("#notice")).to_contain_text("sign in again")
    await expect(page.locator("#signin")).to_be_visible()


async def test_use_credit_applies_once_and_shows_the_new_balance(page: Page, platform: Platform) -> None:
    before = await platform.call("credits", "GET", "/v1/credits", 200)
    await signed_in(page, platform)
    await page.click("#use-credit")
    dialog = page.locator("#credit-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("cannot be undone")

    await page.fill("#credit-order", "#B-1001")
    await page.fill("#credit-cart", "10")
    await page.fill("#credit-amount", "20")
    await page.click("#credit-submit")
    await expect(page.locator("#credit-error")).to_contain_text("cannot exceed the cart total")

    await page.fill("#credit-cart", "200")
    await page.fill("#credit-amount", "10.01")
    await page.dblclick("#credit-submit")
    await expect(page.locator("#credit-result")).to_contain_text("New balance")
    remaining = before["balance_cents"] - 1001
    shown = f"€{remaining // 100:,}"
    await expect(page.locator("#card-available_credit .value")).to_have_text(shown)
    await page.screenshot(path=screenshot("credit-applied"))
    after = await platform.call("credits", "GET", "/v1/credits", 200)
    assert after["balance_cents"] == remaining, "a double click applies once"
    await page.click("#credit-cancel")
    await expect(dialog).to_be_hidden()


async def test_every_report_tab_and_a_range(page: Page, platform: Platform) -> None:
    await signed_in(page, platform)
    await page.click("#nav-reports")
    panel = page.locator("#report-panel")
    await expect(page.locator("#tabs [role=tab]")).to_have_text([tab.label for tab in REPORT_TABS.values()])
    for tab in TABS:
        await page.click(f"#tab-{tab}")
        await expect(page.locator(f"#tab-{tab}")).to_have_attribute("aria-selected", "true")
        await expect(panel.locator(".summary, [role=alert]")).to_have_count(1)
        await expect(panel).not_to_have_attribute("aria-busy", "true")
        await expect(panel.locator(".summary .figure").first).to_be_visible()
        await expect(panel.locator(".change").first).to_be_visible()
        report = await platform.call("projector", "GET", f"/v1/reports/{tab}?range=last_30_days", 200)
        charted = any(report["series"].values()) or any(report["tables"].values())
        if charted:
            await expect(panel.locator("svg.chart").first).to_be_visible()
        await page.screenshot(path=screenshot(f"report-{tab}"), full_page=True)

    await page.click("#tab-satisfaction")
    await expect(panel.locator("[data-chart=sentiment_weekly] svg.chart path")).to_have_count(3)
    await page.click("#tab-installations")
    await expect(panel.locator("[data-figure=created] .value")).to_have_text("2")
    device_bars = panel.locator("[data-chart=by_device_type] svg.bars rect")
    await expect(device_bars).to_have_count(4)  # camera and smart lock, created and approved each
    await page.select_option("#range-select", "last_7_days")
    await expect(panel.locator(".range-line")).to_contain_text("compared with")
    await page.select_option("#range-select", "custom")
    await page.fill("#range-start", "2020-01-01")
    await page.fill("#range-end", "2020-01-31")
    await page.click("#range-apply")
    await expect(panel.locator(".range-line")).to_contain_text("2020-01-01 to 2020-01-31")
    await expect(panel.locator("[data-figure=created] .value")).to_have_text("0")
    await page.click("#tab-handymen")
    await expect(panel.locator(".range-line")).to_contain_text("2020-01-01 to 2020-01-31")


async def test_exports_download_files(page: Page, platform: Platform, tmp_path: Path) -> None:
    await signed_in(page, platform)
    await page.click("#nav-reports")
    await expect(page.locator("#report-panel .summary")).to_be_visible()
    for file_format, magic in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("csv", b"")):
        async with page.expect_download() as waiting:
            await page.click(f"[data-format={file_format}]")
        download = await waiting.value
        assert download.suggested_filename.endswith(f".{file_format}"), download.suggested_filename
        target = tmp_path / download.suggested_filename
        await download.save_as(target)
        content = target.read_bytes()
        assert content.startswith(magic) and len(content) > 20


async def test_new_events_change_the_open_page_without_a_reload(page: Page, platform: Platform) -> None:
    await signed_in(page, platform)
    await expect(page.locator("#dashboard-fresh")).to_contain_text("Live")
    await page.evaluate("window.sameDocument = true")
    cards = (await platform.call("projector", "GET", "/v1/dashboard", 200))["cards"]
    customer = await platform.call(
        "installations", "POST", "/v1/customers", 201, json={"name": "Live", "email": "live@example.com"}
    )
    shown = page.locator("#card-total_customers .value")
    await expect(shown).to_have_text(f"{cards['total_customers']['value'] + 1:,}")

    await page.click("#nav-reports")
    created = page.locator("#report-panel [data-figure=created] .value")
    report = await platform.call("projector", "GET", "/v1/reports/installations?range=last_30_days", 200)
    await expect(created).to_have_text(str(report["summary"]["created"]["value"]))
    await expect(page.locator("#report-panel [data-role=fresh]")).to_contain_text("Live")
    job = {
        "customer_id": customer["customer_id"],
        "device_type": "camera",
        "products": [{"sku": "CAM-1", "quantity": 1}],
        "price_cents": 19_900,
        "scheduled_for": "2026-11-27T10:00:00+01:00",
    }
    await platform.call("installations", "POST", "/v1/installations", 201, json=job)
    await expect(created).to_have_text(str(report["summary"]["created"]["value"] + 1))
    assert await page.evaluate("window.sameDocument") is True, "the page was not reloaded"


async def test_screenshots_of_two_months_of_business(page: Page, platform: Platform, jwt_secret: str) -> None:
    """The demo story (`make run`'s) of a partner of its own: every chart of every tab drawn from real
    figures, and screenshots of them as a partner would see them (test-artifacts/portal-demo-*.png)."""
    partner_id = f"partner-demo-{uuid.uuid4().hex[:8]}"
    token = issue_token(jwt_secret, partner_id=partner_id, roles=["partner"], subject="owner")
    history = demo_history(partner_id, now=datetime.now(UTC))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=platform.urls["credits"], headers=headers, timeout=30) as credits:
        await load_demo(
            history,
            databases=platform.databases,
            kafka_bootstrap=platform.kafka_bootstrap,
            credits=credits,
            say=lambda _: None,
        )
    async with httpx.AsyncClient(base_url=platform.urls["projector"], headers=headers, timeout=30) as reads:

        async def satisfaction_projected() -> bool:
            cards = (await reads.get("/v1/dashboard")).json()["cards"]
            return bool(cards["customer_satisfaction"]["count"] == len(history.ratings))

        await wait_until(satisfaction_projected, timeout=60, message="the demo story reached the dashboard")

    await page.goto(f"{platform.urls['projector']}/?token={token}")
    await expect(page.locator("#card-customer_satisfaction .bars li")).to_have_count(5)
    await page.screenshot(path=screenshot("demo-dashboard"), full_page=True)
    await page.click("#nav-reports")
    panel = page.locator("#report-panel")
    for tab in TABS:
        await page.click(f"#tab-{tab}")
        await expect(panel.locator(".range-line")).to_be_visible()
        await expect(panel).not_to_have_attribute("aria-busy", "true")
        charts = panel.locator("[data-chart]")
        assert await charts.count() >= 2, tab
        drawn = panel.locator("[data-chart] svg.chart")
        await expect(drawn).to_have_count(await charts.count())  # no chart says "No data" on this story
        await page.screenshot(path=screenshot(f"demo-{tab}"), full_page=True)
