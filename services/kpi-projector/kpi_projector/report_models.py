"""The parts every report tab shares: what a tab is (`ReportTab`), the query it answers, figures with their
previous value, the ranges, and day-counter sums.

Kept apart from `reports.py` so each tab's module can declare its tab while `reports.py` lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from kpi_projector.queries import rfc3339_utc
from kpi_projector.ranges import DateRange
from kpi_projector.read_models import ReadModels

DayCounters = Mapping[dt.date, Mapping[str, int]]
Number = int | float
DEFAULT_LOW_STOCK_THRESHOLD: Final = 5
_NONE: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True)
class ReportQuery:
    """What a partner asks of a tab: its range (and so the previous period), at query time `now`."""

    partner_id: str
    chosen: DateRange
    now: dt.datetime
    zone: ZoneInfo
    low_stock_threshold: int = DEFAULT_LOW_STOCK_THRESHOLD

    def days(self) -> list[dt.date]:
        """The business days the report needs: the previous period and the range."""
        return [*self.chosen.previous.dates(), *self.chosen.dates()]


class ChartSpec(BaseModel):
    """A chart the portal draws from one series or table of a tab's report (one unit per chart)."""

    title: str
    series: str | None = None
    table: str | None = None
    keys: list[str] = []
    """The figures drawn, one line or bar each (none for the skill radar)."""
    top: int | None = None
    """Only the first `top` rows of the table."""
    radar: bool = False
    """The skill radar of the table's rows (their `skills`)."""
    scale: tuple[float, float] | None = None
    """A fixed axis (e.g. stars 0–5); otherwise from the data."""
    colours: list[str] | None = None


Reader = Callable[[ReadModels, ReportQuery], Awaitable[BaseModel]]


@dataclass(frozen=True)
class ReportTab:
    """One tab of the reports: everything the API, the exports and the portal need to know of it."""

    name: str
    label: str
    model: type[BaseModel]
    """Its `GET /v1/reports/{name}` answer (whose `tab` is `name`)."""
    read: Reader
    """The report of a query: read in one round trip of one generation, made by the tab's pure builder."""
    counters: tuple[str, ...]
    """The day counters it reads (each with its keys): all it asks Redis for."""
    charts: tuple[ChartSpec, ...]


class Figure(BaseModel):
    value: Number | None
    previous: Number | None


class ReportRange(BaseModel):
    preset: str
    start: dt.date
    end: dt.date
    timezone: str


class PreviousRange(BaseModel):
    start: dt.date
    end: dt.date


class ReportHeader(BaseModel):
    partner_id: str
    as_of: str
    range: ReportRange
    previous_range: PreviousRange


def header(partner_id: str, chosen: DateRange, *, now: dt.datetime, zone: ZoneInfo) -> ReportHeader:
    previous = chosen.previous
    return ReportHeader(
        partner_id=partner_id,
        as_of=rfc3339_utc(now),
        range=ReportRange(preset=chosen.preset, start=chosen.start, end=chosen.end, timezone=zone.key),
        previous_range=PreviousRange(start=previous.start, end=previous.end),
    )


def totals(counters: DayCounters, days: DateRange) -> dict[str, int]:
    """Every counter summed over `days`, in one pass over them (a counter is there only when it is non-zero
    on some day): what a tab's figures of one period are read from."""
    sums: dict[str, int] = {}
    get, none = sums.get, _NONE
    for day in days.dates():
        for name, n in counters.get(day, none).items():
            if n:
                sums[name] = get(name, 0) + n
    return sums


def by_key(sums: Mapping[str, int], name: str) -> dict[str, int]:
    """The counters `<name>:<key>` of `sums` (`totals`), by key (keys may themselves hold `:`)."""
    prefix = name + ":"
    start = len(prefix)
    return {counter[start:]: n for counter, n in sums.items() if counter.startswith(prefix)}


def in_days(counters: DayCounters, days: DateRange) -> Iterator[tuple[dt.date, Mapping[str, int]]]:
    for day in days.dates():
        yield day, counters.get(day, {})


def ratio(part: int, whole: int, places: int = 4) -> float | None:
    return round(part / whole, places) if whole else None
