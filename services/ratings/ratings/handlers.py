"""Use cases. Each owns its transaction: the state change and its events commit together, or neither does.

An id of another partner is indistinguishable from an unknown one (NotFound).
"""

from __future__ import annotations

from datetime import UTC, datetime

from heyzack_shared.aggregate import found
from ratings import commands
from ratings.domain import Issue, KnownInstallation, Rating, Survey
from ratings.unit_of_work import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


async def submit_rating(cmd: commands.SubmitRating, uow: UnitOfWork) -> Rating:
    """Locking the installation serialises concurrent ratings of it; the unique constraint backs that up."""
    async with uow:
        installation = await uow.installations.get(
            cmd.partner_id, cmd.installation_id, lock=True
        ) or KnownInstallation(partner_id=cmd.partner_id, installation_id=cmd.installation_id)
        rating, submitted = Rating.submit(installation, stars=cmd.stars, comment=cmd.comment, at=_now())
        await uow.ratings.add(rating)
        await uow.emit(submitted)
        await uow.commit()
    return rating


async def send_survey(cmd: commands.SendSurvey, uow: UnitOfWork) -> Survey:
    async with uow:
        survey, sent = Survey.send(
            cmd.partner_id, customer_id=cmd.customer_id, installation_id=cmd.installation_id, at=_now()
        )
        await uow.surveys.save(survey)
        await uow.emit(sent)
        await uow.commit()
    return survey


async def answer_survey(cmd: commands.AnswerSurvey, uow: UnitOfWork) -> Survey:
    async with uow:
        survey = await uow.surveys.get(cmd.partner_id, cmd.survey_id, lock=True)
        survey = found(survey, "survey", cmd.survey_id)
        answered = survey.answer(cmd.nps_score, cmd.comment, _now())
        await uow.surveys.save(survey)
        await uow.emit(answered)
        await uow.commit()
    return survey


async def report_issue(cmd: commands.ReportIssue, uow: UnitOfWork) -> Issue:
    async with uow:
        issue, reported = Issue.report(
            cmd.partner_id,
            customer_id=cmd.customer_id,
            installation_id=cmd.installation_id,
            summary=cmd.summary,
            at=_now(),
        )
        await uow.issues.save(issue)
        await uow.emit(reported)
        await uow.commit()
    return issue


async def resolve_issue(cmd: commands.ResolveIssue, uow: UnitOfWork) -> Issue:
    async with uow:
        issue = await uow.issues.get(cmd.partner_id, cmd.issue_id, lock=True)
        issue = found(issue, "issue", cmd.issue_id)
        resolved = issue.resolve(_now())
        await uow.issues.save(issue)
        await uow.emit(resolved)
        await uow.commit()
    return issue


async def get_rating(partner_id: str, rating_id: str, uow: UnitOfWork) -> Rating:
    async with uow:
        return found(await uow.ratings.get(partner_id, rating_id), "rating", rating_id)


async def get_survey(partner_id: str, survey_id: str, uow: UnitOfWork) -> Survey:
    async with uow:
        return found(await uow.surveys.get(partner_id, survey_id), "survey", survey_id)


async def get_issue(partner_id: str, issue_id: str, uow: UnitOfWork) -> Issue:
    async with uow:
        return found(await uow.issues.get(partner_id, issue_id), "issue", issue_id)
