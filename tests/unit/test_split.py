from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from chalicelib.billing.split import Part, RevenueSplit, Share, split_amount

shares_strategy = st.lists(
    st.builds(Share, party_id=st.text("ABCXYZ", min_size=3, max_size=3), role=st.sampled_from(["OWNER", "EMSP"]),
              share_bps=st.integers(0, 4000)),
    max_size=4,
)


def bounded(shares: list[Share], fee_bps: int) -> bool:
    return fee_bps + sum(s.share_bps for s in shares) <= 10_000


@given(amount=st.integers(0, 10**9), fee_bps=st.integers(0, 3000), shares=shares_strategy)
def test_the_fee_and_the_parts_always_add_up_to_the_amount(amount: int, fee_bps: int, shares: list[Share]) -> None:
    assume(bounded(shares, fee_bps))
    split = split_amount(amount, platform_fee_bps=fee_bps, shares=shares, cpo_party_id="CPO")
    assert split.platform_fee + sum(part.amount for part in split.parts) == amount


@given(amount=st.integers(0, 10**9), fee_bps=st.integers(0, 3000), shares=shares_strategy)
def test_every_party_gets_its_exact_share_within_one_minor_unit(
    amount: int, fee_bps: int, shares: list[Share],
) -> None:
    assume(bounded(shares, fee_bps))
    split = split_amount(amount, platform_fee_bps=fee_bps, shares=shares, cpo_party_id="CPO")
    cpo_bps = 10_000 - fee_bps - sum(s.share_bps for s in shares)
    expected = [fee_bps, *(s.share_bps for s in shares), cpo_bps]
    actual = [split.platform_fee, *(part.amount for part in split.parts)]
    for bps, got in zip(expected, actual, strict=True):
        assert abs(Decimal(got) - Decimal(amount) * bps / 10_000) < 1


@given(fee_bps=st.integers(0, 10_000), excess_bps=st.integers(1, 10_000))
def test_shares_over_the_whole_amount_are_refused(fee_bps: int, excess_bps: int) -> None:
    share_bps = 10_000 - fee_bps + excess_bps
    with pytest.raises(ValueError, match="more than the whole amount"):
        split_amount(100, platform_fee_bps=fee_bps, shares=[Share("OWN", "OWNER", share_bps)], cpo_party_id="CPO")


def test_the_cpo_gets_the_remainder_after_fee_and_shares() -> None:
    split = split_amount(10_000, platform_fee_bps=500, shares=[Share("OWN", "OWNER", 2000)], cpo_party_id="CPO")
    assert split == RevenueSplit(500, [Part("OWN", "OWNER", 2000), Part("CPO", "CPO", 7500)])


def test_a_cent_that_cannot_be_split_goes_to_the_platform_on_a_tie() -> None:
    split = split_amount(1, platform_fee_bps=5000, shares=[], cpo_party_id="CPO")
    assert (split.platform_fee, split.parts[0].amount) == (1, 0)


def test_the_same_input_always_gives_the_same_split() -> None:
    shares = [Share("AAA", "OWNER", 3333), Share("BBB", "EMSP", 3333)]
    first = split_amount(100, platform_fee_bps=3334, shares=shares, cpo_party_id="CPO")
    assert first == split_amount(100, platform_fee_bps=3334, shares=shares, cpo_party_id="CPO")
    assert [first.platform_fee, *(p.amount for p in first.parts)] == [34, 33, 33, 0]


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        split_amount(-1, platform_fee_bps=0, shares=[], cpo_party_id="CPO")
