"""Partner tiers, commission and the credit ledger: the rules and the events they produce. No I/O here.

Money is integer cents; commission rates are exact Decimals, so `floor(amount * rate)` is exact. A partner is
one aggregate: every credits event of a partner (revenue, tier, earned, applied) takes the partner's next
`aggregate_version`, and the caller holds the partner's row lock while it asks for one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from heyzack_shared.aggregate import Aggregate, new_id
from heyzack_shared.contracts import credits as events
from heyzack_shared.contracts.credits import CreditReason, SaleSource
from heyzack_shared.envelope import Envelope
from heyzack_shared.errors import Conflict, Invalid


@dataclass(frozen=True)
class Tier:
    name: str
    from_cents: int
    rate: Decimal


@dataclass(frozen=True)
class TierSchedule:
    """Tiers by ascending threshold; the first one starts at 0 so every total has a tier."""

    tiers: Sequence[Tier]

    def __post_init__(self) -> None:
        thresholds = [tier.from_cents for tier in self.tiers]
        if not thresholds or thresholds[0] != 0 or thresholds != sorted(set(thresholds)):
            raise ValueError(f"tier thresholds must start at 0 and strictly increase: {thresholds}")

    def tier_for(self, month_total_cents: int) -> Tier:
        """The tier of the highest threshold ≤ the month's total."""
        reached = self.tiers[0]
        for tier in self.tiers:
            if tier.from_cents <= month_total_cents:
                reached = tier
        return reached


def commission(amount_cents: int, rate: Decimal) -> int:
    """`floor(amount_cents * rate)` in whole cents, computed exactly."""
    return int((Decimal(amount_cents) * rate).to_integral_value(rounding=ROUND_FLOOR))


def month_of(moment: datetime, zone: ZoneInfo) -> str:
    """The business month (`YYYY-MM`) a moment falls in. Not strftime's `%Y`: it does not pad years before
    1000 on every platform ("1-01" for year 1, refused by the contract's and the table's month pattern).
    Raises OverflowError past 9999-12-31 in `zone`."""
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def new_entry_id() -> str:
    return new_id("cre")


class NotPositive(Invalid):
    code = "amount_not_positive"


class OverCartTotal(Conflict):
    code = "over_cart_total"


class InsufficientCredit(Conflict):
    code = "insufficient_credit"


@dataclass(frozen=True, kw_only=True)
class Sale:
    partner_id: str
    sale_id: str
    source: SaleSource
    amount_cents: int
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class CreditEntry:
    """One immutable line of the ledger; `amount_cents` is positive, `kind` says which way it went."""

    entry_id: str
    partner_id: str
    kind: str
    amount_cents: int
    balance_after_cents: int
    occurred_at: datetime
    sale_id: str | None = None
    shopify_order_ref: str | None = None
    cart_total_cents: int | None = None


@dataclass(frozen=True, kw_only=True)
class SaleRecorded:
    """What recording a sale did: the month's new total and tier, the credit earned (if any), the events."""

    month: str
    month_total_cents: int
    tier: str
    earned: CreditEntry | None
    events: list[Envelope] = field(default_factory=list)


@dataclass(kw_only=True)
class Partner(Aggregate):
    """All credits events of a partner belong to this one aggregate: `id` is the partner id."""

    balance_cents: int = 0

    @classmethod
    def of(cls, partner_id: str, *, balance_cents: int = 0, version: int = 0) -> Partner:
        return cls(partner_id=partner_id, id=partner_id, balance_cents=balance_cents, version=version)

    def record_sale(
        self, sale: Sale, *, month: str, month_total_before_cents: int, schedule: TierSchedule
    ) -> SaleRecorded:
        """Add a sale to its month; commission is earned at the rate of the tier reached after the sale."""
        total = month_total_before_cents + sale.amount_cents
        before, after = schedule.tier_for(month_total_before_cents), schedule.tier_for(total)
        emitted: list[Envelope] = [
            self._record(
                events.RevenueRecorded,
                events.RevenueRecordedData(
                    sale_id=sale.sale_id,
                    source=sale.source,
                    amount_cents=sale.amount_cents,
                    month=month,
                    month_total_cents=total,
                    tier=after.name,
                ),
                sale.occurred_at,
            )
        ]
        if after != before:
            emitted.append(
                self._record(
                    events.TierChanged,
                    events.TierChangedData(month=month, from_tier=before.name, to_tier=after.name),
                    sale.occurred_at,
                )
            )
        earned = self._earn(sale, after.rate, emitted)
        return SaleRecorded(
            month=month, month_total_cents=total, tier=after.name, earned=earned, events=emitted
        )

    def _earn(self, sale: Sale, rate: Decimal, emitted: list[Envelope]) -> CreditEntry | None:
        amount = commission(sale.amount_cents, rate)
        if amount <= 0:
            return None
        self.balance_cents += amount
        entry = CreditEntry(
            entry_id=new_entry_id(),
            partner_id=self.partner_id,
            kind="earned",
            amount_cents=amount,
            balance_after_cents=self.balance_cents,
            occurred_at=sale.occurred_at,
            sale_id=sale.sale_id,
        )
        emitted.append(
            self._record(
                events.CreditEarned,
                events.CreditEarnedData(
                    entry_id=entry.entry_id,
                    amount_cents=amount,
                    reason=CreditReason.COMMISSION,
                    sale_id=sale.sale_id,
                    rate=float(rate),  # the contract's field is a number; the maths above stayed exact
                    balance_after_cents=self.balance_cents,
                ),
                sale.occurred_at,
            )
        )
        return entry

    def apply_credit(
        self, *, shopify_order_ref: str, cart_total_cents: int, amount_cents: int, at: datetime | None = None
    ) -> tuple[CreditEntry, events.CreditApplied]:
        """Deduct credit from the balance for a Shopify order; refuses (changing nothing) when not allowed."""
        if amount_cents <= 0:
            raise NotPositive(f"amount_cents must be greater than 0, got {amount_cents}")
        if amount_cents > cart_total_cents:
            raise OverCartTotal(
                f"cannot apply {amount_cents} cents of credit to a cart of {cart_total_cents} cents:"
                " the amount must not exceed the cart total"
            )
        if amount_cents > self.balance_cents:
            raise InsufficientCredit(
                f"cannot apply {amount_cents} cents of credit: the available balance is"
                f" {self.balance_cents} cents"
            )
        at = at or datetime.now(UTC)
        self.balance_cents -= amount_cents
        entry = CreditEntry(
            entry_id=new_entry_id(),
            partner_id=self.partner_id,
            kind="applied",
            amount_cents=amount_cents,
            balance_after_cents=self.balance_cents,
            occurred_at=at,
            shopify_order_ref=shopify_order_ref,
            cart_total_cents=cart_total_cents,
        )
        applied = self._record(
            events.CreditApplied,
            events.CreditAppliedData(
                entry_id=entry.entry_id,
                shopify_order_ref=shopify_order_ref,
                cart_total_cents=cart_total_cents,
                amount_cents=amount_cents,
                balance_after_cents=self.balance_cents,
            ),
            at,
        )
        return entry, applied


@dataclass(frozen=True)
class CreditPolicy:
    """The settings the rules depend on: the tiers and the business time zone months are cut in."""

    schedule: TierSchedule
    zone: ZoneInfo
