"""Events of the Shopify/ERP integration (topic heyzack.commerce.v1); produced outside this project."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from heyzack_shared.contracts import topics
from heyzack_shared.contracts.credits import SaleSource
from heyzack_shared.envelope import Envelope, EventData


class CommerceEvent(Envelope):
    topic: ClassVar[str] = topics.COMMERCE
    producer_name: ClassVar[str] = "commerce"


class OrderLine(EventData):
    sku: str
    name: str
    category: str
    quantity: int = Field(ge=1)
    unit_price_cents: int = Field(ge=0)
    unit_cost_cents: int = Field(ge=0)
    source: SaleSource


class OrderPlacedData(EventData):
    order_id: str
    customer_id: str | None
    installation_id: str | None
    lines: list[OrderLine]
    total_cents: int = Field(ge=0)
    due_at: AwareDatetime


class OrderPlaced(CommerceEvent):
    event_type: Literal["OrderPlaced"] = "OrderPlaced"
    data: OrderPlacedData


class PaymentReceivedData(EventData):
    order_id: str
    amount_cents: int = Field(gt=0)


class PaymentReceived(CommerceEvent):
    event_type: Literal["PaymentReceived"] = "PaymentReceived"
    data: PaymentReceivedData


class StockLevelChangedData(EventData):
    sku: str
    name: str
    category: str
    on_hand: int


class StockLevelChanged(CommerceEvent):
    event_type: Literal["StockLevelChanged"] = "StockLevelChanged"
    data: StockLevelChangedData


EVENTS = (OrderPlaced, PaymentReceived, StockLevelChanged)
