"""Events of the ratings service (topic heyzack.ratings.v1)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from heyzack_shared.contracts import topics
from heyzack_shared.contracts.installations import DeviceType
from heyzack_shared.envelope import Envelope, EventData
from heyzack_shared.values import Id, Text


class RatingsEvent(Envelope):
    topic: ClassVar[str] = topics.RATINGS
    producer_name: ClassVar[str] = "ratings"


class RatingSubmittedData(EventData):
    rating_id: Id
    installation_id: Id
    customer_id: Id
    handyman_id: Id | None
    device_type: DeviceType
    stars: int = Field(ge=1, le=5)
    comment: Text | None


class RatingSubmitted(RatingsEvent):
    event_type: Literal["RatingSubmitted"] = "RatingSubmitted"
    data: RatingSubmittedData


class SurveySentData(EventData):
    survey_id: Id
    customer_id: Id
    installation_id: Id | None


class SurveySent(RatingsEvent):
    event_type: Literal["SurveySent"] = "SurveySent"
    data: SurveySentData


class SurveyAnsweredData(EventData):
    survey_id: Id
    nps_score: int = Field(ge=0, le=10)
    comment: Text | None


class SurveyAnswered(RatingsEvent):
    event_type: Literal["SurveyAnswered"] = "SurveyAnswered"
    data: SurveyAnsweredData


class IssueReportedData(EventData):
    issue_id: Id
    customer_id: Id
    installation_id: Id | None
    summary: Text


class IssueReported(RatingsEvent):
    event_type: Literal["IssueReported"] = "IssueReported"
    data: IssueReportedData


class IssueResolvedData(EventData):
    issue_id: Id


class IssueResolved(RatingsEvent):
    event_type: Literal["IssueResolved"] = "IssueResolved"
    data: IssueResolvedData


EVENTS = (RatingSubmitted, SurveySent, SurveyAnswered, IssueReported, IssueResolved)
