"""The HTTP API: every route authenticates the caller and acts within the caller's partner only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse

from heyzack_shared.auth import CurrentCaller
from heyzack_shared.http import STANDARD_ERRORS, IdempotencyKeyHeader, IdInPath, idempotent_responses, respond
from heyzack_shared.idempotency import IdempotencyKey
from ratings import commands, handlers
from ratings.schemas import (
    IssueOut,
    NewIssue,
    NewRating,
    NewSurvey,
    RatingOut,
    SurveyAnswer,
    SurveyOut,
)
from ratings.unit_of_work import UnitOfWork


async def _unit_of_work(request: Request) -> UnitOfWork:
    return UnitOfWork(request.app.state.pool)


Uow = Annotated[UnitOfWork, Depends(_unit_of_work)]
router = APIRouter(prefix="/v1")
_errors = STANDARD_ERRORS


def _conflict(description: str) -> dict[int | str, dict[str, Any]]:
    return {**_errors, 409: {"description": description}}


@router.post(
    "/ratings",
    status_code=status.HTTP_201_CREATED,
    response_model=RatingOut,
    responses={
        **idempotent_responses("the rating, submitted"),
        409: {"description": "the installation is not CUSTOMER_APPROVED, or it is already rated"},
    },
    tags=["ratings"],
)
async def submit_rating(
    body: NewRating, caller: CurrentCaller, uow: Uow, idempotency_key: IdempotencyKeyHeader = None
) -> JSONResponse:
    """Rate an installation. 404 also while ratings has not yet received the installation's events."""
    key = IdempotencyKey.of(caller.partner_id, idempotency_key, "submit_rating", body)
    cmd = commands.SubmitRating(partner_id=caller.partner_id, idempotency_key=key, **body.model_dump())
    return respond(await handlers.submit_rating(cmd, uow), RatingOut)


@router.get("/ratings/{rating_id}", responses=_errors, tags=["ratings"])
async def get_rating(rating_id: IdInPath, caller: CurrentCaller, uow: Uow) -> RatingOut:
    return RatingOut.of(await handlers.get_rating(caller.partner_id, rating_id, uow))


@router.post(
    "/surveys",
    status_code=status.HTTP_201_CREATED,
    response_model=SurveyOut,
    responses=idempotent_responses("the survey, sent"),
    tags=["surveys"],
)
async def send_survey(
    body: NewSurvey, caller: CurrentCaller, uow: Uow, idempotency_key: IdempotencyKeyHeader = None
) -> JSONResponse:
    key = IdempotencyKey.of(caller.partner_id, idempotency_key, "send_survey", body)
    cmd = commands.SendSurvey(partner_id=caller.partner_id, idempotency_key=key, **body.model_dump())
    return respond(await handlers.send_survey(cmd, uow), SurveyOut)


@router.post(
    "/surveys/{survey_id}/answer", responses=_conflict("the survey is already answered"), tags=["surveys"]
)
async def answer_survey(
    survey_id: IdInPath, body: SurveyAnswer, caller: CurrentCaller, uow: Uow
) -> SurveyOut:
    cmd = commands.AnswerSurvey(partner_id=caller.partner_id, survey_id=survey_id, **body.model_dump())
    return SurveyOut.of(await handlers.answer_survey(cmd, uow))


@router.get("/surveys/{survey_id}", responses=_errors, tags=["surveys"])
async def get_survey(survey_id: IdInPath, caller: CurrentCaller, uow: Uow) -> SurveyOut:
    return SurveyOut.of(await handlers.get_survey(caller.partner_id, survey_id, uow))


@router.post(
    "/issues",
    status_code=status.HTTP_201_CREATED,
    response_model=IssueOut,
    responses=idempotent_responses("the issue, reported"),
    tags=["issues"],
)
async def report_issue(
    body: NewIssue, caller: CurrentCaller, uow: Uow, idempotency_key: IdempotencyKeyHeader = None
) -> JSONResponse:
    key = IdempotencyKey.of(caller.partner_id, idempotency_key, "report_issue", body)
    cmd = commands.ReportIssue(partner_id=caller.partner_id, idempotency_key=key, **body.model_dump())
    return respond(await handlers.report_issue(cmd, uow), IssueOut)


@router.post(
    "/issues/{issue_id}/resolve", responses=_conflict("the issue is already resolved"), tags=["issues"]
)
async def resolve_issue(issue_id: IdInPath, caller: CurrentCaller, uow: Uow) -> IssueOut:
    cmd = commands.ResolveIssue(partner_id=caller.partner_id, issue_id=issue_id)
    return IssueOut.of(await handlers.resolve_issue(cmd, uow))


@router.get("/issues/{issue_id}", responses=_errors, tags=["issues"])
async def get_issue(issue_id: IdInPath, caller: CurrentCaller, uow: Uow) -> IssueOut:
    return IssueOut.of(await handlers.get_issue(caller.partner_id, issue_id, uow))
