"""The rules, without I/O: what can be rated, surveys and issues close once, facts apply by version."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from heyzack_shared.contracts import installations as facts
from heyzack_shared.contracts.installations import DeviceType, InstallationStatus
from heyzack_shared.errors import Invalid
from ratings.domain import (
    AlreadyAnswered,
    AlreadyResolved,
    InstallationFact,
    Issue,
    KnownInstallation,
    NotApproved,
    Rating,
    Survey,
    UnknownInstallation,
)

AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
Status = InstallationStatus


def created(version: int = 1) -> facts.InstallationCreated:
    data = facts.InstallationCreatedData(
        installation_id="ins_1",
        customer_id="cus_1",
        device_type=DeviceType.ALARM,
        products=[],
        price_cents=10_000,
        scheduled_for=AT,
    )
    return facts.InstallationCreated.new(
        partner_id="p", aggregate_id="ins_1", aggregate_version=version, data=data
    )


def assigned(version: int, handyman_id: str) -> facts.HandymanAssigned:
    data = facts.HandymanAssignedData(installation_id="ins_1", handyman_id=handyman_id)
    return facts.HandymanAssigned.new(
        partner_id="p", aggregate_id="ins_1", aggregate_version=version, data=data
    )


def moved(version: int, from_status: Status, to_status: Status) -> facts.InstallationStatusChanged:
    data = facts.InstallationStatusChangedData(
        installation_id="ins_1", from_status=from_status, to_status=to_status
    )
    return facts.InstallationStatusChanged.new(
        partner_id="p", aggregate_id="ins_1", aggregate_version=version, data=data
    )


HISTORY: list[InstallationFact] = [
    created(1),
    assigned(2, "hdm_1"),
    moved(3, Status.SCHEDULED, Status.IN_PROGRESS),
    moved(4, Status.IN_PROGRESS, Status.WORK_COMPLETED),
    moved(5, Status.WORK_COMPLETED, Status.CUSTOMER_APPROVED),
]


def learned(*events: InstallationFact) -> KnownInstallation:
    known = KnownInstallation(partner_id="p", installation_id="ins_1")
    for event in events:
        known.learn(event)
    return known


def test_the_history_in_order_makes_an_approved_installation() -> None:
    known = learned(*HISTORY)
    assert (known.customer_id, known.device_type, known.handyman_id) == ("cus_1", DeviceType.ALARM, "hdm_1")
    assert (known.status, known.version) == (Status.CUSTOMER_APPROVED, 5)


def test_any_arrival_order_ends_in_the_same_state() -> None:
    in_order = learned(*HISTORY)
    assert learned(*reversed(HISTORY)) == in_order
    assert learned(HISTORY[4], HISTORY[0], HISTORY[2], HISTORY[1], HISTORY[3]) == in_order


def test_an_older_event_changes_nothing() -> None:
    known = learned(*HISTORY)
    assert not known.learn(moved(3, Status.SCHEDULED, Status.IN_PROGRESS))
    assert not known.learn(assigned(1, "hdm_old"))
    assert known == learned(*HISTORY)


def test_the_latest_assignment_wins() -> None:
    assert learned(created(), assigned(3, "hdm_new"), assigned(2, "hdm_old")).handyman_id == "hdm_new"


def test_only_an_approved_installation_can_be_rated() -> None:
    rating, submitted = Rating.submit(learned(*HISTORY), stars=4, comment="tidy", at=AT)
    assert (rating.customer_id, rating.handyman_id, rating.device_type) == (
        "cus_1",
        "hdm_1",
        DeviceType.ALARM,
    )
    assert (submitted.event_type, submitted.aggregate_id, submitted.aggregate_version) == (
        "RatingSubmitted",
        rating.id,
        1,
    )
    assert submitted.data.stars == 4
    with pytest.raises(NotApproved, match="WORK_COMPLETED"):
        Rating.submit(learned(*HISTORY[:4]), stars=4, comment=None, at=AT)


def test_an_installation_whose_creation_has_not_arrived_is_unknown() -> None:
    with pytest.raises(UnknownInstallation, match="not yet received"):
        Rating.submit(learned(HISTORY[4]), stars=5, comment=None, at=AT)
    with pytest.raises(UnknownInstallation):
        Rating.submit(KnownInstallation(partner_id="p", installation_id="x"), stars=5, comment=None, at=AT)


@pytest.mark.parametrize("stars", [0, 6, -1])
def test_stars_are_one_to_five(stars: int) -> None:
    with pytest.raises(Invalid):
        Rating.submit(learned(*HISTORY), stars=stars, comment=None, at=AT)


def test_a_survey_is_sent_then_answered_once() -> None:
    survey, sent = Survey.send("p", customer_id="cus_1", installation_id=None, at=AT)
    answered = survey.answer(9, "great", AT)
    assert [(e.event_type, e.aggregate_version) for e in (sent, answered)] == [
        ("SurveySent", 1),
        ("SurveyAnswered", 2),
    ]
    with pytest.raises(AlreadyAnswered):
        survey.answer(3, None, AT)
    assert (survey.nps_score, survey.version) == (9, 2)


@pytest.mark.parametrize("score", [-1, 11])
def test_nps_is_zero_to_ten(score: int) -> None:
    survey, _ = Survey.send("p", customer_id="cus_1", installation_id=None, at=AT)
    with pytest.raises(Invalid):
        survey.answer(score, None, AT)
    assert survey.answered_at is None


def test_an_issue_is_reported_then_resolved_once() -> None:
    issue, reported = Issue.report("p", customer_id="cus_1", installation_id="ins_1", summary="loose", at=AT)
    resolved = issue.resolve(AT)
    assert [(e.event_type, e.aggregate_version) for e in (reported, resolved)] == [
        ("IssueReported", 1),
        ("IssueResolved", 2),
    ]
    with pytest.raises(AlreadyResolved):
        issue.resolve(AT)
