"""What the service is asked to do, already validated and scoped to one partner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class ApplyCredit:
    partner_id: str
    idempotency_key: str
    shopify_order_ref: str
    cart_total_cents: int
    amount_cents: int

    @property
    def parameters(self) -> dict[str, object]:
        """What makes two requests with one key "the same request"."""
        return {
            "shopify_order_ref": self.shopify_order_ref,
            "cart_total_cents": self.cart_total_cents,
            "amount_cents": self.amount_cents,
        }


@dataclass(frozen=True, kw_only=True)
class ShowCredits:
    partner_id: str
    limit: int
    cursor: int | None
