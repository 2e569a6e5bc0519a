"""The financial tab (`GET /v1/reports/financial`): pure assembly from day counters and the all-time bucket.

- Revenue by source: RevenueRecorded of the credits service (authoritative: an approved installation's
  price as `partner_revenue`, each order line under its source) by the business day of its occurred_at
  (the sale's moment).
- Profit margin by product category: (revenue − cost) / revenue over the OrderPlaced lines placed in the
  period (quantity × unit_price_cents, quantity × unit_cost_cents); null without revenue.
- Payment collection aging as of the period's last day E: every order placed on or before E, less the
  payments received on or before E (payments are kept per order and day in the all-time bucket, so a
  later payment does not count), bucketed by days past `due_at`'s business day: current (not past due),
  1–30, 31–60, 61–90, over 90. `unpaid_cents` is their sum (`previous`: as of the previous period's last
  day).
- Commission per business month of the range: revenue (Σ RevenueRecorded in the range's days of that
  month), the month's total and tier (credits service's latest), the latest commission rate earned that
  month, and the commission earned (Σ commission CreditEarned by earning day, range days only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from heyzack_shared.contracts.credits import SaleSource
from kpi_projector.projections.vocabulary import (
    ALL_TIME,
    CATEGORY_COST,
    CATEGORY_REVENUE,
    COMMISSION_EARNED,
    ORDER_LEDGER,
    PARTNER_CREDITS,
    PAYMENT_LEDGER,
    REVENUE_BY_SOURCE,
    day_counter,
    month_rate,
    month_revenue,
    month_tier,
)
from kpi_projector.queries import Rebuilding
from kpi_projector.ranges import DateRange
from kpi_projector.read_models import ReadModels
from kpi_projector.report_models import (
    ChartSpec,
    DayCounters,
    Figure,
    PreviousRange,
    ReportQuery,
    ReportRange,
    ReportTab,
    by_key,
    header,
    ratio,
    totals,
)

AGING_BUCKETS: Final = ("current", "1-30", "31-60", "61-90", "over_90")
FINANCIAL_COUNTERS: Final = (
    REVENUE_BY_SOURCE,
    CATEGORY_REVENUE,
    CATEGORY_COST,
    COMMISSION_EARNED,
    ORDER_LEDGER,
    PAYMENT_LEDGER,
)
"""The counters the tab reads, of the days and of the all-time bucket (each with its keys): all it asks
Redis for."""


class FinancialSummary(BaseModel):
    revenue_cents: Figure
    partner_revenue_cents: Figure
    product_sales_cents: Figure
    service_fees_cents: Figure
    margin_rate: Figure
    unpaid_cents: Figure
    commission_cents: Figure


class FinancialDay(BaseModel):
    date: dt.date
    partner_revenue_cents: int
    product_sales_cents: int
    service_fees_cents: int


class FinancialSeries(BaseModel):
    daily: list[FinancialDay]


class SourceRow(BaseModel):
    source: str
    revenue_cents: int


class CategoryMarginRow(BaseModel):
    category: str
    revenue_cents: int
    cost_cents: int
    margin_rate: float | None


class AgingRow(BaseModel):
    bucket: str
    orders: int
    unpaid_cents: int


class CommissionRow(BaseModel):
    month: str
    revenue_cents: int
    month_total_cents: int | None
    tier: str | None
    rate: float | None
    commission_cents: int


class FinancialTables(BaseModel):
    revenue_by_source: list[SourceRow]
    margin_by_category: list[CategoryMarginRow]
    """Categories with order revenue or cost in the range, most revenue first."""
    aging: list[AgingRow]
    """As of the range's last day."""
    commission_by_month: list[CommissionRow]


class FinancialReport(BaseModel):
    tab: Literal["financial"] = "financial"
    partner_id: str
    as_of: str
    rebuilding: Rebuilding = False
    range: ReportRange
    previous_range: PreviousRange
    summary: FinancialSummary
    series: FinancialSeries
    tables: FinancialTables


def aging(all_time: Mapping[str, int], end: dt.date) -> list[AgingRow]:
    """Unpaid balances of the orders placed on or before `end`, net of the payments received by `end`."""
    paid: dict[str, int] = {}
    paid_prefix = PAYMENT_LEDGER + ":"
    for name, amount in all_time.items():
        if name.startswith(paid_prefix):
            order_id, day = name[len(paid_prefix) :].rsplit(":", 1)
            if dt.date.fromisoformat(day) <= end:
                paid[order_id] = paid.get(order_id, 0) + amount
    rows = {bucket: [0, 0] for bucket in AGING_BUCKETS}
    order_prefix = ORDER_LEDGER + ":"
    for name, total in all_time.items():
        if not name.startswith(order_prefix):
            continue
        order_id, placed, due = name[len(order_prefix) :].rsplit(":", 2)
        if dt.date.fromisoformat(placed) > end:
            continue
        balance = total - paid.get(order_id, 0)
        if balance <= 0:
            continue
        late = (end - dt.date.fromisoformat(due)).days
        bucket = (
            "current"
            if late <= 0
            else "1-30"
            if late <= 30
            else "31-60"
            if late <= 60
            else "61-90"
            if late <= 90
            else "over_90"
        )
        rows[bucket][0] += 1
        rows[bucket][1] += balance
    return [AgingRow(bucket=bucket, orders=n, unpaid_cents=cents) for bucket, (n, cents) in rows.items()]


def _months(chosen: DateRange) -> list[str]:
    return list(dict.fromkeys(day.isoformat()[:7] for day in chosen.dates()))


def financial_report(
    partner_id: str,
    counters: DayCounters,
    all_time: Mapping[str, int],
    partner_credits: Mapping[str, str],
    chosen: DateRange,
    *,
    now: dt.datetime,
    zone: ZoneInfo,
) -> FinancialReport:
    previous = chosen.previous

    def source(sums: Mapping[str, int], value: SaleSource) -> int:
        return sums.get(day_counter(REVENUE_BY_SOURCE, value), 0)

    def figures(sums: Mapping[str, int], aged: list[AgingRow]) -> dict[str, int | float | None]:
        by_source = {value: source(sums, value) for value in SaleSource}
        revenue = sum(by_key(sums, CATEGORY_REVENUE).values())
        cost = sum(by_key(sums, CATEGORY_COST).values())
        return {
            "revenue_cents": sum(by_source.values()),
            "partner_revenue_cents": by_source[SaleSource.PARTNER_REVENUE],
            "product_sales_cents": by_source[SaleSource.PRODUCT_SALES],
            "service_fees_cents": by_source[SaleSource.SERVICE_FEES],
            "margin_rate": ratio(revenue - cost, revenue),
            "unpaid_cents": sum(row.unpaid_cents for row in aged),
            "commission_cents": sums.get(COMMISSION_EARNED, 0),
        }

    sums, aged = totals(counters, chosen), aging(all_time, chosen.end)
    current, before = figures(sums, aged), figures(totals(counters, previous), aging(all_time, previous.end))
    summary = FinancialSummary(
        **{name: Figure(value=current[name], previous=before[name]) for name in current}
    )
    daily = [
        FinancialDay(
            date=day,
            partner_revenue_cents=bucket.get(day_counter(REVENUE_BY_SOURCE, SaleSource.PARTNER_REVENUE), 0),
            product_sales_cents=bucket.get(day_counter(REVENUE_BY_SOURCE, SaleSource.PRODUCT_SALES), 0),
            service_fees_cents=bucket.get(day_counter(REVENUE_BY_SOURCE, SaleSource.SERVICE_FEES), 0),
        )
        for day in chosen.dates()
        for bucket in (counters.get(day, {}),)
    ]
    revenue, cost = by_key(sums, CATEGORY_REVENUE), by_key(sums, CATEGORY_COST)
    margins = [
        CategoryMarginRow(
            category=category,
            revenue_cents=revenue.get(category, 0),
            cost_cents=cost.get(category, 0),
            margin_rate=ratio(revenue.get(category, 0) - cost.get(category, 0), revenue.get(category, 0)),
        )
        for category in sorted(set(revenue) | set(cost))
        if revenue.get(category, 0) or cost.get(category, 0)
    ]
    commissions = []
    for month in _months(chosen):
        days = [day for day in chosen.dates() if day.isoformat().startswith(month)]
        month_sums = totals(counters, DateRange(preset=chosen.preset, start=days[0], end=days[-1]))
        total = partner_credits.get(month_revenue(month))
        rate = partner_credits.get(month_rate(month))
        commissions.append(
            CommissionRow(
                month=month,
                revenue_cents=sum(source(month_sums, value) for value in SaleSource),
                month_total_cents=int(total) if total is not None else None,
                tier=partner_credits.get(month_tier(month)),
                rate=float(rate) if rate is not None else None,
                commission_cents=month_sums.get(COMMISSION_EARNED, 0),
            )
        )
    head = header(partner_id, chosen, now=now, zone=zone)
    return FinancialReport(
        partner_id=head.partner_id,
        as_of=head.as_of,
        range=head.range,
        previous_range=head.previous_range,
        summary=summary,
        series=FinancialSeries(daily=daily),
        tables=FinancialTables(
            revenue_by_source=[
                SourceRow(source=value, revenue_cents=source(sums, value)) for value in SaleSource
            ],
            margin_by_category=sorted(margins, key=lambda row: (-row.revenue_cents, row.category)),
            aging=aged,
            commission_by_month=commissions,
        ),
    )


async def read_financial(read_models: ReadModels, query: ReportQuery) -> FinancialReport:
    """The financial tab, read in one round trip of one generation."""
    partner_id = query.partner_id
    counters, buckets, (credits,) = await read_models.report_inputs(
        partner_id, query.days(), [ALL_TIME], [(PARTNER_CREDITS, partner_id)], names=FINANCIAL_COUNTERS
    )
    return financial_report(
        partner_id, counters, buckets[ALL_TIME], credits, query.chosen, now=query.now, zone=query.zone
    )


TAB: Final = ReportTab(
    name="financial",
    label="Financial",
    model=FinancialReport,
    read=read_financial,
    counters=FINANCIAL_COUNTERS,
    charts=(
        ChartSpec(
            series="daily",
            title="Revenue per day by source",
            keys=["partner_revenue_cents", "product_sales_cents", "service_fees_cents"],
        ),
        ChartSpec(table="revenue_by_source", title="Revenue by source", keys=["revenue_cents"]),
        ChartSpec(
            table="margin_by_category",
            title="Revenue and cost by category",
            keys=["revenue_cents", "cost_cents"],
        ),
        ChartSpec(table="aging", title="Payment aging: unpaid amounts", keys=["unpaid_cents"]),
        ChartSpec(table="commission_by_month", title="Commission by month", keys=["commission_cents"]),
    ),
)
