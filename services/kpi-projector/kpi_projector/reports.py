"""The reports of CONTRACT.md (`GET /v1/reports/{tab}`), assembled from the partner's day counters.

`installations_report` is pure: day counters (`projections.DayCounter` names, per business day) and a
`DateRange` in, the contract's model out. `build_report` reads what a tab needs (the range and its previous
period: one round trip) and returns the JSON-ready dict, the single snapshot both the JSON endpoint and the
exports are made from.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from typing import Any, Final, Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from heyzack_shared.contracts.installations import DeviceType, InstallationStatus
from heyzack_shared.errors import HeyZackError, NotFound
from kpi_projector.projections.vocabulary import (
    HANDYMAN,
    INSTALLATIONS_APPROVED_ON,
    INSTALLATIONS_CREATED,
    INSTALLATIONS_DEVICE_STATUS,
    INSTALLATIONS_STATUS,
    JOB_SECONDS,
    JOBS_COMPLETED,
    day_counter,
)
from kpi_projector.queries import rfc3339_utc
from kpi_projector.ranges import DateRange
from kpi_projector.read_models import ReadModels
from kpi_projector.report_financial import FinancialReport, read_financial
from kpi_projector.report_handymen import HANDYMEN_COUNTERS, HandymenReport, handymen_report
from kpi_projector.report_inventory import DEFAULT_LOW_STOCK_THRESHOLD, InventoryReport, read_inventory
from kpi_projector.report_models import DayCounters, Figure, Number, PreviousRange, ReportRange, totals
from kpi_projector.report_satisfaction import SATISFACTION_COUNTERS, SatisfactionReport, satisfaction_report

TABS: Final = ("installations", "handymen", "inventory", "financial", "satisfaction")
BUILT: Final = ("installations", "handymen", "inventory", "financial", "satisfaction")
COUNTERS: Final = (
    INSTALLATIONS_CREATED,
    INSTALLATIONS_STATUS,
    INSTALLATIONS_DEVICE_STATUS,
    INSTALLATIONS_APPROVED_ON,
    JOBS_COMPLETED,
    JOB_SECONDS,
)
"""The day counters the installations tab reads (each with its keys): all it asks Redis for."""


class NotBuiltYet(HeyZackError):
    status = 501
    code = "not_implemented"


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
    range: ReportRange
    previous_range: PreviousRange
    summary: InstallationsSummary
    series: InstallationsSeries
    tables: InstallationsTables


Report = InstallationsReport | HandymenReport | InventoryReport | FinancialReport | SatisfactionReport


def check_tab(tab: str) -> None:
    """404 for a tab that does not exist, 501 for one whose figures are not built yet."""
    if tab not in TABS:
        raise NotFound(f"no report tab {tab!r}: choose one of {', '.join(TABS)}")
    if tab not in BUILT:
        raise NotBuiltYet(f"the {tab} report is not available yet (built: {', '.join(BUILT)})")


def days_to_read(chosen: DateRange) -> list[dt.date]:
    """The business days a report of `chosen` needs: its previous period and itself."""
    return [*chosen.previous.dates(), *chosen.dates()]


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


class _AppState(Protocol):
    read_models: ReadModels
    business_zone: ZoneInfo


async def read_report(
    read_models: ReadModels,
    partner_id: str,
    tab: str,
    chosen: DateRange,
    *,
    now: dt.datetime,
    zone: ZoneInfo,
    low_stock_threshold: int = DEFAULT_LOW_STOCK_THRESHOLD,
) -> Report:
    """The report model of `tab` (404 unknown, 501 not built yet) for `chosen`, read in one round trip."""
    check_tab(tab)
    if tab == "inventory":
        return await read_inventory(
            read_models, partner_id, chosen, now=now, zone=zone, low_stock_threshold=low_stock_threshold
        )
    if tab == "financial":
        return await read_financial(read_models, partner_id, chosen, now=now, zone=zone)
    days = days_to_read(chosen)
    if tab == "handymen":
        counters, profiles = await asyncio.gather(  # two reads at once: no more apart than one after another
            read_models.day_counters(partner_id, days, HANDYMEN_COUNTERS),
            read_models.indexed_aggregates(partner_id, HANDYMAN, "handyman_id"),
        )
        return handymen_report(partner_id, counters, profiles, chosen, now=now, zone=zone)
    if tab == "satisfaction":
        counters = await read_models.day_counters(partner_id, days, SATISFACTION_COUNTERS)
        return satisfaction_report(partner_id, counters, chosen, now=now, zone=zone)
    counters = await read_models.day_counters(partner_id, days, COUNTERS)
    return installations_report(partner_id, counters, chosen, now=now, zone=zone)


async def build_report(
    source: ReadModels | _AppState,
    partner_id: str,
    tab: str,
    chosen: DateRange,
    now: dt.datetime,
    zone: ZoneInfo | None = None,
    low_stock_threshold: int = DEFAULT_LOW_STOCK_THRESHOLD,
) -> dict[str, Any]:
    """The report exactly as `GET /v1/reports/{tab}` answers it (dates as ISO texts): the snapshot exports
    are made from. `source` is the app's state (`request.app.state`) or a `ReadModels`; the time zone is the
    state's business zone unless given (`ranges.resolve` makes `chosen` from the request's parameters)."""
    if isinstance(source, ReadModels):
        read_models, business_zone = source, zone
    else:
        read_models, business_zone = source.read_models, zone or source.business_zone
    if business_zone is None:
        raise TypeError("build_report needs the business time zone with a ReadModels source")
    model = await read_report(
        read_models,
        partner_id,
        tab,
        chosen,
        now=now,
        zone=business_zone,
        low_stock_threshold=low_stock_threshold,
    )
    return model.model_dump(mode="json")
