"""The partner portal is served by the read API: the page, its assets and its config, all self-contained."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from kpi_projector.app import create_app
from kpi_projector.settings import ProjectorSettings, Role

URL = re.compile(r"""https?://[^\s"'`)<>]+""")
XML_NAMESPACES = {"http://www.w3.org/2000/svg"}


@pytest.fixture
async def portal(settings: ProjectorSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The read API alone (no consumer), without running its lifespan: the portal needs no Redis."""
    configured = settings.model_copy(update={"role": Role.API, "credits_url": "http://127.0.0.1:18003/"})
    app = create_app(configured)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kpi-projector") as client:
        yield client


async def test_the_page_is_served_at_the_root(portal: httpx.AsyncClient) -> None:
    response = await portal.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<script src="/portal/portal.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/portal/portal.css">' in page
    assert "<dialog" in page and 'lang="en"' in page
    assert "connect-src 'self' http://127.0.0.1:18003" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/portal/portal.js", "text/javascript"), ("/portal/portal.css", "text/css")],
)
async def test_the_assets_are_served(portal: httpx.AsyncClient, path: str, content_type: str) -> None:
    response = await portal.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert len(response.content) > 1000


async def test_config_names_the_credits_service(portal: httpx.AsyncClient) -> None:
    response = await portal.get("/portal/config.json")
    assert response.status_code == 200
    assert response.json() == {"credits_url": "http://127.0.0.1:18003"}


async def test_nothing_is_fetched_from_other_hosts(portal: httpx.AsyncClient) -> None:
    """No CDN, no fonts, no scripts from elsewhere: the only absolute URL is the SVG namespace name."""
    for path in ("/", "/portal/portal.js", "/portal/portal.css"):
        text = (await portal.get(path)).text
        assert set(URL.findall(text)) <= XML_NAMESPACES, path
        assert "@import" not in text and "//cdn" not in text


async def test_every_card_of_the_dashboard_has_its_explanation(portal: httpx.AsyncClient) -> None:
    script = (await portal.get("/portal/portal.js")).text
    for card in (
        "total_customers",
        "active_installations",
        "completed_installations",
        "available_handymen",
        "monthly_revenue",
        "customer_satisfaction",
        "available_credit",
    ):
        assert f'["{card}", ' in script
    assert "aria-describedby" in script and "Idempotency-Key" in script


async def test_an_unknown_asset_is_a_404_in_words(portal: httpx.AsyncClient) -> None:
    response = await portal.get("/portal/nothing.js")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
