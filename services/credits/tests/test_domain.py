"""The rules alone: tiers by threshold, commission floored, the tier reached after a sale sets its rate."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from credits.domain import (
    InsufficientCredit,
    NotPositive,
    OverCartTotal,
    Partner,
    Sale,
    Tier,
    TierSchedule,
    commission,
    month_of,
)
from credits.settings import CreditsSettings
from heyzack_shared.contracts.credits import (
    CreditApplied,
    CreditEarned,
    RevenueRecorded,
    SaleSource,
    TierChanged,
)

SCHEDULE = CreditsSettings.model_validate(
    {"CREDITS_DATABASE_URL": "postgresql://unused", "HEYZACK_JWT_SECRET": "x" * 32}
).policy.schedule
AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def _sale(amount_cents: int, sale_id: str = "s-1") -> Sale:
    return Sale(
        partner_id="p",
        sale_id=sale_id,
        source=SaleSource.PARTNER_REVENUE,
        amount_cents=amount_cents,
        occurred_at=AT,
    )


@pytest.mark.parametrize(
    ("total", "tier"),
    [
        (0, "Bronze"),
        (499_999, "Bronze"),
        (500_000, "Silver"),
        (1_499_999, "Silver"),
        (1_500_000, "Gold"),
        (3_999_999, "Gold"),
        (4_000_000, "Platinum"),
        (10**12, "Platinum"),
    ],
)
def test_the_tier_is_the_highest_threshold_reached(total: int, tier: str) -> None:
    assert SCHEDULE.tier_for(total).name == tier


def test_default_rates_are_exact() -> None:
    assert [t.rate for t in SCHEDULE.tiers] == [Decimal(0), Decimal("0.02"), Decimal("0.03"), Decimal("0.05")]


def test_thresholds_must_start_at_zero_and_increase() -> None:
    with pytest.raises(ValueError, match="thresholds"):
        TierSchedule([Tier("A", 0, Decimal(0)), Tier("B", 0, Decimal(1))])
    with pytest.raises(ValueError, match="thresholds"):
        TierSchedule([Tier("A", 100, Decimal(0))])


def test_commission_is_floored_to_the_cent() -> None:
    assert commission(12_345, Decimal("0.02")) == 246  # 246.9
    assert commission(12_399, Decimal("0.03")) == 371  # 371.97
    assert commission(49, Decimal("0.02")) == 0
    assert commission(10**15 + 1, Decimal("0.05")) == 5 * 10**13


def test_months_are_cut_in_the_business_time_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert month_of(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), paris) == "2026-11"
    assert month_of(datetime(2026, 11, 30, 22, 59, tzinfo=UTC), paris) == "2026-11"
    assert month_of(datetime(2026, 11, 30, 23, 0, tzinfo=UTC), paris) == "2026-12"


def test_months_have_four_digit_years_from_year_1_to_9999() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert month_of(datetime(1, 1, 1, tzinfo=UTC), paris) == "0001-01"
    assert month_of(datetime(999, 12, 31, tzinfo=UTC), paris) == "0999-12"
    assert month_of(datetime(9999, 12, 31, 22, 59, tzinfo=UTC), paris) == "9999-12"
    with pytest.raises(OverflowError):  # year 10000 in Paris: the consumer dead-letters such a sale
        month_of(datetime(9999, 12, 31, 23, 30, tzinfo=UTC), paris)


def test_a_sale_crossing_a_threshold_earns_at_the_tier_reached_after_it() -> None:
    partner = Partner.of("p")
    recorded = partner.record_sale(
        _sale(200_000), month="2026-11", month_total_before_cents=400_000, schedule=SCHEDULE
    )
    assert (recorded.month_total_cents, recorded.tier) == (600_000, "Silver")
    revenue, tier_changed, earned = recorded.events
    assert isinstance(revenue, RevenueRecorded) and revenue.data.month_total_cents == 600_000
    assert revenue.occurred_at == AT and revenue.aggregate_id == "p"
    assert isinstance(tier_changed, TierChanged)
    assert (tier_changed.data.from_tier, tier_changed.data.to_tier) == ("Bronze", "Silver")
    assert isinstance(earned, CreditEarned)
    assert earned.data.amount_cents == 4_000 and earned.data.balance_after_cents == 4_000
    assert [e.aggregate_version for e in recorded.events] == [1, 2, 3]
    assert recorded.earned is not None and recorded.earned.amount_cents == 4_000
    assert partner.balance_cents == 4_000 and partner.version == 3


def test_a_bronze_sale_earns_nothing_and_changes_no_tier() -> None:
    partner = Partner.of("p")
    recorded = partner.record_sale(
        _sale(10_000), month="2026-11", month_total_before_cents=0, schedule=SCHEDULE
    )
    assert [type(e) for e in recorded.events] == [RevenueRecorded]
    assert recorded.earned is None and partner.balance_cents == 0


def test_a_sale_jumping_two_tiers_changes_the_tier_once() -> None:
    partner = Partner.of("p", version=7)
    recorded = partner.record_sale(
        _sale(4_000_000), month="2026-11", month_total_before_cents=100_000, schedule=SCHEDULE
    )
    changes = [e for e in recorded.events if isinstance(e, TierChanged)]
    assert [(c.data.from_tier, c.data.to_tier) for c in changes] == [("Bronze", "Platinum")]
    assert recorded.earned is not None and recorded.earned.amount_cents == 200_000
    assert [e.aggregate_version for e in recorded.events] == [8, 9, 10]


def test_applying_credit_lowers_the_balance_and_emits_credit_applied() -> None:
    partner = Partner.of("p", balance_cents=5_000, version=3)
    entry, applied = partner.apply_credit(
        shopify_order_ref="#1001", cart_total_cents=9_000, amount_cents=3_000
    )
    assert partner.balance_cents == 2_000 and entry.balance_after_cents == 2_000
    assert isinstance(applied, CreditApplied) and applied.aggregate_version == 4
    assert applied.data.balance_after_cents == 2_000 and entry.kind == "applied"


@pytest.mark.parametrize(
    ("cart", "amount", "error"),
    [
        (9_000, 0, NotPositive),
        (9_000, -5, NotPositive),
        (2_000, 3_000, OverCartTotal),
        (9_000, 5_001, InsufficientCredit),
    ],
)
def test_refused_applications_change_nothing(cart: int, amount: int, error: type[Exception]) -> None:
    partner = Partner.of("p", balance_cents=5_000, version=3)
    with pytest.raises(error):
        partner.apply_credit(shopify_order_ref="#1001", cart_total_cents=cart, amount_cents=amount)
    assert (partner.balance_cents, partner.version) == (5_000, 3)
