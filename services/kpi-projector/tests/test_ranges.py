"""Report date ranges: every preset, month and year boundaries, leap years, and the errors (422)."""

from __future__ import annotations

from datetime import date

import pytest

from heyzack_shared.errors import Invalid
from kpi_projector.ranges import DateRange, resolve

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("preset", "today", "start", "end"),
    [
        ("today", TODAY, date(2026, 11, 25), date(2026, 11, 25)),
        ("yesterday", TODAY, date(2026, 11, 24), date(2026, 11, 24)),
        ("yesterday", date(2026, 3, 1), date(2026, 2, 28), date(2026, 2, 28)),
        ("yesterday", date(2028, 3, 1), date(2028, 2, 29), date(2028, 2, 29)),
        ("yesterday", date(2027, 1, 1), date(2026, 12, 31), date(2026, 12, 31)),
        ("last_7_days", TODAY, date(2026, 11, 19), date(2026, 11, 25)),
        ("last_7_days", date(2026, 3, 2), date(2026, 2, 24), date(2026, 3, 2)),
        ("last_30_days", TODAY, date(2026, 10, 27), date(2026, 11, 25)),
        ("last_30_days", date(2028, 3, 15), date(2028, 2, 15), date(2028, 3, 15)),
        ("last_90_days", TODAY, date(2026, 8, 28), date(2026, 11, 25)),
        ("month_to_date", TODAY, date(2026, 11, 1), date(2026, 11, 25)),
        ("month_to_date", date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 1)),
        ("last_month", TODAY, date(2026, 10, 1), date(2026, 10, 31)),
        ("last_month", date(2026, 1, 10), date(2025, 12, 1), date(2025, 12, 31)),
        ("last_month", date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
        ("last_month", date(2028, 3, 1), date(2028, 2, 1), date(2028, 2, 29)),
        ("year_to_date", TODAY, date(2026, 1, 1), date(2026, 11, 25)),
        ("year_to_date", date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 1)),
    ],
)
def test_presets(preset: str, today: date, start: date, end: date) -> None:
    assert resolve(preset, None, None, today) == DateRange(preset, start, end)


def test_the_default_is_the_last_30_days() -> None:
    assert resolve(None, None, None, TODAY) == DateRange("last_30_days", date(2026, 10, 27), TODAY)


def test_custom_dates_are_inclusive() -> None:
    chosen = resolve("custom", "2026-10-30", "2026-11-02", TODAY)
    assert (chosen.start, chosen.end, chosen.days) == (date(2026, 10, 30), date(2026, 11, 2), 4)
    assert list(chosen.dates()) == [
        date(2026, 10, 30),
        date(2026, 10, 31),
        date(2026, 11, 1),
        date(2026, 11, 2),
    ]
    assert resolve("custom", "2026-11-25", "2026-11-25", TODAY).days == 1
    assert resolve("custom", "2025-01-01", "2026-02-04", TODAY).days == 400


@pytest.mark.parametrize(
    ("chosen", "previous_start", "previous_end"),
    [
        (
            DateRange("last_30_days", date(2026, 10, 27), date(2026, 11, 25)),
            date(2026, 9, 27),
            date(2026, 10, 26),
        ),
        (DateRange("today", TODAY, TODAY), date(2026, 11, 24), date(2026, 11, 24)),
        (DateRange("last_month", date(2026, 2, 1), date(2026, 2, 28)), date(2026, 1, 4), date(2026, 1, 31)),
        (DateRange("last_month", date(2028, 3, 1), date(2028, 3, 31)), date(2028, 1, 30), date(2028, 2, 29)),
        (
            DateRange("year_to_date", date(2028, 1, 1), date(2028, 3, 1)),
            date(2027, 11, 1),
            date(2027, 12, 31),
        ),
    ],
)
def test_the_previous_period_has_equal_length_and_ends_the_day_before(
    chosen: DateRange, previous_start: date, previous_end: date
) -> None:
    previous = chosen.previous
    assert (previous.start, previous.end) == (previous_start, previous_end)
    assert previous.days == chosen.days


@pytest.mark.parametrize(
    ("preset", "start", "end", "message"),
    [
        ("last_week", None, None, "unknown range"),
        ("custom", None, None, "needs both start and end"),
        ("custom", "2026-11-01", None, "needs both start and end"),
        ("custom", "2026-11-02", "2026-11-01", "before start"),
        ("custom", "2025-01-01", "2026-02-05", "at most 400 days"),
        ("custom", "2026-02-30", "2026-03-01", "not a date"),
        ("custom", "yesterday", "2026-03-01", "not a date"),
        ("today", "2026-11-01", None, "only for range=custom"),
        ("custom", "0001-01-01", "0001-01-31", "start 0001-01-01 must lie between 2000-01-01 and 2099-12-31"),
        ("custom", "9999-12-01", "9999-12-31", "must lie between"),
        ("custom", "2026-11-01", "2100-01-01", "end 2100-01-01 must lie between"),
        ("custom", "2026-11-0\x00", "2026-11-02", "not a date"),
        ("x" * 100_000, None, None, "unknown range 'xxxxxxxx"),
    ],
)
def test_bad_ranges_are_invalid(preset: str, start: str | None, end: str | None, message: str) -> None:
    with pytest.raises(Invalid, match=message) as raised:
        resolve(preset, start, end, TODAY)
    assert raised.value.status == 422
