"""The parts every report tab shares: figures with their previous value, the ranges, and day-counter sums.

Kept apart from `reports.py` so each tab's module can build on them while `reports.py` dispatches to the tabs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from kpi_projector.queries import rfc3339_utc
from kpi_projector.ranges import DateRange

DayCounters = Mapping[dt.date, Mapping[str, int]]
Number = int | float
_NONE: Mapping[str, int] = MappingProxyType({})


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
