"""The dashboard JSON of docs/http-api.md, from counters and the query's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from kpi_projector import queries

PARIS = ZoneInfo("Europe/Paris")


def test_the_dashboard_has_exactly_the_contracts_shape() -> None:
    counters = {
        "customer": 42,
        "customer:active:true": 40,
        "installation": 17,
        "installation:status:CUSTOMER_APPROVED": 9,
        "installation:status:SCHEDULED": 8,
        "handyman": 5,
        "handyman:availability:AVAILABLE": 3,
    }
    now = datetime(2026, 11, 25, 9, 30, 2, 123456, tzinfo=UTC)

    body = queries.dashboard("partner-acme", counters, now=now, zone=PARIS).model_dump(mode="json")

    assert body == {
        "partner_id": "partner-acme",
        "as_of": "2026-11-25T09:30:02Z",
        "rebuilding": False,
        "cards": {
            "total_customers": {"value": 42, "display": "42"},
            "active_installations": {"value": 17, "display": "17"},
            "completed_installations": {"value": 9, "display": "9"},
            "available_handymen": {"available": 3, "total": 5, "display": "3/5"},
            "monthly_revenue": {"value_cents": 0, "currency": "EUR", "month": "2026-11", "display": "€0"},
            "customer_satisfaction": {
                "average": None,
                "sum": 0,
                "count": 0,
                "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
                "display": "N/A",
            },
            "available_credit": {
                "value_cents": 0,
                "currency": "EUR",
                "display": "€0",
                "can_use_credit": False,
            },
        },
    }


def test_no_events_yet_reads_as_zeros() -> None:
    cards = queries.dashboard("p", {}, now=datetime(2026, 1, 1, tzinfo=UTC), zone=PARIS).cards
    assert cards.total_customers.display == "0"
    assert cards.available_handymen.display == "0/0"


def test_the_month_is_the_business_time_zones_at_query_time() -> None:
    new_years_eve_in_utc = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already January in Paris
    cards = queries.dashboard("p", {}, now=new_years_eve_in_utc, zone=PARIS).cards
    assert cards.monthly_revenue.month == "2027-01"
    assert queries.dashboard(
        "p", {}, now=new_years_eve_in_utc, zone=ZoneInfo("UTC")
    ).cards.monthly_revenue.month == ("2026-12")


def test_satisfaction_card_from_a_distribution() -> None:
    card = queries.satisfaction_card({2: 2, 3: 1, 4: 11, 5: 13})
    assert card.model_dump() == {
        "average": 4.3,
        "sum": 116,
        "count": 27,
        "distribution": {"1": 0, "2": 2, "3": 1, "4": 11, "5": 13},
        "display": "4.3/5",
    }
    assert queries.satisfaction_card({5: 2}).display == "5.0/5"


def test_credit_and_revenue_cards() -> None:
    assert queries.credit_card(12_099).model_dump() == {
        "value_cents": 12_099,
        "currency": "EUR",
        "display": "€120",
        "can_use_credit": True,
    }
    assert queries.revenue_card(420_050, "2026-11").display == "€4,201"


def test_the_three_event_cards_from_counters_and_the_partners_credits_fields() -> None:
    counters = {
        "rating": 27,
        "rating:stars:2": 2,
        "rating:stars:3": 1,
        "rating:stars:4": 11,
        "rating:stars:5": 13,
    }
    partner = {"balance_cents": "12099", "month:2026-11": "420050", "month:2026-10": "999900"}
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)

    cards = queries.dashboard("p", counters, partner=partner, now=now, zone=PARIS).model_dump(mode="json")[
        "cards"
    ]

    assert cards["monthly_revenue"] == {
        "value_cents": 420_050,
        "currency": "EUR",
        "month": "2026-11",
        "display": "€4,201",
    }
    assert cards["customer_satisfaction"] == {
        "average": 4.3,
        "sum": 116,
        "count": 27,
        "distribution": {"1": 0, "2": 2, "3": 1, "4": 11, "5": 13},
        "display": "4.3/5",
    }
    assert cards["available_credit"] == {
        "value_cents": 12_099,
        "currency": "EUR",
        "display": "€120",
        "can_use_credit": True,
    }


def test_the_dashboard_reads_the_current_business_months_revenue_field() -> None:
    assert queries.partner_fields(datetime(2026, 11, 30, 22, 59, tzinfo=UTC), PARIS) == (
        "balance_cents",
        "month:2026-11",
    )
    assert queries.partner_fields(datetime(2026, 11, 30, 23, 0, tzinfo=UTC), PARIS)[1] == "month:2026-12"


def test_monthly_revenue_rolls_over_at_midnight_on_the_first_without_any_event() -> None:
    partner = {"month:2026-11": "1234567"}
    before_midnight = datetime(2026, 11, 30, 22, 59, 59, tzinfo=UTC)  # 23:59:59 in Paris
    after_midnight = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 00:00 on 1 December in Paris

    def card(now: datetime) -> queries.RevenueCard:
        fields = {name: partner.get(name) for name in queries.partner_fields(now, PARIS)}
        return queries.dashboard("p", {}, partner=fields, now=now, zone=PARIS).cards.monthly_revenue

    assert (card(before_midnight).month, card(before_midnight).display) == ("2026-11", "€12,346")
    assert (card(after_midnight).month, card(after_midnight).value_cents, card(after_midnight).display) == (
        "2026-12",
        0,
        "€0",
    )


def test_credit_displays_round_down_and_only_a_positive_balance_can_be_used() -> None:
    assert queries.credit_card(99).model_dump(include={"display", "can_use_credit"}) == {
        "display": "€0",
        "can_use_credit": True,
    }
    assert queries.credit_card(0).can_use_credit is False
    assert queries.credit_card(123_456_789).display == "€1,234,567"
    assert queries.revenue_card(50, "2026-11").display == "€1"
    assert queries.revenue_card(49, "2026-11").display == "€0"


def test_satisfaction_rounds_half_up_to_one_decimal() -> None:
    assert queries.satisfaction_card({4: 3, 5: 1}).average == 4.3  # 4.25 → 4.3
    assert queries.satisfaction_card({4: 3, 5: 1}).display == "4.3/5"
    assert queries.satisfaction_card({1: 1}).display == "1.0/5"
