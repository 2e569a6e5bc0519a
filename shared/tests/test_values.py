"""The input policy on the event side: what a hostile producer may put on a topic is refused with a reason.

The same types guard the HTTP bodies (each service's test_api_guards / test_api); here, `parse_event` is the
door every consumer reads through, so a message it accepts is one every consumer can apply.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from heyzack_shared.contracts import RejectedEvent, parse_event
from heyzack_shared.contracts import commerce as com
from heyzack_shared.contracts import credits as cre
from heyzack_shared.contracts import ratings as rat
from heyzack_shared.contracts.installations import DeviceType
from heyzack_shared.envelope import Envelope
from heyzack_shared.values import MAX_CENTS, MAX_EXACT, MAX_VERSION

Json = dict[str, Any]


def _order(**line: object) -> Envelope:
    return com.OrderPlaced.new(
        partner_id="partner-a",
        aggregate_id="SO-1",
        aggregate_version=1,
        data=com.OrderPlacedData(
            order_id="SO-1",
            customer_id=None,
            installation_id=None,
            lines=[
                com.OrderLine(
                    sku="CAM-1",
                    name="Camera",
                    category="cameras",
                    quantity=2,
                    unit_price_cents=10_000,
                    unit_cost_cents=6_000,
                    source=cre.SaleSource.PRODUCT_SALES,
                )
            ],
            total_cents=20_000,
            due_at="2026-12-25T00:00:00Z",  # type: ignore[arg-type]
        ),
    )


def _rating() -> Envelope:
    data = rat.RatingSubmittedData(
        rating_id="rat-1",
        installation_id="ins-1",
        customer_id="cus-1",
        handyman_id=None,
        device_type=DeviceType.CAMERA,
        stars=5,
        comment="great",
    )
    return rat.RatingSubmitted.new(
        partner_id="partner-a", aggregate_id="rat-1", aggregate_version=1, data=data
    )


def _edited(
    event: Envelope, envelope: Json | None = None, data: Json | None = None, line: Json | None = None
) -> bytes:
    message = json.loads(event.to_json())
    message.update(envelope or {})
    message["data"].update(data or {})
    if line:
        message["data"]["lines"][0].update(line)
    return json.dumps(message).encode()


def test_the_messages_the_hostile_ones_are_made_from_are_valid() -> None:
    for event in (_order(), _rating()):
        assert parse_event(_edited(event)) == event


HOSTILE: dict[str, tuple[bytes, str]] = {
    "version past integer columns": (
        _edited(_rating(), {"aggregate_version": MAX_VERSION + 1}),
        "aggregate_version",
    ),
    "version past 2^63": (_edited(_rating(), {"aggregate_version": 2**63}), "aggregate_version"),
    "version past 2^64": (_edited(_rating(), {"aggregate_version": 2**64 + 1}), "aggregate_version"),
    "schema version past 2^31": (_edited(_rating(), {"schema_version": 2**31}), "schema_version"),
    "moment in year 1": (_edited(_rating(), {"occurred_at": "0001-01-01T00:00:00Z"}), "occurred_at"),
    "moment in year 1 east of UTC": (
        _edited(_rating(), {"occurred_at": "0001-01-01T00:00:00+05:00"}),
        "occurred_at",
    ),
    "moment in year 9999": (_edited(_rating(), {"occurred_at": "9999-12-31T23:59:59-05:00"}), "occurred_at"),
    "due date in year 9999": (_edited(_order(), data={"due_at": "9999-01-01T00:00:00Z"}), "data.due_at"),
    "NUL in a partner id": (_edited(_rating(), {"partner_id": "partner\u0000a"}), "partner_id"),
    "braces in a partner id": (_edited(_rating(), {"partner_id": "victim}:agg:x"}), "partner_id"),
    "a 10 kB id": (_edited(_rating(), {"aggregate_id": "r" * 10_000}), "aggregate_id"),
    "NUL in a comment": (_edited(_rating(), data={"comment": "ok\u0000"}), "data.comment"),
    "a lone surrogate in a comment": (
        _edited(_rating()).replace(b'"great"', b'"gr\\ud800eat"'),
        "malformed JSON",
    ),
    "a huge comment": (_edited(_rating(), data={"comment": "x" * 100_000}), "data.comment"),
    "a space in a SKU": (_edited(_order(), line={"sku": "CAM 1"}), "data.lines.0.sku"),
    "an amount past the bound": (_edited(_order(), data={"total_cents": MAX_CENTS + 1}), "data.total_cents"),
    "a line total past the bound": (
        _edited(_order(), line={"quantity": 1_000_000, "unit_price_cents": 10**9}),
        "data.lines.0",
    ),
    "a line total past int64": (
        _edited(_order(), line={"quantity": 2**40, "unit_price_cents": 2**40}),
        "data.lines.0.quantity",
    ),
    "a quantity past 2^64": (_edited(_order(), line={"quantity": 2**64}), "data.lines.0.quantity"),
    "a stock level past the bound": (
        _edited(
            com.StockLevelChanged.new(
                partner_id="partner-a",
                aggregate_id="CAM-1",
                aggregate_version=1,
                data=com.StockLevelChangedData(sku="CAM-1", name="Camera", category="cameras", on_hand=3),
            ),
            data={"on_hand": 2**53},
        ),
        "data.on_hand",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_message_is_refused_naming_its_field(case: str) -> None:
    raw, field = HOSTILE[case]
    with pytest.raises(RejectedEvent) as rejected:
        parse_event(raw)
    assert field in rejected.value.reason


def test_a_month_total_past_2_53_cannot_be_written_as_an_event() -> None:
    """The credits service builds this event inside the transaction that records the sale: it fails there,
    so the sale is rolled back and the event that caused it is dead-lettered, never stored."""
    with pytest.raises(ValueError, match="month_total_cents"):
        cre.RevenueRecordedData(
            sale_id="SO-1:1",
            source=cre.SaleSource.PRODUCT_SALES,
            amount_cents=1,
            month="2026-11",
            month_total_cents=MAX_EXACT + 1,
            tier="Gold",
        )
