"""Request and response bodies of the credits HTTP API (docs/http-api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from credits.domain import CreditEntry
from credits.handlers import Statement
from heyzack_shared.values import MAX_CENTS, Label

Cents = Annotated[int, Field(strict=True, description="integer cents, EUR")]


class CreditApplication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shopify_order_ref: Label
    cart_total_cents: Annotated[int, Field(strict=True, ge=0, le=MAX_CENTS, description="integer cents, EUR")]
    amount_cents: Annotated[
        int,
        Field(
            strict=True,
            gt=0,
            le=MAX_CENTS,
            description="credit to deduct, integer cents; ≤ cart total and balance",
        ),
    ]


class CreditApplied(BaseModel):
    entry_id: str
    shopify_order_ref: str
    cart_total_cents: int
    amount_cents: int
    balance_after_cents: int


class LedgerEntry(BaseModel):
    entry_id: str
    kind: Literal["earned", "applied"]
    amount_cents: int = Field(description="always positive; `kind` says whether it was added or deducted")
    balance_after_cents: int
    occurred_at: datetime
    sale_id: str | None
    shopify_order_ref: str | None
    cart_total_cents: int | None

    @classmethod
    def of(cls, entry: CreditEntry) -> LedgerEntry:
        return cls(
            entry_id=entry.entry_id,
            kind="earned" if entry.kind == "earned" else "applied",
            amount_cents=entry.amount_cents,
            balance_after_cents=entry.balance_after_cents,
            occurred_at=entry.occurred_at,
            sale_id=entry.sale_id,
            shopify_order_ref=entry.shopify_order_ref,
            cart_total_cents=entry.cart_total_cents,
        )


class Credits(BaseModel):
    partner_id: str
    balance_cents: int
    month: str = Field(description="the current month in the business time zone, YYYY-MM")
    monthly_revenue_cents: int
    tier: str
    ledger: list[LedgerEntry] = Field(description="newest first")
    next_cursor: str | None = Field(description="pass as `cursor` for the next (older) page; null at the end")

    @classmethod
    def of(cls, statement: Statement) -> Credits:
        return cls(
            partner_id=statement.partner_id,
            balance_cents=statement.balance_cents,
            month=statement.month,
            monthly_revenue_cents=statement.monthly_revenue_cents,
            tier=statement.tier,
            ledger=[LedgerEntry.of(entry) for entry in statement.ledger],
            next_cursor=None if statement.next_cursor is None else str(statement.next_cursor),
        )
