"""The HTTP request and response bodies (docs/http-api.md, ratings)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from heyzack_shared.contracts.installations import DeviceType
from heyzack_shared.http import RequestBody
from heyzack_shared.values import Id, Text
from ratings.domain import Issue, Rating, Survey

Summary = Annotated[Text, Field(min_length=1)]


class NewRating(RequestBody):
    installation_id: Id
    stars: int = Field(ge=1, le=5, strict=True, description="1 to 5 stars")
    comment: Text | None = None


class RatingOut(BaseModel):
    rating_id: str
    installation_id: str
    customer_id: str
    handyman_id: str | None
    device_type: DeviceType
    stars: int
    comment: str | None

    @classmethod
    def of(cls, rating: Rating) -> RatingOut:
        return cls(
            rating_id=rating.id,
            installation_id=rating.installation_id,
            customer_id=rating.customer_id,
            handyman_id=rating.handyman_id,
            device_type=rating.device_type,
            stars=rating.stars,
            comment=rating.comment,
        )


class NewSurvey(RequestBody):
    customer_id: Id
    installation_id: Id | None = None


class SurveyAnswer(RequestBody):
    nps_score: int = Field(ge=0, le=10, strict=True, description="0 to 10")
    comment: Text | None = None


class SurveyOut(BaseModel):
    survey_id: str
    customer_id: str
    installation_id: str | None
    sent_at: datetime
    answered: bool
    nps_score: int | None
    comment: str | None
    answered_at: datetime | None
    version: int

    @classmethod
    def of(cls, survey: Survey) -> SurveyOut:
        return cls(
            survey_id=survey.id,
            customer_id=survey.customer_id,
            installation_id=survey.installation_id,
            sent_at=survey.sent_at,
            answered=survey.answered_at is not None,
            nps_score=survey.nps_score,
            comment=survey.comment,
            answered_at=survey.answered_at,
            version=survey.version,
        )


class NewIssue(RequestBody):
    customer_id: Id
    installation_id: Id | None = None
    summary: Summary


class IssueOut(BaseModel):
    issue_id: str
    customer_id: str
    installation_id: str | None
    summary: str
    reported_at: datetime
    resolved: bool
    resolved_at: datetime | None
    version: int

    @classmethod
    def of(cls, issue: Issue) -> IssueOut:
        return cls(
            issue_id=issue.id,
            customer_id=issue.customer_id,
            installation_id=issue.installation_id,
            summary=issue.summary,
            reported_at=issue.reported_at,
            resolved=issue.resolved_at is not None,
            resolved_at=issue.resolved_at,
            version=issue.version,
        )
