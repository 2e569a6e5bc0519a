"""Importing past ratings, surveys and issues: through the domain and the outbox, at their moments, once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from heyzack_shared.aggregate import new_id
from heyzack_shared.contracts.installations import InstallationStatus
from heyzack_shared.contracts.ratings import IssueReported, IssueResolved, SurveyAnswered, SurveySent
from heyzack_shared.envelope import Envelope
from ratings.domain import NotApproved, UnknownInstallation
from ratings.history import (
    ImportIssue,
    ImportRating,
    ImportSurvey,
    PastAnswer,
    import_issue,
    import_rating,
    import_survey,
)
from ratings.unit_of_work import UnitOfWork

OutboxEvents = Callable[[str], Awaitable[list[Envelope]]]
Known = Callable[..., Awaitable[str]]
DAY = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)


def rating_of(partner: str, installation_id: str) -> ImportRating:
    return ImportRating(
        partner_id=partner,
        rating_id=new_id("rat"),
        installation_id=installation_id,
        stars=4,
        comment=None,
        submitted_at=DAY,
    )


async def test_a_rating_is_imported_once_for_an_approved_installation_only(
    pool: asyncpg.Pool, partner: str, known_installation: Known, outbox_events: OutboxEvents
) -> None:
    in_progress = await known_installation(InstallationStatus.IN_PROGRESS)
    with pytest.raises(UnknownInstallation):
        await import_rating(rating_of(partner, new_id("ins")), UnitOfWork(pool))
    with pytest.raises(NotApproved):
        await import_rating(rating_of(partner, in_progress), UnitOfWork(pool))

    rating = rating_of(partner, await known_installation())
    assert await import_rating(rating, UnitOfWork(pool))
    assert not await import_rating(rating, UnitOfWork(pool))
    [submitted] = await outbox_events(rating.rating_id)
    assert submitted.occurred_at == DAY and submitted.data.stars == 4


async def test_a_survey_and_an_issue_carry_their_moments(
    pool: asyncpg.Pool, partner: str, outbox_events: OutboxEvents
) -> None:
    answered = PastAnswer(nps_score=9, comment=None, answered_at=DAY + timedelta(hours=5))
    survey = ImportSurvey(
        partner_id=partner,
        survey_id=new_id("svy"),
        customer_id=new_id("cus"),
        installation_id=None,
        sent_at=DAY,
        answer=answered,
    )
    issue = ImportIssue(
        partner_id=partner,
        issue_id=new_id("iss"),
        customer_id=survey.customer_id,
        installation_id=None,
        summary="Wi-Fi drops upstairs.",
        reported_at=DAY,
        resolved_at=DAY + timedelta(days=2),
    )

    assert await import_survey(survey, UnitOfWork(pool)) and await import_issue(issue, UnitOfWork(pool))
    assert not await import_survey(survey, UnitOfWork(pool))
    assert not await import_issue(issue, UnitOfWork(pool))

    survey_events, issue_events = await outbox_events(survey.survey_id), await outbox_events(issue.issue_id)
    assert [(type(e), e.occurred_at) for e in survey_events] == [
        (SurveySent, DAY),
        (SurveyAnswered, answered.answered_at),
    ]
    assert [(type(e), e.occurred_at) for e in issue_events] == [
        (IssueReported, DAY),
        (IssueResolved, issue.resolved_at),
    ]
