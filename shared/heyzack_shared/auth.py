"""Bearer-token authentication (HS256 JWT) and the caller's partner scope, as FastAPI dependencies."""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError

from heyzack_shared.errors import Forbidden, Unauthenticated
from heyzack_shared.values import Id, Label

_ALGORITHM = "HS256"


class Role(StrEnum):
    PARTNER = "partner"
    OPS = "ops"
    SERVICE = "service"


class Caller(BaseModel):
    """Who is calling: every query is scoped to `partner_id`."""

    subject: Label
    partner_id: Id
    roles: frozenset[Role] = Field(min_length=1)
    expires_at: int
    """When the token expires (Unix time): a long-lived answer, such as an event stream, ends then."""


def issue_token(secret: str, *, partner_id: str, roles: list[str], subject: str, ttl: int = 3600) -> str:
    now = int(time.time())
    claims = {"sub": subject, "partner_id": partner_id, "roles": roles, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def verify_token(secret: str, token: str) -> Caller:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]}
        )
        return Caller(
            subject=claims["sub"],
            partner_id=claims["partner_id"],
            roles=claims["roles"],
            expires_at=claims["exp"],
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("token expired") from None
    except (jwt.InvalidTokenError, KeyError, ValidationError):
        raise Unauthenticated("invalid token") from None


_bearer = HTTPBearer(auto_error=False, description="A HeyZack JWT (HS256)")


async def _authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None:
        raise Unauthenticated("missing bearer token")
    secret: str = request.app.state.jwt_secret
    return verify_token(secret, credentials.credentials)


async def _require_ops(caller: Annotated[Caller, Depends(_authenticate)]) -> Caller:
    if Role.OPS not in caller.roles:
        raise Forbidden("this endpoint is for operators")
    return caller


CurrentCaller = Annotated[Caller, Depends(_authenticate)]
Operator = Annotated[Caller, Depends(_require_ops)]
