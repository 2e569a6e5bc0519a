"""The partner portal: one hand-written page (HTML, JS, CSS) served by the read API, and its config."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from kpi_projector.settings import ProjectorSettings

PORTAL: Final = Path(__file__).parent / "portal"
ASSETS: Final = {
    "portal.js": "text/javascript; charset=utf-8",
    "portal.css": "text/css; charset=utf-8",
}
_SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' {credits}; img-src 'self' data: blob:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _read(name: str) -> bytes:
    return (PORTAL / name).read_bytes()


def router(settings: ProjectorSettings) -> APIRouter:
    """Routes of the portal: the page at `/`, its assets under `/portal/`, and `/portal/config.json`."""
    portal = APIRouter(include_in_schema=False)
    credits_url = settings.credits_url.rstrip("/")
    headers = {name: value.format(credits=credits_url) for name, value in _SECURITY_HEADERS.items()}
    page = _read("index.html")
    assets = {name: _read(name) for name in ASSETS}

    @portal.get("/")
    async def index() -> Response:
        return Response(
            page, media_type="text/html; charset=utf-8", headers={**headers, "Cache-Control": "no-cache"}
        )

    @portal.get("/portal/config.json")
    async def config() -> JSONResponse:
        return JSONResponse({"credits_url": credits_url}, headers={"Cache-Control": "no-store"})

    def asset_route(name: str) -> None:
        async def asset() -> Response:
            return Response(assets[name], media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})

        portal.add_api_route(f"/portal/{name}", asset, methods=["GET"], name=f"portal-{name}")

    for name in ASSETS:
        asset_route(name)
    return portal
