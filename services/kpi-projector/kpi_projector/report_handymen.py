"""The handymen tab (`GET /v1/reports/handymen`): pure assembly from day counters and handyman profiles.

Per handyman (rows ranked by approved installations, then revenue): installations approved in the range and
the revenue of their prices (by approval day, credited to the installation's handyman), the average star
rating (by rating day), the average response time HandymanAssigned → IN_PROGRESS (by IN_PROGRESS day), and
the current name, certifications and skill levels (0–5 per radar category; a missing category is 0). One row
per known handyman, plus any handyman id the range's counters name without a profile. Summary `handymen`:
handymen with any activity (an approval, a rating or a job start) in the period.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from typing import Final, Literal
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel

from heyzack_shared.contracts.installations import DeviceType
from kpi_projector.projections.vocabulary import (
    HANDYMAN,
    HANDYMAN_APPROVED,
    HANDYMAN_RATINGS,
    HANDYMAN_RESPONSE_SECONDS,
    HANDYMAN_RESPONSES,
    HANDYMAN_REVENUE,
    HANDYMAN_STARS,
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
    totals,
)

SKILLS: Final = tuple(device.value for device in DeviceType if device is not DeviceType.OTHER)
"""The radar's categories: smart_lock, camera, thermostat, network, alarm, lighting."""
Profiles = Mapping[str, Mapping[str, str]]
HANDYMEN_COUNTERS: Final = (
    HANDYMAN_APPROVED,
    HANDYMAN_REVENUE,
    HANDYMAN_RATINGS,
    HANDYMAN_STARS,
    HANDYMAN_RESPONSES,
    HANDYMAN_RESPONSE_SECONDS,
)
"""The day counters the tab reads (each with its keys): all it asks Redis for."""


class HandymenSummary(BaseModel):
    handymen: Figure
    """Handymen with an approval, a rating or a job start in the period."""
    approved: Figure
    """Installations approved in the period (by approval day) that have a handyman."""
    average_rating: Figure
    """Mean stars of the ratings of handymen submitted in the period; null when none."""
    avg_response_minutes: Figure
    """Mean HandymanAssigned → IN_PROGRESS, over the jobs started in the period; null when none."""
    revenue_cents: Figure
    """price_cents of the installations approved in the period that have a handyman."""


class HandymanRow(BaseModel):
    handyman_id: str
    name: str | None
    approved: int
    average_rating: float | None
    ratings: int
    avg_response_minutes: float | None
    certifications: list[str]
    revenue_cents: int
    skills: dict[str, int]
    """Level 0–5 of each radar category (smart_lock, camera, thermostat, network, alarm, lighting)."""


class HandymenSeries(BaseModel):
    pass


class HandymenTables(BaseModel):
    handymen: list[HandymanRow]
    """Ranked by approved installations, then revenue, then name."""


class HandymenReport(BaseModel):
    tab: Literal["handymen"] = "handymen"
    partner_id: str
    as_of: str
    rebuilding: Rebuilding = False
    range: ReportRange
    previous_range: PreviousRange
    summary: HandymenSummary
    series: HandymenSeries
    tables: HandymenTables


class _Activity:
    def __init__(self, counters: DayCounters, days: DateRange) -> None:
        sums = totals(counters, days)
        self.approved = by_key(sums, HANDYMAN_APPROVED)
        self.revenue = by_key(sums, HANDYMAN_REVENUE)
        self.ratings = by_key(sums, HANDYMAN_RATINGS)
        self.stars = by_key(sums, HANDYMAN_STARS)
        self.responses = by_key(sums, HANDYMAN_RESPONSES)
        self.response_seconds = by_key(sums, HANDYMAN_RESPONSE_SECONDS)

    def handymen(self) -> set[str]:
        active = (self.approved, self.ratings, self.responses)
        return {handyman for counts in active for handyman, n in counts.items() if n}

    def figures(self) -> dict[str, int | float | None]:
        return {
            "handymen": len(self.handymen()),
            "approved": sum(self.approved.values()),
            "average_rating": _average(sum(self.stars.values()), sum(self.ratings.values())),
            "avg_response_minutes": _minutes(
                sum(self.response_seconds.values()), sum(self.responses.values())
            ),
            "revenue_cents": sum(self.revenue.values()),
        }


def _average(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def _minutes(seconds: int, count: int) -> float | None:
    return round(seconds / count / 60, 1) if count else None


def _json_list(text: str | None) -> list[str]:
    value = orjson.loads(text) if text else []
    return [str(item) for item in value] if isinstance(value, list) else []


def _skills(text: str | None) -> dict[str, int]:
    value = orjson.loads(text) if text else {}
    levels = value if isinstance(value, dict) else {}
    return {skill: max(0, min(5, int(levels.get(skill) or 0))) for skill in SKILLS}


def handymen_report(
    partner_id: str,
    counters: DayCounters,
    profiles: Profiles,
    chosen: DateRange,
    *,
    now: dt.datetime,
    zone: ZoneInfo,
) -> HandymenReport:
    """The handymen tab of `chosen` and its previous period, from day counters and the handymen's fields."""
    current, before = _Activity(counters, chosen), _Activity(counters, chosen.previous)
    figures, previous = current.figures(), before.figures()
    summary = HandymenSummary(
        **{name: Figure(value=figures[name], previous=previous[name]) for name in figures}
    )
    rows = []
    for handyman in sorted({*profiles, *current.handymen()}):
        profile = profiles.get(handyman, {})
        rows.append(
            HandymanRow(
                handyman_id=handyman,
                name=profile.get("name"),
                approved=current.approved.get(handyman, 0),
                average_rating=_average(current.stars.get(handyman, 0), current.ratings.get(handyman, 0)),
                ratings=current.ratings.get(handyman, 0),
                avg_response_minutes=_minutes(
                    current.response_seconds.get(handyman, 0), current.responses.get(handyman, 0)
                ),
                certifications=_json_list(profile.get("certifications")),
                revenue_cents=current.revenue.get(handyman, 0),
                skills=_skills(profile.get("skills")),
            )
        )
    rows.sort(key=lambda row: (-row.approved, -row.revenue_cents, row.name or "", row.handyman_id))
    return HandymenReport(
        **header(partner_id, chosen, now=now, zone=zone).model_dump(),
        summary=summary,
        series=HandymenSeries(),
        tables=HandymenTables(handymen=rows),
    )


async def read_handymen(read_models: ReadModels, query: ReportQuery) -> HandymenReport:
    """The handymen tab: its day counters and the handymen's profiles."""
    counters, profiles = await asyncio.gather(  # two reads at once: no more apart than one after another
        read_models.day_counters(query.partner_id, query.days(), HANDYMEN_COUNTERS),
        read_models.indexed_aggregates(query.partner_id, HANDYMAN, "handyman_id"),
    )
    return handymen_report(query.partner_id, counters, profiles, query.chosen, now=query.now, zone=query.zone)


TAB: Final = ReportTab(
    name="handymen",
    label="Handymen",
    model=HandymenReport,
    read=read_handymen,
    counters=HANDYMEN_COUNTERS,
    charts=(
        ChartSpec(table="handymen", title="Ranking: approved installations", keys=["approved"], top=10),
        ChartSpec(table="handymen", title="Revenue per handyman", keys=["revenue_cents"], top=10),
        ChartSpec(table="handymen", title="Skill radar: the top 3 handymen", radar=True, top=3),
    ),
)
