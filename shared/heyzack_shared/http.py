"""What every HTTP service has: the error body, /healthz, /readyz, /metrics, and the app factory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import FastAPI, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heyzack_shared.errors import HeyZackError
from heyzack_shared.idempotency import Answer
from heyzack_shared.settings import ServiceSettings
from heyzack_shared.transient import TRANSIENT_ERRORS
from heyzack_shared.values import ID_MAX_LENGTH, ID_PATTERN

ReadinessCheck = Callable[[FastAPI], Awaitable[None]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
READINESS_TIMEOUT = 2.0
"""Seconds a readiness check may take before its dependency counts as down."""


@dataclass(frozen=True)
class Dependency:
    """What `/readyz` checks. A required dependency that is down makes the service unavailable (503); any
    other makes it degraded (200: it still serves, without that dependency's part of its work)."""

    name: str
    check: ReadinessCheck
    required: bool = True


class Rebuilding(Exception):
    """Raised by a readiness check whose dependency answers, but whose data is being rebuilt (503)."""

    def __init__(self, detail: Mapping[str, Any]) -> None:
        super().__init__("rebuilding")
        self.detail = detail


_requests = Counter("heyzack_http_requests_total", "HTTP requests served", ["service", "method", "status"])


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class RequestBody(BaseModel):
    """Base of every command body: an unknown field is a mistake the caller hears about (422)."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx answer of every service."""

    error: ErrorDetail


def error_response(description: str) -> dict[str, Any]:
    """An OpenAPI `responses` entry for one error status."""
    return {"model": ErrorBody, "description": description}


STANDARD_ERRORS: dict[int | str, dict[str, Any]] = {
    401: error_response("missing, invalid or expired bearer token"),
    404: error_response("no such resource for the caller's partner"),
    422: error_response("invalid input; the message says which field and why"),
}


IdInPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=ID_MAX_LENGTH,
        pattern=ID_PATTERN,
        description="an id (docs/events.md, Values)",
    ),
]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="optional; a retry with the same key and body returns the first answer and creates"
        " nothing more. Keys are the caller's partner's own.",
    ),
]
REPLAYED = "Idempotent-Replayed"


def idempotent_responses(what: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` of a command taking an Idempotency-Key: the standard errors, the replay header
    on its 201 and the 422 of a reused key."""
    replayed = {"description": "`true` when this is the stored answer of an earlier request with the key"}
    return {
        **STANDARD_ERRORS,
        201: {"description": what, "headers": {REPLAYED: {**replayed, "schema": {"type": "string"}}}},
        422: error_response(
            "invalid input (the message says which field and why), or an Idempotency-Key already used"
            " with another body or command (idempotency_key_reused)"
        ),
    }


def respond(answer: Answer, model: type[BaseModel]) -> JSONResponse:
    """The answer as it was given first; a replay says so in its `Idempotent-Replayed: true` header."""
    body = model.model_validate(answer.body).model_dump(mode="json")  # jsonb reorders keys
    headers = {REPLAYED: "true"} if answer.replayed else None
    return JSONResponse(body, status_code=answer.status, headers=headers)


def create_app(
    service: str,
    settings: ServiceSettings,
    *,
    lifespan: Lifespan,
    readiness: Sequence[Dependency],
    description: str = "",
) -> FastAPI:
    """A service's app: bearer-token auth configured, error bodies, probes, metrics, and CORS for the
    partner portal's origins (`HEYZACK_PORTAL_ORIGINS`)."""
    app = FastAPI(title=f"HeyZack {service}", description=description, lifespan=lifespan)
    app.state.jwt_secret = settings.jwt_secret.get_secret_value()
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.portal_origin_list,
        allow_methods=["GET", "POST", "PUT", "PATCH"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        expose_headers=["Content-Disposition", REPLAYED],
    )
    _install_error_handlers(app)
    _install_probes(app, readiness)
    _document_shared_answers(app)
    app.add_middleware(_BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(_RequestCounter, service=service)
    return app


MAX_BODY_BYTES = 1024 * 1024
"""The largest request body any service reads: a command is a few kilobytes."""


class _BodyTooLarge(HTTPException):
    """Raised while a handler reads the body; FastAPI passes HTTP exceptions on to the error handlers."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit} bytes")


class _BodyLimit:
    """Refuses a request body over `limit` bytes with 413 before it is read into memory: at once when its
    Content-Length says so, or as soon as a streamed body passes the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self._app, self._limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self._limit:
            await self._refuse(send)
            return
        received, started = 0, False

        async def counted(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self._limit:
                raise _BodyTooLarge(self._limit)
            return message

        try:
            await self._app(scope, limited, counted)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        too_large = _BodyTooLarge(self._limit)
        response = JSONResponse(error_body("body_too_large", too_large.detail), 413)
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


class _RequestCounter:
    """Counts responses per method and status: a plain ASGI middleware, so a request costs no extra task and
    a streamed response (the live updates) passes straight through."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self._app, self._service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                _requests.labels(self._service, scope["method"], message["status"]).inc()
            await send(message)

        await self._app(scope, receive, counted)


_SHARED_ANSWERS: dict[str, str] = {
    "401": "missing, invalid or expired bearer token",
    "413": f"the request body is over {MAX_BODY_BYTES} bytes",
    "422": "invalid input; the message says which field and why",
    "503": "a store of this service is unreachable for a moment (a restart, a failover): retry shortly",
}


def _document_shared_answers(app: FastAPI) -> None:
    """Every answer the shared layers give, in the OpenAPI document of every operation that can get it:
    401 where a token is required, 413 where there is a body, and 422 in the error body this service
    really sends (not FastAPI's default validation shape)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = build()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        error_body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(error_body.pop("$defs"), ErrorBody=error_body)
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                _declare_shared_answers(operation)
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _declare_shared_answers(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    wanted = [
        ("401", "security" in operation),
        ("413", "requestBody" in operation),
        ("422", "422" in responses),
        ("503", "security" in operation),
    ]
    for status, applies in wanted:
        if applies:
            answer = responses.setdefault(status, {"description": _SHARED_ANSWERS[status]})
            answer["content"] = error


def _install_error_handlers(app: FastAPI) -> None:
    async def store_unreachable(_: Request, error: Exception) -> JSONResponse:
        message = f"a store of this service is unreachable ({type(error).__name__}); retry shortly"
        return JSONResponse(error_body("unavailable", message), 503, {"Retry-After": "1"})

    for transient in TRANSIENT_ERRORS:
        app.add_exception_handler(transient, store_unreachable)

    @app.exception_handler(HeyZackError)
    async def domain_error(_: Request, error: HeyZackError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return JSONResponse(error_body(error.code, error.message), error.status, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid", _describe(error)), 422)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 400:  # FastAPI could not read the body at all (not UTF-8, say)
            return JSONResponse(error_body("invalid", "the body is not JSON text (UTF-8)"), 422)
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            error.status_code, "http_error"
        )
        return JSONResponse(error_body(code, str(error.detail)), error.status_code)


async def _probe(app: FastAPI, dependency: Dependency) -> tuple[str, Rebuilding | None]:
    """The dependency's state (`up`, `rebuilding`, `down: <why>`), and what is being rebuilt."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT):
            await dependency.check(app)
    except Rebuilding as rebuilding:
        return "rebuilding", rebuilding
    except TimeoutError:
        return f"down: no answer within {READINESS_TIMEOUT:g} s", None
    except Exception as error:
        return f"down: {error!r}", None
    return "up", None


def _describe(error: RequestValidationError) -> str:
    parts = []
    for problem in error.errors():
        where = ".".join(str(p) for p in problem["loc"] if p != "body") or "body"
        parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts)


def _install_probes(app: FastAPI, readiness: Sequence[Dependency]) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        """`ready`, `degraded` (an optional dependency is down), `rebuilding` or `unavailable` (a required
        one is down: 503), with each dependency's state."""
        outcomes = await asyncio.gather(*(_probe(app, dependency) for dependency in readiness))
        probed = list(zip(readiness, outcomes, strict=True))
        body: dict[str, Any] = {"dependencies": {d.name: state for d, (state, _) in probed}}
        rebuilding = {d.name: r.detail for d, (_, r) in probed if r is not None}
        down = [d for d, (state, _) in probed if state.startswith("down")]
        if any(d.required for d in down):
            return JSONResponse({"status": "unavailable", **body}, 503)
        if rebuilding:
            return JSONResponse({"status": "rebuilding", **body, "rebuilding": rebuilding}, 503)
        return JSONResponse({"status": "degraded" if down else "ready", **body})

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)
