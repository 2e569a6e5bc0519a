"""Events of the Shopify/ERP integration (topic heyzack.commerce.v1); produced outside this project."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from heyzack_shared.contracts import topics
from heyzack_shared.contracts.credits import SaleSource
from heyzack_shared.envelope import Envelope, EventData
from heyzack_shared.values import (
    MAX_CENTS,
    MAX_LINES,
    BusinessTime,
    Cents,
    Id,
    Label,
    Name,
    PositiveCents,
    Quantity,
    StockLevel,
)


class CommerceEvent(Envelope):
    topic: ClassVar[str] = topics.COMMERCE
    producer_name: ClassVar[str] = "commerce"


class OrderLine(EventData):
    sku: Id
    name: Name
    category: Label
    quantity: Quantity
    unit_price_cents: Cents
    unit_cost_cents: Cents
    source: SaleSource

    @model_validator(mode="after")
    def _line_totals_are_amounts(self) -> Self:
        if self.quantity * max(self.unit_price_cents, self.unit_cost_cents) > MAX_CENTS:
            raise ValueError(
                f"a line's total (quantity x unit price or cost) must not exceed {MAX_CENTS} cents"
            )
        return self


class OrderPlacedData(EventData):
    order_id: Id
    customer_id: Id | None
    installation_id: Id | None
    lines: Annotated[list[OrderLine], Field(max_length=MAX_LINES)]
    total_cents: Cents
    due_at: BusinessTime


class OrderPlaced(CommerceEvent):
    event_type: Literal["OrderPlaced"] = "OrderPlaced"
    data: OrderPlacedData


class PaymentReceivedData(EventData):
    order_id: Id
    amount_cents: PositiveCents


class PaymentReceived(CommerceEvent):
    event_type: Literal["PaymentReceived"] = "PaymentReceived"
    data: PaymentReceivedData


class StockLevelChangedData(EventData):
    sku: Id
    name: Name
    category: Label
    on_hand: StockLevel


class StockLevelChanged(CommerceEvent):
    event_type: Literal["StockLevelChanged"] = "StockLevelChanged"
    data: StockLevelChangedData


EVENTS = (OrderPlaced, PaymentReceived, StockLevelChanged)
