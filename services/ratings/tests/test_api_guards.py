"""What the API refuses: no or bad token (401), another partner's ids (404), bad input (422)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from heyzack_stack.pytest_plugin import HeadersFor

from .conftest import Known, body_of, error_of

ENDPOINTS = [
    ("POST", "/v1/ratings"),
    ("GET", "/v1/ratings/rat_x"),
    ("POST", "/v1/surveys"),
    ("POST", "/v1/surveys/svy_x/answer"),
    ("GET", "/v1/surveys/svy_x"),
    ("POST", "/v1/issues"),
    ("POST", "/v1/issues/iss_x/resolve"),
    ("GET", "/v1/issues/iss_x"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_every_endpoint_requires_a_valid_token(
    client: httpx.AsyncClient, headers_for: HeadersFor, partner: str, method: str, path: str
) -> None:
    assert error_of(await client.request(method, path, json={}), 401)
    wrong_secret = headers_for(partner, secret="another-secret-of-at-least-32-characters!")
    assert error_of(await client.request(method, path, json={}, headers=wrong_secret), 401)
    expired = headers_for(partner, ttl=-60)
    assert error_of(await client.request(method, path, json={}, headers=expired), 401)


async def test_another_partners_resources_are_not_found(
    client: httpx.AsyncClient, auth: dict[str, str], headers_for: HeadersFor, known_installation: Known
) -> None:
    other = headers_for(f"partner-other-{uuid.uuid4().hex[:12]}")
    installation_id = await known_installation()
    rating = body_of(
        await client.post("/v1/ratings", json={"installation_id": installation_id, "stars": 5}, headers=auth),
        201,
    )
    survey = body_of(await client.post("/v1/surveys", json={"customer_id": "cus_1"}, headers=auth), 201)
    issue = body_of(
        await client.post("/v1/issues", json={"customer_id": "cus_1", "summary": "x"}, headers=auth), 201
    )
    other_installation = await known_installation(partner_id=f"partner-elsewhere-{uuid.uuid4().hex[:12]}")

    refused = [
        await client.get(f"/v1/ratings/{rating['rating_id']}", headers=other),
        await client.get(f"/v1/surveys/{survey['survey_id']}", headers=other),
        await client.post(f"/v1/surveys/{survey['survey_id']}/answer", json={"nps_score": 1}, headers=other),
        await client.get(f"/v1/issues/{issue['issue_id']}", headers=other),
        await client.post(f"/v1/issues/{issue['issue_id']}/resolve", headers=other),
        await client.post(
            "/v1/ratings", json={"installation_id": installation_id, "stars": 5}, headers=other
        ),
        await client.post(
            "/v1/ratings", json={"installation_id": other_installation, "stars": 5}, headers=auth
        ),
    ]

    for response in refused:
        message = error_of(response, 404)
        assert "cus_1" not in message
    survey_now = body_of(await client.get(f"/v1/surveys/{survey['survey_id']}", headers=auth), 200)
    issue_now = body_of(await client.get(f"/v1/issues/{issue['issue_id']}", headers=auth), 200)
    assert (survey_now["answered"], issue_now["resolved"]) == (False, False)


@pytest.mark.parametrize("stars", [0, 6, "5", 4.5, None])
async def test_stars_must_be_an_integer_from_1_to_5(
    client: httpx.AsyncClient, auth: dict[str, str], known_installation: Known, stars: object
) -> None:
    installation_id = await known_installation()
    response = await client.post(
        "/v1/ratings", json={"installation_id": installation_id, "stars": stars}, headers=auth
    )
    assert "stars" in error_of(response, 422)


@pytest.mark.parametrize("score", [-1, 11, "9", None])
async def test_nps_must_be_an_integer_from_0_to_10(
    client: httpx.AsyncClient, auth: dict[str, str], score: object
) -> None:
    survey = body_of(await client.post("/v1/surveys", json={"customer_id": "cus_1"}, headers=auth), 201)
    response = await client.post(
        f"/v1/surveys/{survey['survey_id']}/answer", json={"nps_score": score}, headers=auth
    )
    assert "nps_score" in error_of(response, 422)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/surveys", {}, "customer_id"),
        ("/v1/issues", {"customer_id": "cus_1"}, "summary"),
        ("/v1/issues", {"customer_id": "cus_1", "summary": "  "}, "summary"),
        ("/v1/ratings", {"stars": 5}, "installation_id"),
        ("/v1/surveys", {"customer_id": "cus_1", "surprise": 1}, "surprise"),
        (
            "/v1/issues",
            {"customer_id": "cus_1", "summary": "leak\x00"},
            "summary: Value error, must not contain a NUL",
        ),
        (
            "/v1/issues",
            {"customer_id": "cus_1", "summary": "x" * 2001},
            "summary: String should have at most 2000",
        ),
        (
            "/v1/issues",
            {"customer_id": "cus{1}", "summary": "leak"},
            "customer_id: String should match pattern",
        ),
        ("/v1/ratings", {"installation_id": "ins_1", "stars": 2**64}, "stars"),
        ("/v1/ratings", {"installation_id": "i" * 10_000, "stars": 5}, "installation_id"),
        ("/v1/ratings", {"installation_id": "ins_1", "stars": 5, "comment": "ok\x00"}, "comment"),
    ],
)
async def test_missing_or_unknown_fields_are_422(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, object], field: str
) -> None:
    assert field in error_of(await client.post(path, json=body, headers=auth), 422)


async def test_a_lone_surrogate_in_a_comment_is_422(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    body = b'{"customer_id": "cus_1", "summary": "leak \\udc00 here"}'
    headers = {**auth, "Content-Type": "application/json"}
    assert "summary" in error_of(await client.post("/v1/issues", content=body, headers=headers), 422)
