"""What the API refuses: no or bad token (401), another partner's ids (404), bad input (422)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from heyzack_shared.envelope import Envelope
from heyzack_shared.http import MAX_BODY_BYTES
from heyzack_stack.pytest_plugin import HeadersFor

Json = dict[str, Any]
Create = Callable[..., Awaitable[Json]]
OutboxEvents = Callable[[str], Awaitable[list[Envelope]]]
SCHEDULED_FOR = "2026-11-25T09:30:00+01:00"


def kinds(events: list[Envelope]) -> list[tuple[str, int]]:
    return [(event.event_type, event.aggregate_version) for event in events]


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["error"]["message"]
    assert message
    return message


# --- authentication -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/customers"),
        ("PATCH", "/v1/customers/cus_x"),
        ("GET", "/v1/customers/cus_x"),
        ("POST", "/v1/handymen"),
        ("PATCH", "/v1/handymen/hdm_x"),
        ("PUT", "/v1/handymen/hdm_x/availability"),
        ("GET", "/v1/handymen/hdm_x"),
        ("POST", "/v1/installations"),
        ("POST", "/v1/installations/ins_x/assign"),
        ("POST", "/v1/installations/ins_x/status"),
        ("GET", "/v1/installations/ins_x"),
    ],
)
async def test_every_endpoint_requires_a_token(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path, json={})
    assert error_of(response, 401) == "missing bearer token"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_bad_or_expired_token_is_refused(
    client: httpx.AsyncClient, headers_for: HeadersFor, partner: str
) -> None:
    forged = headers_for(partner, secret="not-the-secret-of-this-platform-at-all")
    expired = headers_for(partner, ttl=-60)
    garbage = {"Authorization": "Bearer not.a.jwt"}
    body = {"name": "Ada", "email": "ada@example.com"}

    assert error_of(await client.post("/v1/customers", json=body, headers=forged), 401) == "invalid token"
    assert error_of(await client.post("/v1/customers", json=body, headers=expired), 401) == "token expired"
    assert error_of(await client.post("/v1/customers", json=body, headers=garbage), 401) == "invalid token"


# --- partner scoping ------------------------------------------------------------------------------


async def test_another_partners_resources_are_not_found(
    client: httpx.AsyncClient,
    headers_for: HeadersFor,
    outbox_events: OutboxEvents,
    new_customer: Create,
    new_handyman: Create,
    new_installation: Create,
) -> None:
    customer = await new_customer()
    handyman = await new_handyman()
    job = await new_installation(customer_id=customer["customer_id"])
    other = headers_for("partner-other-" + customer["customer_id"])
    own_handyman = await new_handyman(other)
    cus, hdm, ins = customer["customer_id"], handyman["handyman_id"], job["installation_id"]

    attempts = [
        ("GET", f"/v1/customers/{cus}", None),
        ("PATCH", f"/v1/customers/{cus}", {"active": False}),
        ("GET", f"/v1/handymen/{hdm}", None),
        ("PATCH", f"/v1/handymen/{hdm}", {"skills": {"camera": 1}}),
        ("PUT", f"/v1/handymen/{hdm}/availability", {"availability": "BUSY"}),
        ("GET", f"/v1/installations/{ins}", None),
        ("POST", f"/v1/installations/{ins}/assign", {"handyman_id": own_handyman["handyman_id"]}),
        ("POST", f"/v1/installations/{ins}/status", {"to_status": "CANCELLED"}),
    ]
    for method, path, body in attempts:
        response = await client.request(method, path, json=body, headers=other)
        assert error_of(response, 404).endswith("not found"), (method, path)
        assert list(response.json()) == ["error"], "never any of the other partner's data"

    # the other partner cannot reference our customer or handyman from its own commands either
    response = await client.post(
        "/v1/installations",
        headers=other,
        json={"customer_id": cus, "device_type": "alarm", "price_cents": 1, "scheduled_for": SCHEDULED_FOR},
    )
    assert error_of(response, 404) == f"customer {cus} not found"
    their_job = await new_installation(other)
    response = await client.post(
        f"/v1/installations/{their_job['installation_id']}/assign", json={"handyman_id": hdm}, headers=other
    )
    assert error_of(response, 404) == f"handyman {hdm} not found"

    assert kinds(await outbox_events(cus)) == [("CustomerRegistered", 1)]
    assert kinds(await outbox_events(hdm)) == [("HandymanRegistered", 1)]
    assert kinds(await outbox_events(ins)) == [("InstallationCreated", 1)]


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "complaint"),
    [
        ("/v1/customers", {"email": "ada@example.com"}, "name: Field required"),
        ("/v1/customers", {"name": "Ada", "email": "not-an-email"}, "email"),
        ("/v1/customers", {"name": "  ", "email": "ada@example.com"}, "name"),
        ("/v1/customers", {"name": "Ada", "email": "a@b.io", "vip": True}, "vip: Extra inputs"),
        ("/v1/handymen", {"name": "Bob", "skills": {"camera": 6}}, "skills.camera"),
        ("/v1/handymen", {"name": "Bob", "availability": "ASLEEP"}, "availability"),
        ("/v1/handymen", {"name": "Bob", "certifications": "electrician"}, "certifications"),
        ("/v1/installations", {"device_type": "camera", "price_cents": 1}, "customer_id: Field required"),
        (
            "/v1/customers",
            {"name": "Ada\x00", "email": "ada@example.com"},
            "name: Value error, must not contain a NUL",
        ),
        (
            "/v1/customers",
            {"name": "A" * 201, "email": "ada@example.com"},
            "name: String should have at most 200",
        ),
        ("/v1/handymen", {"name": "Bob", "skills": {"cam\x00era": 3}}, "skills.cam\x00era.[key]"),
        ("/v1/handymen", {"name": "Bob", "certifications": ["x" * 101]}, "certifications.0"),
    ],
)
async def test_bad_input_is_refused_with_a_message(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: Json, complaint: str
) -> None:
    assert complaint in error_of(await client.post(path, json=body, headers=auth), 422)


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("price_cents", -1, "price_cents: Input should be greater than or equal to 0"),
        ("price_cents", 99.5, "price_cents: Input should be a valid integer"),
        ("price_cents", "100", "price_cents: Input should be a valid integer"),
        ("scheduled_for", "2026-11-25T09:30:00", "scheduled_for: Input should have timezone info"),
        ("scheduled_for", "next tuesday", "scheduled_for"),
        ("device_type", "toaster", "device_type: Input should be"),
        ("products", [{"sku": "CAM-1", "quantity": 0}], "products.0.quantity"),
        ("products", [{"sku": "", "quantity": 1}], "products.0.sku"),
        ("price_cents", 2**63, "price_cents: Input should be less than or equal to 100000000000"),
        ("price_cents", 2**64, "price_cents"),
        ("scheduled_for", "0001-01-01T00:00:00+01:00", "scheduled_for"),
        ("scheduled_for", "0001-01-01T00:00:00Z", "scheduled_for: Value error, must lie between 2000-01-01"),
        ("scheduled_for", "9999-12-31T23:59:59-05:00", "scheduled_for"),
        ("products", [{"sku": "CAM-1", "quantity": 2**64}], "products.0.quantity"),
        ("products", [{"sku": "CAM{1}", "quantity": 1}], "products.0.sku: String should match pattern"),
        ("customer_id", "victim}:agg", "customer_id: String should match pattern"),
        ("customer_id", "c" * 10_000, "customer_id: String should have at most 128"),
    ],
)
async def test_a_bad_installation_is_refused_with_a_message(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    field: str,
    value: Any,
    complaint: str,
    new_customer: Create,
) -> None:
    customer = await new_customer()
    body = {
        "customer_id": customer["customer_id"],
        "device_type": "camera",
        "price_cents": 100,
        "scheduled_for": SCHEDULED_FOR,
        field: value,
    }
    assert complaint in error_of(await client.post("/v1/installations", json=body, headers=auth), 422)


async def test_bad_changes_are_refused_and_change_nothing(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    outbox_events: OutboxEvents,
    new_customer: Create,
    new_handyman: Create,
    new_installation: Create,
) -> None:
    customer, handyman = await new_customer(), await new_handyman()
    job = await new_installation(customer_id=customer["customer_id"])
    cus, hdm, ins = customer["customer_id"], handyman["handyman_id"], job["installation_id"]

    empty = error_of(await client.patch(f"/v1/customers/{cus}", json={}, headers=auth), 422)
    assert "give at least one of: name, email, active" in empty
    assert error_of(await client.patch(f"/v1/handymen/{hdm}", json={}, headers=auth), 422)
    assert error_of(await client.put(f"/v1/handymen/{hdm}/availability", json={}, headers=auth), 422)
    status = await client.post(f"/v1/installations/{ins}/status", json={"to_status": "DONE"}, headers=auth)
    assert "to_status: Input should be" in error_of(status, 422)
    assert error_of(await client.post(f"/v1/installations/{ins}/assign", json={}, headers=auth), 422)

    for aggregate_id in (cus, hdm, ins):
        assert len(await outbox_events(aggregate_id)) == 1


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b'{"name": "Ada \\ud800", "email": "ada@example.com"}', "name"),
        (b'{"name": "Ada", "email": "ada\\udfff@example.com"}', "email"),
        (b'{"name": "Ada", "email": "ada@example.com", "active": 1e400}', "active"),
    ],
)
async def test_text_that_is_not_unicode_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], body: bytes, complaint: str
) -> None:
    headers = {**auth, "Content-Type": "application/json"}
    assert complaint in error_of(await client.post("/v1/customers", content=body, headers=headers), 422)


@pytest.mark.parametrize(
    "path", ["/v1/customers/a%00b", "/v1/handymen/%7Bvictim%7D", "/v1/installations/" + "i" * 129]
)
async def test_an_id_in_a_path_that_is_not_an_id_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], path: str
) -> None:
    assert "String should" in error_of(await client.get(path, headers=auth), 422)


async def test_a_body_that_is_not_json_is_refused(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    headers = {**auth, "Content-Type": "application/json"}
    response = await client.post("/v1/customers", content=b'{"name": "Ada",', headers=headers)
    assert "JSON decode error" in error_of(response, 422)
    not_utf8 = await client.post("/v1/customers", content=b'{"name": "\xff\xfe"}', headers=headers)
    assert error_of(not_utf8, 422) == "the body is not JSON text (UTF-8)"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Ada", "email": "ada@example.com", "active": 0}, "active"),
        (
            {"name": "Ada\x07", "email": "ada@example.com"},
            "name: Value error, must not contain control characters",
        ),
    ],
)
async def test_values_a_lax_reader_would_take_are_refused(
    client: httpx.AsyncClient, auth: dict[str, str], body: Json, field: str
) -> None:
    assert field in error_of(await client.post("/v1/customers", json=body, headers=auth), 422)


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Declared too large (Content-Length), or streamed without a length and passing the limit: 413."""
    huge = b'{"name": "' + b"x" * MAX_BODY_BYTES + b'", "email": "a@b.c"}'
    headers = {**auth, "Content-Type": "application/json"}
    assert "over 1048576 bytes" in error_of(
        await client.post("/v1/customers", content=huge, headers=headers), 413
    )

    async def streamed() -> AsyncIterator[bytes]:
        for start in range(0, len(huge), 64 * 1024):
            yield huge[start : start + 64 * 1024]

    response = await client.post("/v1/customers", content=streamed(), headers=headers)
    assert "over 1048576 bytes" in error_of(response, 413)
    assert response.json()["error"]["code"] == "body_too_large"
