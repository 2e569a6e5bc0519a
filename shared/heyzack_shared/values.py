"""The input policy: what an integer, a date, a text or an id of the contract may be (docs/events.md, Values).

Defined once, here; events, HTTP bodies, path and query parameters all use these types, so what one door
refuses, every door refuses: with a 422 over HTTP, with a dead letter on Kafka.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

MAX_EXACT: Final = 2**53 - 1
"""The largest integer JSON numbers (the portal's JavaScript) and the Redis scripts' Lua numbers hold exactly,
both being doubles; PostgreSQL's bigint holds it too. Totals and balances stay within it."""

MAX_CENTS: Final = 10**11
"""The largest single amount, in cents (1,000,000,000.00 EUR): far beyond any installation, order or payment,
and small enough that 90,000 of them still add up exactly (below MAX_EXACT)."""

MAX_QUANTITY: Final = 1_000_000
MAX_VERSION: Final = 2**31 - 1
"""Aggregate versions are PostgreSQL `integer` columns in the services' databases."""

MAX_LINES: Final = 100
"""Lines of an order, products of an installation, certifications or skills of a handyman."""

FIRST_DAY: Final = date(2000, 1, 1)
LAST_DAY: Final = date(2099, 12, 31)
"""Business dates and times lie within these days (UTC). Year 1 or 9999 cannot be moved across time zones
(there is no day before 0001-01-01 nor after 9999-12-31), and no partner's business happened then."""

_EARLIEST: Final = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC)
_LATEST: Final = datetime(LAST_DAY.year + 1, 1, 1, tzinfo=UTC)

ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:/@+=-]*$"
ID_MAX_LENGTH: Final = 128
"""Every id (partner, customer, handyman, installation, order, SKU, ...): 1 to 128 ASCII letters, digits and
`. _ : / @ + = -`, starting with a letter or a digit. No spaces, no braces, no wildcards, no NUL."""

NAME_MAX_LENGTH: Final = 200
TEXT_MAX_LENGTH: Final = 2000
LABEL_MAX_LENGTH: Final = 100


_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain a NUL character")
    if _CONTROL.search(text):
        raise ValueError("must not contain control characters (tab, line feed and carriage return are fine)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (a lone UTF-16 surrogate is not)") from None
    return text


def _within_business_time(moment: datetime) -> datetime:
    if not _EARLIEST <= moment < _LATEST:
        raise ValueError(f"must lie between {FIRST_DAY} and {LAST_DAY} (UTC)")
    return moment


def within_business_days(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must lie between {FIRST_DAY} and {LAST_DAY}")
    return day


Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
SaleId = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH + 4, pattern=ID_PATTERN)]
"""An installation id, or an order's id and line number (`<order_id>:<line>`, lines 1 to MAX_LINES)."""
_Words = StringConstraints(strip_whitespace=True, min_length=1)
Name = Annotated[str, _Words, StringConstraints(max_length=NAME_MAX_LENGTH), AfterValidator(_clean_text)]
Label = Annotated[str, _Words, StringConstraints(max_length=LABEL_MAX_LENGTH), AfterValidator(_clean_text)]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=TEXT_MAX_LENGTH), AfterValidator(_clean_text)
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    AfterValidator(_clean_text),
]

Cents = Annotated[int, Field(ge=0, le=MAX_CENTS, strict=True)]
PositiveCents = Annotated[int, Field(ge=1, le=MAX_CENTS, strict=True)]
TotalCents = Annotated[int, Field(ge=0, le=MAX_EXACT, strict=True)]
"""A sum of amounts (a month's revenue, a balance): exact, so within MAX_EXACT."""
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY, strict=True)]
StockLevel = Annotated[int, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY, strict=True)]
Version = Annotated[int, Field(ge=1, le=MAX_VERSION, strict=True)]
BusinessTime = Annotated[AwareDatetime, AfterValidator(_within_business_time)]
