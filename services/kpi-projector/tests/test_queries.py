"""The dashboard JSON of CONTRACT.md, from counters and the query's clock."""

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
