"""Projections of the commerce events: products (stock), orders, their lines and payments."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from heyzack_shared.contracts import commerce
from kpi_projector.projections.business_time import business_day
from kpi_projector.projections.engine import AggregateChange, aggregate_change, fact, fans_out, projects
from kpi_projector.projections.vocabulary import (
    ALL_TIME,
    BUCKET,
    DUE_DAY,
    ORDER,
    ORDER_LINE,
    PAID_DAY,
    PAYMENT,
    PLACED_DAY,
    PRODUCT,
)


@projects(commerce.StockLevelChanged)
def _stock_level_changed(event: commerce.StockLevelChanged, zone: ZoneInfo) -> AggregateChange:
    data = event.data
    fields = {
        BUCKET: ALL_TIME,
        "sku": data.sku,
        "name": data.name,
        "category": data.category,
        "on_hand": str(data.on_hand),
    }
    return aggregate_change(event, PRODUCT, fields)


@projects(commerce.OrderPlaced)
def _order_placed(event: commerce.OrderPlaced, zone: ZoneInfo) -> AggregateChange:
    data = event.data
    fields = {
        BUCKET: ALL_TIME,
        "order_id": event.aggregate_id,
        PLACED_DAY: business_day(event.occurred_at, zone),
        DUE_DAY: business_day(data.due_at, zone),
        "total_cents": str(data.total_cents),
        "units": str(sum(line.quantity for line in data.lines)),
    }
    return aggregate_change(event, ORDER, fields)


@fans_out(commerce.OrderPlaced)
def _order_lines(event: commerce.OrderPlaced, zone: ZoneInfo) -> list[AggregateChange]:
    day = business_day(event.occurred_at, zone)
    return [
        fact(
            event,
            ORDER_LINE,
            f"{event.aggregate_id}#{index}",
            {
                PLACED_DAY: day,
                "sku": line.sku,
                "category": line.category,
                "source": line.source.value,
                "quantity": str(line.quantity),
                "revenue_cents": str(line.quantity * line.unit_price_cents),
                "cost_cents": str(line.quantity * line.unit_cost_cents),
            },
        )
        for index, line in enumerate(event.data.lines)
    ]


@fans_out(commerce.PaymentReceived)
def _payment_received(event: commerce.PaymentReceived, zone: ZoneInfo) -> list[AggregateChange]:
    fields = {
        BUCKET: ALL_TIME,
        "order_id": event.aggregate_id,
        PAID_DAY: business_day(event.occurred_at, zone),
        "amount_cents": str(event.data.amount_cents),
    }
    return [fact(event, PAYMENT, f"{event.aggregate_id}@{event.aggregate_version}", fields)]
