"""Importing past records: a partner's ratings, surveys and issues from before the platform (the demo's).

Each record is rebuilt through the domain at the moments it gives: its events carry them as `occurred_at` and
are written to the outbox in the one transaction that saves the record, like a command's. A record keeps its
id, so importing it again changes nothing (the use case returns False). A rating is accepted only for an
installation this service already knows as CUSTOMER_APPROVED, as over HTTP: until its events have arrived,
the import raises UnknownInstallation or NotApproved and may be retried. Not offered over HTTP, where a
partner records the present only: whoever runs the service's database imports (the demo loader does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from heyzack_shared.aggregate import ensure_chronological
from heyzack_shared.envelope import Envelope
from ratings.domain import Issue, KnownInstallation, Rating, Survey
from ratings.unit_of_work import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class ImportRating:
    partner_id: str
    rating_id: str
    installation_id: str
    stars: int
    comment: str | None
    submitted_at: datetime


@dataclass(frozen=True, kw_only=True)
class PastAnswer:
    nps_score: int
    comment: str | None
    answered_at: datetime


@dataclass(frozen=True, kw_only=True)
class ImportSurvey:
    partner_id: str
    survey_id: str
    customer_id: str
    installation_id: str | None
    sent_at: datetime
    answer: PastAnswer | None = None


@dataclass(frozen=True, kw_only=True)
class ImportIssue:
    partner_id: str
    issue_id: str
    customer_id: str
    installation_id: str | None
    summary: str
    reported_at: datetime
    resolved_at: datetime | None = None


async def import_rating(cmd: ImportRating, uow: UnitOfWork) -> bool:
    ensure_chronological(cmd.submitted_at, until=datetime.now(UTC))
    async with uow:
        await uow.claim("ratings", cmd.partner_id, cmd.rating_id)
        if await uow.ratings.get(cmd.partner_id, cmd.rating_id) is not None:
            return False
        installation = await uow.installations.get(
            cmd.partner_id, cmd.installation_id, lock=True
        ) or KnownInstallation(partner_id=cmd.partner_id, installation_id=cmd.installation_id)
        rating, submitted = Rating.submit(
            installation, stars=cmd.stars, comment=cmd.comment, at=cmd.submitted_at, rating_id=cmd.rating_id
        )
        await uow.ratings.add(rating)
        await uow.emit(submitted)
        await uow.commit()
    return True


async def import_survey(cmd: ImportSurvey, uow: UnitOfWork) -> bool:
    answer = cmd.answer
    answered = [] if answer is None else [answer.answered_at]
    ensure_chronological(cmd.sent_at, *answered, until=datetime.now(UTC))
    async with uow:
        await uow.claim("surveys", cmd.partner_id, cmd.survey_id)
        if await uow.surveys.get(cmd.partner_id, cmd.survey_id) is not None:
            return False
        survey, sent = Survey.send(
            cmd.partner_id,
            customer_id=cmd.customer_id,
            installation_id=cmd.installation_id,
            at=cmd.sent_at,
            survey_id=cmd.survey_id,
        )
        emitted: list[Envelope] = [sent]
        if answer is not None:
            emitted.append(survey.answer(answer.nps_score, answer.comment, answer.answered_at))
        await uow.surveys.save(survey)
        await uow.emit(*emitted)
        await uow.commit()
    return True


async def import_issue(cmd: ImportIssue, uow: UnitOfWork) -> bool:
    resolved = [] if cmd.resolved_at is None else [cmd.resolved_at]
    ensure_chronological(cmd.reported_at, *resolved, until=datetime.now(UTC))
    async with uow:
        await uow.claim("issues", cmd.partner_id, cmd.issue_id)
        if await uow.issues.get(cmd.partner_id, cmd.issue_id) is not None:
            return False
        issue, reported = Issue.report(
            cmd.partner_id,
            customer_id=cmd.customer_id,
            installation_id=cmd.installation_id,
            summary=cmd.summary,
            at=cmd.reported_at,
            issue_id=cmd.issue_id,
        )
        emitted: list[Envelope] = [reported]
        if cmd.resolved_at is not None:
            emitted.append(issue.resolve(cmd.resolved_at))
        await uow.issues.save(issue)
        await uow.emit(*emitted)
        await uow.commit()
    return True
