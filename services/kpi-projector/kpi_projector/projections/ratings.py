"""Projections of the ratings service's events: ratings, surveys and issues."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from heyzack_shared.contracts import ratings
from kpi_projector.projections.business_time import business_day, utc_text
from kpi_projector.projections.engine import AggregateChange, aggregate_change, projects
from kpi_projector.projections.vocabulary import (
    ANSWERED_DAY,
    ISSUE,
    NPS_SCORE,
    RATED_DAY,
    RATING,
    REPORTED_DAY,
    RESOLVED,
    SENT_DAY,
    SURVEY,
)


@projects(ratings.RatingSubmitted)
def _rating_submitted(event: ratings.RatingSubmitted, zone: ZoneInfo) -> AggregateChange:
    data = event.data
    fields = {
        "stars": str(data.stars),
        "installation_id": data.installation_id,
        "customer_id": data.customer_id,
        "device_type": data.device_type,
        "submitted_at": utc_text(event.occurred_at),
        RATED_DAY: business_day(event.occurred_at, zone),
    }
    if data.handyman_id is not None:
        fields["handyman_id"] = data.handyman_id
    return aggregate_change(event, RATING, fields)


@projects(ratings.SurveySent)
def _survey_sent(event: ratings.SurveySent, zone: ZoneInfo) -> AggregateChange:
    return aggregate_change(event, SURVEY, {SENT_DAY: business_day(event.occurred_at, zone)})


@projects(ratings.SurveyAnswered)
def _survey_answered(event: ratings.SurveyAnswered, zone: ZoneInfo) -> AggregateChange:
    fields = {NPS_SCORE: str(event.data.nps_score), ANSWERED_DAY: business_day(event.occurred_at, zone)}
    return aggregate_change(event, SURVEY, fields)


@projects(ratings.IssueReported)
def _issue_reported(event: ratings.IssueReported, zone: ZoneInfo) -> AggregateChange:
    return aggregate_change(event, ISSUE, {REPORTED_DAY: business_day(event.occurred_at, zone)})


@projects(ratings.IssueResolved)
def _issue_resolved(event: ratings.IssueResolved, zone: ZoneInfo) -> AggregateChange:
    return aggregate_change(event, ISSUE, {RESOLVED: "true"})
