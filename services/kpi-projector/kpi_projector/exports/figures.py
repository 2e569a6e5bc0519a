"""What a report's keys mean, shared by every export format.

A report snapshot is the `GET /v1/reports/{tab}` JSON (docs/http-api.md). Units follow from the key names the
contract fixes: `*_cents` is money in integer euro cents, `*_rate` (and `rate`) a fraction 0–1, `*_minutes`
a duration, `*rating*` stars, `date` an ISO day. Everything else numeric is a plain count or score.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any

from kpi_projector.display import euros_rounded
from kpi_projector.reports import REPORT_TABS

Report = Mapping[str, Any]
Row = dict[str, Any]

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WORDS = {
    "avg": "Avg",
    "nps": "NPS",
    "sku": "SKU",
    "skus": "SKUs",
    "id": "ID",
}
_LABELS = {
    "created": "Installations created",
    "approved": "Installations approved",
    "completion_rate": "Completion rate",
    "avg_job_duration_minutes": "Avg job duration (min)",
    "pending_backlog": "Pending backlog",
    "handymen": "Handymen",
    "average_rating": "Average rating",
    "avg_response_minutes": "Avg response time (min)",
    "revenue_cents": "Revenue",
    "orders": "Orders",
    "units_sold": "Units sold",
    "skus_low_stock": "SKUs low on stock",
    "partner_revenue_cents": "Partner revenue",
    "product_sales_cents": "Product sales",
    "service_fees_cents": "Service fees",
    "margin_rate": "Profit margin",
    "unpaid_cents": "Unpaid balances",
    "commission_cents": "Commission",
    "nps": "NPS",
    "ratings": "Ratings",
    "survey_response_rate": "Survey response rate",
    "issue_resolution_rate": "Issue resolution rate",
    "daily": "Daily trend",
    "nps_weekly": "NPS trend",
    "sentiment_weekly": "Weekly sentiment",
    "by_device_type": "By device type",
}
SENTIMENT_COLUMNS = ("positive", "neutral", "negative")


class Kind(Enum):
    MONEY = "cents"
    RATE = "fraction"
    MINUTES = "minutes"
    RATING = "stars"
    DATE = "date"
    NUMBER = "number"
    TEXT = "text"

    @property
    def numeric(self) -> bool:
        return self not in (Kind.DATE, Kind.TEXT)


def label(key: str) -> str:
    """A human title for a key: the contract's figures by name, anything else from its words."""
    if key in _LABELS:
        return _LABELS[key]
    if "." in key:
        parent, child = key.split(".", 1)
        return f"{label(parent)}: {label(child)}"
    words = key.removesuffix("_cents").split("_")
    text = " ".join(_WORDS.get(w, w) for w in words if w)
    return text[:1].upper() + text[1:]


def kind_of(key: str, values: Iterable[Any] = ()) -> Kind:
    leaf = key.rsplit(".", 1)[-1]
    if leaf.endswith("_cents"):
        return Kind.MONEY
    if leaf == "rate" or leaf.endswith("_rate"):
        return Kind.RATE
    if leaf.endswith("_minutes"):
        return Kind.MINUTES
    if "rating" in leaf and leaf != "ratings":
        return Kind.RATING
    present = [v for v in values if v is not None]
    if leaf == "date" or (present and all(isinstance(v, str) and _ISO_DAY.match(v) for v in present)):
        return Kind.DATE
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return Kind.NUMBER
    return Kind.NUMBER if not present and leaf != "name" else Kind.TEXT


def flatten(row: Mapping[str, Any]) -> Row:
    """Nested objects become dotted columns (`skills.camera`); lists become "; "-joined text."""
    flat: Row = {}
    for key, value in row.items():
        if isinstance(value, Mapping):
            for sub, inner in flatten(value).items():
                flat[f"{key}.{sub}"] = inner
        elif isinstance(value, list | tuple):
            flat[key] = "; ".join(str(v) for v in value)
        else:
            flat[key] = value
    return flat


def columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every key of the rows, in first-seen order (rows need not all carry the same keys)."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def column_kinds(rows: Sequence[Mapping[str, Any]]) -> dict[str, Kind]:
    return {key: kind_of(key, (row.get(key) for row in rows)) for key in columns(rows)}


def as_date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and _ISO_DAY.match(value) else None


def as_datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def change(value: Any, previous: Any) -> float | int | None:
    """value − previous in the figure's own unit (percentage points for rates); None without both."""
    if not _is_number(value) or not _is_number(previous):
        return None
    diff = value - previous
    return diff if isinstance(diff, int) else round(diff, 10)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def display(value: Any, kind: Kind) -> str:
    """A figure as a partner reads it: € with thousands separators, rates in percent, null as "—"."""
    if value is None or value == "":
        return "—"
    if not _is_number(value):
        return str(value)
    if kind is Kind.MONEY:
        return euros_rounded(int(value))
    if kind is Kind.RATE:
        return f"{_half_up(value * 100)}%"
    if isinstance(value, float):
        return _half_up(value)
    return f"{value:,}"


def _half_up(value: float, places: int = 1) -> str:
    """Half up like every display (docs/figures.md: 4.25 → "4.3"), not float formatting's half even."""
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{exact:,}"


def display_change(value: Any, previous: Any, kind: Kind) -> str:
    diff = change(value, previous)
    if diff is None:
        return "—"
    sign = "+" if diff > 0 else "-" if diff < 0 else "±"
    if kind is Kind.RATE:
        return f"{sign}{_half_up(abs(diff) * 100)} pp"
    text = f"{sign}{display(abs(diff), kind)}"
    if previous:
        text += f" ({sign if diff else '+'}{_half_up(abs(diff / previous) * 100)}%)"
    return text


def report_title(report: Report) -> str:
    name = str(report.get("tab", "report"))
    tab = REPORT_TABS.get(name)
    return f"HeyZack {(tab.label if tab else label(name)).lower()} report"


def range_text(report: Report) -> str:
    rng = report.get("range") or {}
    preset = rng.get("preset")
    span = f"{rng.get('start', '?')} to {rng.get('end', '?')}"
    return f"{span} ({label(preset)})" if preset and preset != "custom" else span
