"""Amounts of money in whole minor units of their currency (EUR cents, JPY yen), and rounding to them
so that parts add up to their total."""
from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from chalicelib.iso_codes import minor_units


def round_half_up(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def largest_remainder(exact: Sequence[Decimal], total: int) -> list[int]:
    """Whole numbers, one per exact share, that add up to `total`: each share is rounded down, and the
    units still missing go to the shares with the largest remainders; equal remainders go to the
    earlier share. With `total` the rounded sum of the shares, each result is within one unit of its
    exact share."""
    floors = [int(share.to_integral_value(rounding=ROUND_FLOOR)) for share in exact]
    missing = total - sum(floors)
    if not 0 <= missing <= len(exact):
        raise ValueError(f"total {total} is not the rounded sum of the shares {[str(s) for s in exact]}")
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in by_remainder[:missing]:
        floors[index] += 1
    return floors


def exponent(currency: str) -> int:
    """Digits after the decimal point of `currency` (EUR 2, JPY 0); ValueError for no billable currency."""
    digits = minor_units(currency)
    if digits is None:
        raise ValueError(f"{currency} is not a currency to bill in")
    return digits


def minor_amount(amount: Decimal, currency: str) -> Decimal:
    """`amount` in minor units, exactly (not rounded)."""
    return amount.scaleb(exponent(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """`amount` in whole minor units, rounded half up."""
    return round_half_up(minor_amount(amount, currency))


def from_minor(amount: int, currency: str) -> Decimal:
    """Whole minor units back to a decimal amount of the currency (1234 EUR cents: 12.34)."""
    return Decimal(amount).scaleb(-exponent(currency))
