"""Projections of the credits service's events: the partner's credits aggregate, sales and commissions.

Every event of the credits service is projected into one aggregate per partner (`PARTNER_CREDITS`), because
the service gives them one version sequence; the per-sale and per-commission facts fan out as aggregates of
their own.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from heyzack_shared.contracts import credits
from heyzack_shared.envelope import Envelope
from kpi_projector.projections.business_time import business_day
from kpi_projector.projections.engine import AggregateChange, fact, fans_out, projects
from kpi_projector.projections.vocabulary import (
    BALANCE,
    COMMISSION,
    EARNED_DAY,
    PARTNER_CREDITS,
    SALE,
    SALE_DAY,
    month_rate,
    month_revenue,
    month_tier,
)


def _partner_credits(event: Envelope, fields: dict[str, str]) -> AggregateChange:
    partner_id = event.partner_id
    return AggregateChange(partner_id, PARTNER_CREDITS, partner_id, event.aggregate_version, fields)


@projects(credits.RevenueRecorded)
def _revenue_recorded(event: credits.RevenueRecorded, zone: ZoneInfo) -> AggregateChange:
    data = event.data
    fields = {month_revenue(data.month): str(data.month_total_cents), month_tier(data.month): data.tier}
    return _partner_credits(event, fields)


@projects(credits.TierChanged)
def _tier_changed(event: credits.TierChanged, zone: ZoneInfo) -> AggregateChange:
    return _partner_credits(event, {month_tier(event.data.month): event.data.to_tier})


@projects(credits.CreditEarned)
@projects(credits.CreditApplied)
def _credit_balance(event: credits.CreditEarned | credits.CreditApplied, zone: ZoneInfo) -> AggregateChange:
    return _partner_credits(event, {BALANCE: str(event.data.balance_after_cents)})


@fans_out(credits.RevenueRecorded)
def _sale_recorded(event: credits.RevenueRecorded, zone: ZoneInfo) -> list[AggregateChange]:
    data = event.data
    fields = {
        SALE_DAY: business_day(event.occurred_at, zone),
        "source": data.source.value,
        "amount_cents": str(data.amount_cents),
    }
    return [fact(event, SALE, data.sale_id, fields)]


@fans_out(credits.CreditEarned)
def _commission_earned(event: credits.CreditEarned, zone: ZoneInfo) -> list[AggregateChange]:
    data = event.data
    if data.reason is not credits.CreditReason.COMMISSION:
        return []
    day = business_day(event.occurred_at, zone)
    fields = {EARNED_DAY: day, "amount_cents": str(data.amount_cents)}
    return [
        fact(event, COMMISSION, data.entry_id, fields),
        _partner_credits(event, {month_rate(day[:7]): repr(float(data.rate))}),
    ]
