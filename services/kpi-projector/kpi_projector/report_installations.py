"""The installations tab (`GET /v1/reports/installations`): pure assembly from the partner's day counters.

Installations created in the range (by business day of creation), of those the ones approved now, the pending
backlog (neither approved nor cancelled), the average job duration IN_PROGRESS → WORK_COMPLETED (by completion
day), a daily series and a table per device type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from heyzack_shared.contracts.installations import DeviceType, InstallationStatus
from kpi_projector.projections.vocabulary import (
    INSTALLATIONS_APPROVED_ON,
    INSTALLATIONS_CREATED,
    INSTALLATIONS_DEVICE_STATUS,
    INSTALLATIONS_STATUS,
    JOB_SECONDS,
    JOBS_COMPLETED,
    day_counter,
)
from kpi_projector.queries import Rebuilding, rfc3339_utc
from kpi_projector.ranges import DateRange
from kpi_projector.read_models import ReadModels
from kpi_projector.report_models import (
    ChartSpec,
    DayCounters,
    Figure,
    Number,
    PreviousRange,
    ReportQuery,
    ReportRange,
    ReportTab,
    totals,
)

INSTALLATIONS_COUNTERS: Final = (
    INSTALLATIONS_CREATED,
    INSTALLATIONS_STATUS,
    INSTALLATIONS_DEVICE_STATUS,
    INSTALLATIONS_APPROVED_ON,
    JOBS_COMPLETED,
    JOB_SECONDS,
)
"""The day counters the tab reads (each with its keys): all it asks Redis for."""


class InstallationsSummary(BaseModel):
    created: Figure
    """Installations created in the range (by business day of creation)."""
    approved: Figure
    """Of those, how many are CUSTOMER_APPROVED now."""
    completion_rate: Figure
    """approved / created (0–1), null when none was created."""
    avg_job_duration_minutes: Figure
    """IN_PROGRESS → WORK_COMPLETED, over the jobs whose work completed in the range; null when none."""
    pending_backlog: Figure
    """Created in the range and now neither approved nor cancelled."""


class InstallationsDay(BaseModel):
    date: dt.date
    created: int
    approved: int
    """Installations approved that day (by day of approval)."""


class DeviceTypeRow(BaseModel):
    device_type: str
    created: int
    approved: int
    """Of those created in the range, approved now."""


class InstallationsSeries(BaseModel):
    daily: list[InstallationsDay]


class InstallationsTables(BaseModel):
    by_device_type: list[DeviceTypeRow]
    """Device types with installations created in the range, most created first."""


class InstallationsReport(BaseModel):
    tab: Literal["installations"] = "installations"
    partner_id: str
    as_of: str
    rebuilding: Rebuilding = False
    range: ReportRange
    previous_range: PreviousRange
    summary: InstallationsSummary
    series: InstallationsSeries
    tables: InstallationsTables


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _minutes(seconds: int, jobs: int) -> float | None:
    return round(seconds / jobs / 60, 1) if jobs else None


def _installations_figures(sums: Mapping[str, int]) -> dict[str, Number | None]:
    """The summary figures of one period from its `totals`."""

    def status(value: InstallationStatus) -> int:
        return sums.get(day_counter(INSTALLATIONS_STATUS, value), 0)

    created = sums.get(INSTALLATIONS_CREATED, 0)
    approved = status(InstallationStatus.CUSTOMER_APPROVED)
    return {
        "created": created,
        "approved": approved,
        "completion_rate": _rate(approved, created),
        "avg_job_duration_minutes": _minutes(sums.get(JOB_SECONDS, 0), sums.get(JOBS_COMPLETED, 0)),
        "pending_backlog": created - approved - status(InstallationStatus.CANCELLED),
    }


def installations_report(
    partner_id: str, counters: DayCounters, chosen: DateRange, *, now: dt.datetime, zone: ZoneInfo
) -> InstallationsReport:
    """The installations tab of `chosen` and its previous period, from the partner's day counters."""
    previous = chosen.previous
    sums = totals(counters, chosen)
    current, before = _installations_figures(sums), _installations_figures(totals(counters, previous))
    summary = InstallationsSummary(
        **{name: Figure(value=current[name], previous=before[name]) for name in current}
    )
    daily = [
        InstallationsDay(
            date=day,
            created=counters.get(day, {}).get(INSTALLATIONS_CREATED, 0),
            approved=counters.get(day, {}).get(INSTALLATIONS_APPROVED_ON, 0),
        )
        for day in chosen.dates()
    ]
    approved = InstallationStatus.CUSTOMER_APPROVED
    rows = [
        DeviceTypeRow(
            device_type=device,
            created=sums.get(day_counter(INSTALLATIONS_CREATED, device), 0),
            approved=sums.get(day_counter(INSTALLATIONS_DEVICE_STATUS, device, approved), 0),
        )
        for device in DeviceType
    ]
    rows = sorted((row for row in rows if row.created), key=lambda row: (-row.created, row.device_type))
    return InstallationsReport(
        partner_id=partner_id,
        as_of=rfc3339_utc(now),
        range=ReportRange(preset=chosen.preset, start=chosen.start, end=chosen.end, timezone=zone.key),
        previous_range=PreviousRange(start=previous.start, end=previous.end),
        summary=summary,
        series=InstallationsSeries(daily=daily),
        tables=InstallationsTables(by_device_type=rows),
    )


async def read_installations(read_models: ReadModels, query: ReportQuery) -> InstallationsReport:
    """The installations tab, read in one round trip of one generation."""
    counters = await read_models.day_counters(query.partner_id, query.days(), INSTALLATIONS_COUNTERS)
    return installations_report(query.partner_id, counters, query.chosen, now=query.now, zone=query.zone)


TAB: Final = ReportTab(
    name="installations",
    label="Installations",
    model=InstallationsReport,
    read=read_installations,
    counters=INSTALLATIONS_COUNTERS,
    charts=(
        ChartSpec(series="daily", title="Installations per day", keys=["created", "approved"]),
        ChartSpec(table="by_device_type", title="Installations by device type", keys=["created", "approved"]),
    ),
)
