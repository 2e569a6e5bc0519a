"""The satisfaction tab (`GET /v1/reports/satisfaction`): pure assembly from day counters.

- NPS: % promoters (9–10) − % detractors (0–6) over the survey answers of the period (by answer day), in
  points −100..100 (one decimal); null with no answers. `nps_weekly` gives it per ISO week (Monday) of the
  range, counting the range's days only.
- Average star rating and ratings count: ratings submitted in the period (by rating day); `by_device_type`
  per device; `sentiment_weekly` per ISO week: positive 4–5 stars, neutral 3, negative 1–2.
- Survey response rate: of the surveys *sent* in the period, the fraction answered now (a cohort, like the
  installations' completion rate: always 0–1, and a late answer still counts for its survey's period).
- Issue resolution rate: of the issues *reported* in the period, the fraction resolved now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from kpi_projector.projections.vocabulary import (
    ISSUES_REPORTED,
    ISSUES_RESOLVED,
    NPS_ANSWERS,
    RATINGS_DEVICE_STARS,
    RATINGS_STARS,
    SURVEYS_ANSWERED,
    SURVEYS_SENT,
)
from kpi_projector.queries import Rebuilding
from kpi_projector.ranges import DateRange
from kpi_projector.read_models import ReadModels
from kpi_projector.report_models import (
    ChartSpec,
    DayCounters,
    Figure,
    PreviousRange,
    ReportQuery,
    ReportRange,
    ReportTab,
    by_key,
    header,
    in_days,
    ratio,
    totals,
)

SATISFACTION_COUNTERS: Final = (
    RATINGS_STARS,
    RATINGS_DEVICE_STARS,
    SURVEYS_SENT,
    SURVEYS_ANSWERED,
    NPS_ANSWERS,
    ISSUES_REPORTED,
    ISSUES_RESOLVED,
)
"""The day counters the tab reads (each with its keys): all it asks Redis for."""


class SatisfactionSummary(BaseModel):
    nps: Figure
    """Net Promoter Score in points (−100..100) over the period's survey answers; null with none."""
    average_rating: Figure
    """Mean stars of the ratings submitted in the period; null when none."""
    ratings: Figure
    survey_response_rate: Figure
    """Of the surveys sent in the period, answered now (0–1); null when none was sent."""
    issue_resolution_rate: Figure
    """Of the issues reported in the period, resolved now (0–1); null when none was reported."""


class NpsWeek(BaseModel):
    week: dt.date
    """The Monday of the ISO week."""
    nps: float | None
    answers: int


class SentimentWeek(BaseModel):
    week: dt.date
    positive: int
    neutral: int
    negative: int


class SatisfactionSeries(BaseModel):
    nps_weekly: list[NpsWeek]
    sentiment_weekly: list[SentimentWeek]


class DeviceRatingRow(BaseModel):
    device_type: str
    ratings: int
    average_rating: float


class SatisfactionTables(BaseModel):
    by_device_type: list[DeviceRatingRow]
    """Device types rated in the range, most ratings first."""


class SatisfactionReport(BaseModel):
    tab: Literal["satisfaction"] = "satisfaction"
    partner_id: str
    as_of: str
    rebuilding: Rebuilding = False
    range: ReportRange
    previous_range: PreviousRange
    summary: SatisfactionSummary
    series: SatisfactionSeries
    tables: SatisfactionTables


def nps(scores: dict[int, int]) -> float | None:
    answers = sum(scores.values())
    if not answers:
        return None
    promoters = sum(n for score, n in scores.items() if score >= 9)
    detractors = sum(n for score, n in scores.items() if score <= 6)
    return round(100 * (promoters - detractors) / answers, 1)


def _by_number(sums: dict[str, int]) -> dict[int, int]:
    numbers: dict[int, int] = {}
    for key, n in sums.items():
        numbers[int(key)] = numbers.get(int(key), 0) + n
    return numbers


def _average(stars: dict[int, int]) -> float | None:
    count = sum(stars.values())
    return round(sum(s * n for s, n in stars.items()) / count, 2) if count else None


def _figures(sums: Mapping[str, int]) -> dict[str, int | float | None]:
    """The summary figures of one period from its `totals`."""
    stars = _by_number(by_key(sums, RATINGS_STARS))
    sent, answered, reported, resolved = (
        sums.get(name, 0) for name in (SURVEYS_SENT, SURVEYS_ANSWERED, ISSUES_REPORTED, ISSUES_RESOLVED)
    )
    return {
        "nps": nps(_by_number(by_key(sums, NPS_ANSWERS))),
        "average_rating": _average(stars),
        "ratings": sum(stars.values()),
        "survey_response_rate": ratio(answered, sent),
        "issue_resolution_rate": ratio(resolved, reported),
    }


def _weeks(counters: DayCounters, chosen: DateRange) -> tuple[list[NpsWeek], list[SentimentWeek]]:
    scores: dict[dt.date, dict[int, int]] = {}
    stars: dict[dt.date, dict[int, int]] = {}
    nps_prefix, stars_prefix = NPS_ANSWERS + ":", RATINGS_STARS + ":"
    for day, values in in_days(counters, chosen):
        week = day - dt.timedelta(days=day.weekday())
        week_scores, week_stars = scores.setdefault(week, {}), stars.setdefault(week, {})
        for name, n in values.items():
            if name.startswith(nps_prefix):
                score = int(name[len(nps_prefix) :])
                week_scores[score] = week_scores.get(score, 0) + n
            elif name.startswith(stars_prefix):
                star = int(name[len(stars_prefix) :])
                week_stars[star] = week_stars.get(star, 0) + n
    nps_weekly = [
        NpsWeek(week=week, nps=nps(week_scores), answers=sum(week_scores.values()))
        for week, week_scores in scores.items()
    ]
    sentiment = [
        SentimentWeek(
            week=week,
            positive=sum(n for s, n in counts.items() if s >= 4),
            neutral=counts.get(3, 0),
            negative=sum(n for s, n in counts.items() if s <= 2),
        )
        for week, counts in stars.items()
    ]
    return nps_weekly, sentiment


def _by_device_type(sums: Mapping[str, int]) -> list[DeviceRatingRow]:
    devices: dict[str, dict[int, int]] = {}
    for key, n in by_key(sums, RATINGS_DEVICE_STARS).items():
        device, _, star = key.rpartition(":")
        devices.setdefault(device, {})[int(star)] = n
    rows = []
    for device, stars in devices.items():
        average = _average(stars)
        if average is not None:
            ratings = sum(stars.values())
            rows.append(DeviceRatingRow(device_type=device, ratings=ratings, average_rating=average))
    return sorted(rows, key=lambda row: (-row.ratings, row.device_type))


def satisfaction_report(
    partner_id: str, counters: DayCounters, chosen: DateRange, *, now: dt.datetime, zone: ZoneInfo
) -> SatisfactionReport:
    """The satisfaction tab of `chosen` and its previous period, from the partner's day counters."""
    sums = totals(counters, chosen)
    current, before = _figures(sums), _figures(totals(counters, chosen.previous))
    summary = SatisfactionSummary(
        **{name: Figure(value=current[name], previous=before[name]) for name in current}
    )
    nps_weekly, sentiment_weekly = _weeks(counters, chosen)
    return SatisfactionReport(
        **header(partner_id, chosen, now=now, zone=zone).model_dump(),
        summary=summary,
        series=SatisfactionSeries(nps_weekly=nps_weekly, sentiment_weekly=sentiment_weekly),
        tables=SatisfactionTables(by_device_type=_by_device_type(sums)),
    )


async def read_satisfaction(read_models: ReadModels, query: ReportQuery) -> SatisfactionReport:
    """The satisfaction tab, read in one round trip of one generation."""
    counters = await read_models.day_counters(query.partner_id, query.days(), SATISFACTION_COUNTERS)
    return satisfaction_report(query.partner_id, counters, query.chosen, now=query.now, zone=query.zone)


TAB: Final = ReportTab(
    name="satisfaction",
    label="Satisfaction",
    model=SatisfactionReport,
    read=read_satisfaction,
    counters=SATISFACTION_COUNTERS,
    charts=(
        ChartSpec(series="nps_weekly", title="NPS trend (weekly)", keys=["nps"], scale=(-100, 100)),
        ChartSpec(
            series="sentiment_weekly",
            title="Weekly sentiment",
            keys=["positive", "neutral", "negative"],
            colours=["#16a34a", "#94a3b8", "#dc2626"],
        ),
        ChartSpec(
            table="by_device_type",
            title="Average rating by device type",
            keys=["average_rating"],
            scale=(0, 5),
        ),
    ),
)
