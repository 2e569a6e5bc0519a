"""Ratings, surveys and issues over HTTP on a real database: what is accepted, what is refused, and the
events each accepted command writes to the outbox."""

from __future__ import annotations

import asyncio

import httpx

from heyzack_shared.contracts.installations import InstallationStatus
from heyzack_shared.envelope import Envelope

from .conftest import Known, OutboxEvents, body_of, error_of


def kinds(events: list[Envelope]) -> list[tuple[str, int]]:
    return [(event.event_type, event.aggregate_version) for event in events]


async def rate(
    client: httpx.AsyncClient, auth: dict[str, str], installation_id: str, stars: int = 5
) -> httpx.Response:
    return await client.post(
        "/v1/ratings",
        json={"installation_id": installation_id, "stars": stars, "comment": "neat"},
        headers=auth,
    )


async def test_an_approved_installation_is_rated_once(
    client: httpx.AsyncClient, auth: dict[str, str], known_installation: Known, outbox_events: OutboxEvents
) -> None:
    installation_id = await known_installation()

    rating = body_of(await rate(client, auth, installation_id, stars=4), 201)

    assert rating["installation_id"] == installation_id
    assert (rating["stars"], rating["comment"], rating["device_type"]) == (4, "neat", "camera")
    assert rating["customer_id"].startswith("cus_") and rating["handyman_id"].startswith("hdm_")
    fetched = body_of(await client.get(f"/v1/ratings/{rating['rating_id']}", headers=auth), 200)
    assert fetched == rating
    [submitted] = await outbox_events(rating["rating_id"])
    assert kinds([submitted]) == [("RatingSubmitted", 1)]
    assert submitted.data.model_dump(mode="json") == rating
    assert "already rated" in error_of(await rate(client, auth, installation_id), 409)
    assert len(await outbox_events(rating["rating_id"])) == 1


async def test_an_installation_not_yet_approved_cannot_be_rated(
    client: httpx.AsyncClient, auth: dict[str, str], known_installation: Known
) -> None:
    for status in ("SCHEDULED", "IN_PROGRESS", "WORK_COMPLETED", "CANCELLED"):
        installation_id = await known_installation(InstallationStatus(status))
        assert status in error_of(await rate(client, auth, installation_id), 409)


async def test_an_unknown_installation_is_404_and_says_it_may_not_have_arrived(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    message = error_of(await rate(client, auth, "ins_never_heard_of"), 404)
    assert "unknown installation (or not yet received)" in message


async def test_concurrent_ratings_of_one_installation_accept_exactly_one(
    client: httpx.AsyncClient, auth: dict[str, str], known_installation: Known, outbox_events: OutboxEvents
) -> None:
    installation_id = await known_installation()

    responses = await asyncio.gather(
        *(rate(client, auth, installation_id, stars=1 + n % 5) for n in range(10))
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 9, [response.text for response in responses]
    [accepted] = [response.json() for response in responses if response.status_code == 201]
    assert len(await outbox_events(accepted["rating_id"])) == 1


async def test_a_survey_is_sent_and_answered_once(
    client: httpx.AsyncClient, auth: dict[str, str], outbox_events: OutboxEvents
) -> None:
    survey = body_of(await client.post("/v1/surveys", json={"customer_id": "cus_1"}, headers=auth), 201)
    assert (survey["answered"], survey["installation_id"], survey["version"]) == (False, None, 1)
    path = f"/v1/surveys/{survey['survey_id']}/answer"

    answered = body_of(await client.post(path, json={"nps_score": 9, "comment": "great"}, headers=auth), 200)

    assert (answered["answered"], answered["nps_score"], answered["comment"]) == (True, 9, "great")
    assert "already answered" in error_of(await client.post(path, json={"nps_score": 2}, headers=auth), 409)
    fetched = body_of(await client.get(f"/v1/surveys/{survey['survey_id']}", headers=auth), 200)
    assert fetched == answered
    events = await outbox_events(survey["survey_id"])
    assert kinds(events) == [("SurveySent", 1), ("SurveyAnswered", 2)]
    assert events[1].data.nps_score == 9


async def test_an_issue_is_reported_and_resolved_once(
    client: httpx.AsyncClient, auth: dict[str, str], outbox_events: OutboxEvents
) -> None:
    body = {"customer_id": "cus_1", "installation_id": "ins_1", "summary": "the camera went offline"}
    issue = body_of(await client.post("/v1/issues", json=body, headers=auth), 201)
    assert (issue["resolved"], issue["summary"], issue["version"]) == (False, body["summary"], 1)
    path = f"/v1/issues/{issue['issue_id']}/resolve"

    resolved = body_of(await client.post(path, headers=auth), 200)

    assert (resolved["resolved"], resolved["version"]) == (True, 2)
    assert "already resolved" in error_of(await client.post(path, headers=auth), 409)
    assert body_of(await client.get(f"/v1/issues/{issue['issue_id']}", headers=auth), 200) == resolved
    assert kinds(await outbox_events(issue["issue_id"])) == [("IssueReported", 1), ("IssueResolved", 2)]
