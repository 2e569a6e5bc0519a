"""Events of the credits service (topic heyzack.credits.v1)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field

from heyzack_shared.contracts import topics
from heyzack_shared.envelope import Envelope, EventData
from heyzack_shared.values import Cents, Id, Label, PositiveCents, SaleId, TotalCents

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
    sale_id: SaleId
    source: SaleSource
    amount_cents: Cents
    month: str = Month
    month_total_cents: TotalCents
    tier: Label


class RevenueRecorded(CreditsEvent):
    event_type: Literal["RevenueRecorded"] = "RevenueRecorded"
    data: RevenueRecordedData


class TierChangedData(EventData):
    month: str = Month
    from_tier: Label
    to_tier: Label


class TierChanged(CreditsEvent):
    event_type: Literal["TierChanged"] = "TierChanged"
    data: TierChangedData


class CreditEarnedData(EventData):
    entry_id: Id
    amount_cents: PositiveCents
    reason: CreditReason
    sale_id: SaleId | None
    rate: float = Field(ge=0, le=1, allow_inf_nan=False)
    balance_after_cents: TotalCents


class CreditEarned(CreditsEvent):
    event_type: Literal["CreditEarned"] = "CreditEarned"
    data: CreditEarnedData


class CreditAppliedData(EventData):
    entry_id: Id
    shopify_order_ref: Label
    cart_total_cents: Cents
    amount_cents: PositiveCents
    balance_after_cents: TotalCents


class CreditApplied(CreditsEvent):
    event_type: Literal["CreditApplied"] = "CreditApplied"
    data: CreditAppliedData


EVENTS = (RevenueRecorded, TierChanged, CreditEarned, CreditApplied)
