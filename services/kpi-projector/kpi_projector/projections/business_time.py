"""Business time as the projections see it: a day is the date of a moment in the business time zone (a
projection argument: changing the setting means rebuilding a generation). No clock is read here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

DEFAULT_ZONE: Final = ZoneInfo("Europe/Paris")


def business_day(moment: datetime, zone: ZoneInfo) -> str:
    """The `YYYY-MM-DD` of `moment` in the business time zone `zone`."""
    return business_day_at(int(moment.timestamp()), zone)


_DAYS: dict[tuple[int, ZoneInfo], str] = {}
_QUARTER: Final = 900


def business_day_at(epoch_seconds: int, zone: ZoneInfo) -> str:
    """Memoised per quarter hour: modern time zones' offsets and their changes fall on quarter hours, so all
    moments of a UTC quarter hour share their business day (a cache, not a clock: the result is the same)."""
    quarter = epoch_seconds // _QUARTER
    day = _DAYS.get((quarter, zone))
    if day is None:
        if len(_DAYS) > 100_000:
            _DAYS.clear()
        day = _DAYS[quarter, zone] = (
            datetime.fromtimestamp(quarter * _QUARTER, UTC).astimezone(zone).date().isoformat()
        )
    return day


def utc_text(moment: datetime) -> str:
    """A fixed-width UTC RFC 3339 text: equal instants give equal texts, and texts sort like instants."""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")
