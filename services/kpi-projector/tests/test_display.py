"""How figures read: whole euros (revenue half up, credit down), one-decimal averages half up."""

from __future__ import annotations

import pytest

from kpi_projector.display import (
    average_one_decimal,
    euros_floored,
    euros_rounded,
    one_decimal,
    tenths_half_up,
)


@pytest.mark.parametrize(
    ("cents", "shown"),
    [
        (0, "€0"),
        (49, "€0"),
        (50, "€1"),
        (420_000, "€4,200"),
        (420_049, "€4,200"),
        (420_050, "€4,201"),
        (123_456_789, "€1,234,568"),
        (-150, "-€2"),
    ],
)
def test_revenue_rounds_half_up(cents: int, shown: str) -> None:
    assert euros_rounded(cents) == shown


@pytest.mark.parametrize(
    ("cents", "shown"),
    [(0, "€0"), (99, "€0"), (12_000, "€120"), (12_099, "€120"), (100_000_000, "€1,000,000")],
)
def test_credit_rounds_down(cents: int, shown: str) -> None:
    assert euros_floored(cents) == shown


@pytest.mark.parametrize(
    ("total", "count", "tenths"),
    [(116, 27, 43), (9, 2, 45), (29, 7, 41), (1, 3, 3), (2, 3, 7), (5, 1, 50), (43, 10, 43), (85, 20, 43)],
)
def test_average_rounds_half_up_to_one_decimal(total: int, count: int, tenths: int) -> None:
    assert tenths_half_up(total, count) == tenths
    assert average_one_decimal(total, count) == tenths / 10


def test_no_data_has_no_average() -> None:
    assert average_one_decimal(0, 0) is None
    with pytest.raises(ValueError, match="positive"):
        tenths_half_up(1, 0)


def test_one_decimal_text() -> None:
    assert [one_decimal(t) for t in (43, 50, 5, 0, -12)] == ["4.3", "5.0", "0.5", "0.0", "-1.2"]
