"""Use cases. Each owns its transaction: the state change and its events commit together, or neither does.

An id of another partner is indistinguishable from an unknown one (NotFound). A creating command may carry
an Idempotency-Key: its answer (the response body) is stored in the transaction of its effect, and a retry
gets that answer instead of a second effect.
"""

from __future__ import annotations

from datetime import UTC, datetime

from heyzack_shared.aggregate import found
from heyzack_shared.idempotency import Answer
from ratings import commands
from ratings.domain import Issue, KnownInstallation, Rating, Survey
from ratings.schemas import IssueOut, RatingOut, SurveyOut
from ratings.unit_of_work import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


async def submit_rating(cmd: commands.SubmitRating, uow: UnitOfWork) -> Answer:
    """Locking the installation serialises concurrent ratings of it; the unique constraint backs that up."""
    async with uow:
        if replayed := await uow.replay(cmd.idempotency_key):
            return replayed
        installation = await uow.installations.get(
            cmd.partner_id, cmd.installation_id, lock=True
        ) or KnownInstallation(partner_id=cmd.partner_id, installation_id=cmd.installation_id)
        rating, submitted = Rating.submit(installation, stars=cmd.stars, comment=cmd.comment, at=_now())
        await uow.ratings.add(rating)
        await uow.emit(submitted)
        answer = await uow.answer(cmd.idempotency_key, Answer.created(RatingOut.of(rating)))
        await uow.commit()
    return answer


async def send_survey(cmd: commands.SendSurvey, uow: UnitOfWork) -> Answer:
    async with uow:
        if replayed := await uow.replay(cmd.idempotency_key):
            return replayed
        survey, sent = Survey.send(
            cmd.partner_id, customer_id=cmd.customer_id, installation_id=cmd.installation_id, at=_now()
        )
        await uow.surveys.save(survey)
        await uow.emit(sent)
        answer = await uow.answer(cmd.idempotency_key, Answer.created(SurveyOut.of(survey)))
        await uow.commit()
    return answer


async def answer_survey(cmd: commands.AnswerSurvey, uow: UnitOfWork) -> Survey:
    async with uow:
        survey = await uow.surveys.get(cmd.partner_id, cmd.survey_id, lock=True)
        survey = found(survey, "survey", cmd.survey_id)
        answered = survey.answer(cmd.nps_score, cmd.comment, _now())
        await uow.surveys.save(survey)
        await uow.emit(answered)
        await uow.commit()
    return survey


async def report_issue(cmd: commands.ReportIssue, uow: UnitOfWork) -> Answer:
    async with uow:
        if replayed := await uow.replay(cmd.idempotency_key):
            return replayed
        issue, reported = Issue.report(
            cmd.partner_id,
            customer_id=cmd.customer_id,
            installation_id=cmd.installation_id,
            summary=cmd.summary,
            at=_now(),
        )
        await uow.issues.save(issue)
        await uow.emit(reported)
        answer = await uow.answer(cmd.idempotency_key, Answer.created(IssueOut.of(issue)))
        await uow.commit()
    return answer


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
