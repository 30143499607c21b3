"""Splitting a session's revenue between the platform, the site owners / eMSPs and the CPO.

Shares are in basis points (1/100 of a percent). The platform's fee and each share are exact
fractions of the amount; they are rounded to whole minor units by largest remainder, so the fee and
the parts always add up to the amount exactly and each is within one minor unit of its exact share.
Ties between equal remainders go first to the platform fee, then to the shares in the order given,
and last to the CPO: the same input always gives the same split.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from chalicelib.money import largest_remainder

FULL_BPS = 10_000
Role = Literal["OWNER", "EMSP", "CPO"]


@dataclass(frozen=True)
class Share:
    party_id: str
    role: Literal["OWNER", "EMSP"]
    share_bps: int


@dataclass(frozen=True)
class Part:
    party_id: str
    role: Role
    amount: int  # minor units


@dataclass(frozen=True)
class RevenueSplit:
    platform_fee: int
    parts: list[Part]  # the shares in the order given, then the CPO's remainder


def split_amount(amount: int, *, platform_fee_bps: int, shares: Sequence[Share], cpo_party_id: str) -> RevenueSplit:
    """`amount` (minor units, >= 0) split into the platform's fee, each share, and the CPO's remainder."""
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")
    if platform_fee_bps < 0 or any(share.share_bps < 0 for share in shares):
        raise ValueError("the platform fee and every share must be 0 bps or more")
    taken = platform_fee_bps + sum(share.share_bps for share in shares)
    if taken > FULL_BPS:
        raise ValueError(
            f"the platform fee ({platform_fee_bps} bps) and the shares ({taken - platform_fee_bps} bps) "
            f"add up to {taken} bps, more than the whole amount ({FULL_BPS} bps)"
        )
    weights = [platform_fee_bps, *(share.share_bps for share in shares), FULL_BPS - taken]
    exact = [Decimal(amount) * weight / FULL_BPS for weight in weights]
    rounded = largest_remainder(exact, amount)
    parts = [Part(share.party_id, share.role, value) for share, value in zip(shares, rounded[1:-1], strict=True)]
    return RevenueSplit(platform_fee=rounded[0], parts=[*parts, Part(cpo_party_id, "CPO", rounded[-1])])
