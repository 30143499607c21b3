import pytest

from chalicelib.iso_codes import minor_units


@pytest.mark.parametrize(("currency", "digits"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("KWD", 3), ("CLF", 4)])
def test_minor_units_follow_iso_4217(currency: str, digits: int) -> None:
    assert minor_units(currency) == digits


@pytest.mark.parametrize("code", ["XAU", "XXX", "XTS", "DEM", "EURO", ""])
def test_what_is_not_billable_money_has_no_minor_units(code: str) -> None:
    assert minor_units(code) is None
