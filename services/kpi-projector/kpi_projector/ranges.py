"""The date ranges of the reports: a preset (or custom dates) resolved against today's business date.

Pure: `today` is an argument (the API takes it from its clock in the business time zone at query time). A
range is inclusive at both ends and includes today; its `previous` period is the one of equal length just
before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from heyzack_shared.errors import Invalid
from heyzack_shared.values import within_business_days

DEFAULT_PRESET: Final = "last_30_days"
MAX_DAYS: Final = 400
PRESETS: Final = (
    "today",
    "yesterday",
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "month_to_date",
    "last_month",
    "year_to_date",
    "custom",
)
_LAST_DAYS: Final = {"last_7_days": 7, "last_30_days": 30, "last_90_days": 90}


@dataclass(frozen=True, slots=True)
class DateRange:
    preset: str
    start: date
    end: date
    """Inclusive."""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> DateRange:
        """The period of equal length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return DateRange(self.preset, end - timedelta(days=self.days - 1), end)

    def dates(self) -> Iterator[date]:
        for offset in range(self.days):
            yield self.start + timedelta(days=offset)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def resolve(preset: str | None, start: str | None, end: str | None, today: date) -> DateRange:
    """The range a report's `range`, `start` and `end` parameters name on business date `today`.

    Raises `Invalid` (422) for an unknown preset, `start`/`end` given with another preset than `custom`,
    `custom` without both dates or with unparseable ones, an end before the start, or more than 400 days.
    """
    preset = preset or DEFAULT_PRESET
    if preset not in PRESETS:
        raise Invalid(f"unknown range {preset[:40]!r}: choose one of {', '.join(PRESETS)}")
    if preset != "custom":
        if start is not None or end is not None:
            raise Invalid(f"start and end are only for range=custom, not range={preset}")
        first, last = _preset(preset, today)
        return DateRange(preset, first, last)
    if start is None or end is None:
        raise Invalid("range=custom needs both start and end (inclusive dates, YYYY-MM-DD)")
    first, last = _date("start", start), _date("end", end)
    if last < first:
        raise Invalid(f"end {last} is before start {first}")
    chosen = DateRange(preset, first, last)
    if chosen.days > MAX_DAYS:
        raise Invalid(f"a range covers at most {MAX_DAYS} days; {first} to {last} is {chosen.days}")
    return chosen


def _preset(preset: str, today: date) -> tuple[date, date]:
    one_day = timedelta(days=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return today - one_day, today - one_day
    if preset in _LAST_DAYS:
        return today - timedelta(days=_LAST_DAYS[preset] - 1), today
    if preset == "month_to_date":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - one_day
        return last.replace(day=1), last
    if preset == "year_to_date":
        return today.replace(month=1, day=1), today
    raise AssertionError(preset)


def _date(name: str, text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{name} {text[:40]!r} is not a date (YYYY-MM-DD)") from None
    try:
        return within_business_days(day)
    except ValueError as error:
        raise Invalid(f"{name} {day} {error}") from None
