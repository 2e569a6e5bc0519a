"""What the service is asked to do, already validated and scoped to one partner."""

from __future__ import annotations

from dataclasses import dataclass

from heyzack_shared.idempotency import IdempotencyKey


@dataclass(frozen=True, kw_only=True)
class ApplyCredit:
    partner_id: str
    idempotency_key: IdempotencyKey
    shopify_order_ref: str
    cart_total_cents: int
    amount_cents: int


@dataclass(frozen=True, kw_only=True)
class ShowCredits:
    partner_id: str
    limit: int
    cursor: int | None
