"""Events of the credits service (topic heyzack.credits.v1)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field

from heyzack_shared.contracts import topics
from heyzack_shared.envelope import Envelope, EventData

Month = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class SaleSource(StrEnum):
    PARTNER_REVENUE = "partner_revenue"
    PRODUCT_SALES = "product_sales"
    SERVICE_FEES = "service_fees"


class CreditReason(StrEnum):
    COMMISSION = "commission"
    ADJUSTMENT = "adjustment"


class CreditsEvent(Envelope):
    topic: ClassVar[str] = topics.CREDITS
    producer_name: ClassVar[str] = "credits"


class RevenueRecordedData(EventData):
    sale_id: str
    source: SaleSource
    amount_cents: int
    month: str = Month
    month_total_cents: int
    tier: str


class RevenueRecorded(CreditsEvent):
    event_type: Literal["RevenueRecorded"] = "RevenueRecorded"
    data: RevenueRecordedData


class TierChangedData(EventData):
    month: str = Month
    from_tier: str
    to_tier: str


class TierChanged(CreditsEvent):
    event_type: Literal["TierChanged"] = "TierChanged"
    data: TierChangedData


class CreditEarnedData(EventData):
    entry_id: str
    amount_cents: int
    reason: CreditReason
    sale_id: str | None
    rate: float
    balance_after_cents: int = Field(ge=0)


class CreditEarned(CreditsEvent):
    event_type: Literal["CreditEarned"] = "CreditEarned"
    data: CreditEarnedData


class CreditAppliedData(EventData):
    entry_id: str
    shopify_order_ref: str
    cart_total_cents: int = Field(ge=0)
    amount_cents: int = Field(gt=0)
    balance_after_cents: int = Field(ge=0)


class CreditApplied(CreditsEvent):
    event_type: Literal["CreditApplied"] = "CreditApplied"
    data: CreditAppliedData


EVENTS = (RevenueRecorded, TierChanged, CreditEarned, CreditApplied)
