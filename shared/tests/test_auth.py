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
