import jwt
import pytest

from heyzack_shared.auth import Role, issue_token, verify_token
from heyzack_shared.errors import Unauthenticated

SECRET = "a-test-secret-that-is-32-bytes-or-more"
OTHER = "another-secret-entirely-also-32-bytes-long"


def test_a_token_names_its_partner_and_roles() -> None:
    token = issue_token(SECRET, partner_id="partner-a", roles=["partner"], subject="user-1")
    caller = verify_token(SECRET, token)
    assert caller.partner_id == "partner-a"
    assert caller.roles == {Role.PARTNER}
    assert caller.subject == "user-1"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (
            issue_token(
                "another-secret-entirely-also-32-bytes-long", partner_id="p", roles=["partner"], subject="u"
            ),
            "invalid",
        ),
        (issue_token(SECRET, partner_id="p", roles=["partner"], subject="u", ttl=-10), "expired"),
        (jwt.encode({"sub": "u", "partner_id": "p", "roles": ["partner"]}, SECRET), "invalid"),
        (jwt.encode({"sub": "u", "roles": ["partner"], "exp": 2**40}, SECRET), "invalid"),
        (jwt.encode({"sub": "u", "partner_id": "p", "roles": ["root"], "exp": 2**40}, SECRET), "invalid"),
        (issue_token(SECRET, partner_id="p", roles=[], subject="u"), "invalid"),
        (issue_token(SECRET, partner_id="", roles=["partner"], subject="u"), "invalid"),
        (issue_token(SECRET, partner_id="p", roles=["partner"], subject=""), "invalid"),
        ("not-a-jwt", "invalid"),
    ],
)
def test_a_bad_token_is_refused(token: str, message: str) -> None:
    with pytest.raises(Unauthenticated, match=message):
        verify_token(SECRET, token)


def test_only_hs256_is_accepted() -> None:
    claims = {"sub": "u", "partner_id": "p", "roles": [], "exp": 2**40}
    forged = jwt.encode(claims, SECRET + SECRET, "HS512")
    with pytest.raises(Unauthenticated):
        verify_token(SECRET, forged)


async def test_services_answer_the_portal_origin_and_no_other() -> None:
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    import httpx
    from fastapi import FastAPI

    from heyzack_shared.http import create_app
    from heyzack_shared.settings import ServiceSettings

    @asynccontextmanager
    async def no_resources(_: FastAPI) -> AsyncIterator[None]:
        yield

    settings = ServiceSettings.model_validate(
        {"HEYZACK_JWT_SECRET": SECRET, "HEYZACK_PORTAL_ORIGINS": "http://portal.example"}
    )
    app = create_app("probe", settings, lifespan=no_resources, readiness=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http:
        allowed = await http.options(
            "/healthz",
            headers={"Origin": "http://portal.example", "Access-Control-Request-Method": "POST"},
        )
        refused = await http.get("/healthz", headers={"Origin": "http://elsewhere.example"})
    assert allowed.headers["access-control-allow-origin"] == "http://portal.example"
    assert "access-control-allow-origin" not in refused.headers
    assert app.state.jwt_secret == SECRET
