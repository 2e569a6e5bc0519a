"""The dashboard (docs/figures.md), assembled from read-model counters and the partner's credits aggregate.

Pure: the clock is an argument. "Current month" is resolved here, at query time, in the business time zone, so
the revenue card rolls over at midnight on the 1st without any event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from heyzack_shared.contracts.installations import Availability, InstallationStatus
from kpi_projector.display import (
    average_one_decimal,
    euros_floored,
    euros_rounded,
    one_decimal,
    tenths_half_up,
)
from kpi_projector.projections.vocabulary import (
    BALANCE,
    CUSTOMER,
    HANDYMAN,
    INSTALLATION,
    RATING,
    counter,
    month_revenue,
    total,
)

STARS = range(1, 6)


class CountCard(BaseModel):
    value: int
    display: str


class RatioCard(BaseModel):
    available: int
    total: int
    display: str


class RevenueCard(BaseModel):
    value_cents: int
    currency: Literal["EUR"] = "EUR"
    month: str
    display: str


class SatisfactionCard(BaseModel):
    average: float | None
    sum: int
    count: int
    distribution: dict[str, int]
    display: str


class CreditCard(BaseModel):
    value_cents: int
    currency: Literal["EUR"] = "EUR"
    display: str
    can_use_credit: bool


class Cards(BaseModel):
    total_customers: CountCard
    active_installations: CountCard
    completed_installations: CountCard
    available_handymen: RatioCard
    monthly_revenue: RevenueCard
    customer_satisfaction: SatisfactionCard
    available_credit: CreditCard


Rebuilding = Annotated[
    bool,
    Field(
        description="true while the projector rebuilds its read-models (its store, or the broker, lost"
        " data): the figures are not whole yet and must not be taken for the partner's"
    ),
]


class Dashboard(BaseModel):
    partner_id: str
    as_of: str
    rebuilding: Rebuilding = False
    cards: Cards


def rfc3339_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def business_month(moment: datetime, zone: ZoneInfo) -> str:
    """The `YYYY-MM` of `moment` in the business time zone."""
    return moment.astimezone(zone).strftime("%Y-%m")


def count_card(value: int) -> CountCard:
    return CountCard(value=value, display=str(value))


def ratio_card(available: int, of: int) -> RatioCard:
    return RatioCard(available=available, total=of, display=f"{available}/{of}")


def revenue_card(cents: int, month: str) -> RevenueCard:
    return RevenueCard(value_cents=cents, month=month, display=euros_rounded(cents))


def satisfaction_card(ratings_per_star: Mapping[int, int]) -> SatisfactionCard:
    """From how many ratings gave each score 1..5: the exact sum and count, and the rounded average."""
    distribution = {str(stars): ratings_per_star.get(stars, 0) for stars in STARS}
    count = sum(distribution.values())
    stars_sum = sum(stars * ratings_per_star.get(stars, 0) for stars in STARS)
    display = f"{one_decimal(tenths_half_up(stars_sum, count))}/5" if count else "N/A"
    return SatisfactionCard(
        average=average_one_decimal(stars_sum, count),
        sum=stars_sum,
        count=count,
        distribution=distribution,
        display=display,
    )


def credit_card(balance_cents: int) -> CreditCard:
    return CreditCard(
        value_cents=balance_cents, display=euros_floored(balance_cents), can_use_credit=balance_cents > 0
    )


def partner_fields(now: datetime, zone: ZoneInfo) -> tuple[str, ...]:
    """The fields of the partner's `PARTNER_CREDITS` aggregate that the dashboard at `now` shows."""
    return (BALANCE, month_revenue(business_month(now, zone)))


def dashboard(
    partner_id: str,
    counters: Mapping[str, int],
    *,
    now: datetime,
    zone: ZoneInfo,
    partner: Mapping[str, str | None] | None = None,
    rebuilding: bool = False,
) -> Dashboard:
    """The seven cards of one partner at query time `now`, from its counters and the `partner_fields` of its
    credits aggregate (missing counters and fields are zero)."""
    month = business_month(now, zone)
    fields = partner or {}

    def figure(name: str) -> int:
        return counters.get(name, 0)

    def cents(name: str) -> int:
        value = fields.get(name)
        return int(value) if value is not None else 0

    cards = Cards(
        total_customers=count_card(figure(total(CUSTOMER))),
        active_installations=count_card(figure(total(INSTALLATION))),
        completed_installations=count_card(
            figure(counter(INSTALLATION, "status", InstallationStatus.CUSTOMER_APPROVED))
        ),
        available_handymen=ratio_card(
            figure(counter(HANDYMAN, "availability", Availability.AVAILABLE)), figure(total(HANDYMAN))
        ),
        monthly_revenue=revenue_card(cents(month_revenue(month)), month),
        customer_satisfaction=satisfaction_card(
            {stars: figure(counter(RATING, "stars", str(stars))) for stars in STARS}
        ),
        available_credit=credit_card(cents(BALANCE)),
    )
    return Dashboard(partner_id=partner_id, as_of=rfc3339_utc(now), rebuilding=rebuilding, cards=cards)
