"""How figures are shown to a partner (docs/figures.md): integer arithmetic, so no float rounds wrongly."""

from __future__ import annotations


def euros_rounded(cents: int) -> str:
    """Whole euros, half up (away from zero), e.g. 420050 → "€4,201". For revenue."""
    whole = (abs(cents) + 50) // 100
    return _euros(-whole if cents < 0 else whole)


def euros_floored(cents: int) -> str:
    """Whole euros, rounded down, e.g. 12099 → "€120": never more credit than can be applied."""
    return _euros(cents // 100)


def _euros(whole: int) -> str:
    sign = "-" if whole < 0 else ""
    return f"{sign}€{abs(whole):,}"


def tenths_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator in tenths, rounded half up (away from zero); e.g. (116, 27) → 43."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    tenths = (2 * 10 * abs(numerator) + denominator) // (2 * denominator)
    return -tenths if numerator < 0 else tenths


def average_one_decimal(total: int, count: int) -> float | None:
    """The average rounded half up to one decimal (116 over 27 → 4.3), or None without data."""
    return tenths_half_up(total, count) / 10 if count else None


def one_decimal(tenths: int) -> str:
    """Tenths as text with one decimal: 43 → "4.3", 50 → "5.0"."""
    sign = "-" if tenths < 0 else ""
    return f"{sign}{abs(tenths) // 10}.{abs(tenths) % 10}"
