from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.charging.models import ChargerIn, EvseIn, TokenIn, number_evses
from chalicelib.errors import InvalidInput
from chalicelib.sites.models import SiteIn
from chalicelib.tenancy.models import SignupIn
from chalicelib.validation import validated

CONNECTOR = {"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}


def charger(charger_id: str) -> dict[str, Any]:
    return {"id": charger_id, "site_id": "site_1", "evses": [{"connectors": [dict(CONNECTOR)]}]}


@pytest.mark.parametrize("charger_id", ["CP-1", "a" * 48, "EVB*P1234", "x_y=z+w|v@u.t"])
def test_valid_charge_point_ids(charger_id: str) -> None:
    assert ChargerIn.model_validate(charger(charger_id)).id == charger_id


@pytest.mark.parametrize("charger_id", ["", "a" * 49, "CP 1", "CP:1", "CP/1", "CP#1", "ünï"])
def test_invalid_charge_point_ids_name_the_field(charger_id: str) -> None:
    with pytest.raises(InvalidInput) as error:
        validated(ChargerIn, charger(charger_id))
    assert error.value.field == "id"


def test_the_first_error_is_named_by_its_full_path() -> None:
    body = charger("CP-1")
    body["evses"][0]["connectors"][0]["max_power_kw"] = -1
    with pytest.raises(InvalidInput) as error:
        validated(ChargerIn, body)
    assert error.value.field == "evses.0.connectors.0.max_power_kw"
    assert error.value.message.startswith("evses.0.connectors.0.max_power_kw:")


def test_unknown_and_missing_fields_get_their_own_codes() -> None:
    with pytest.raises(InvalidInput) as unknown:
        validated(ChargerIn, {**charger("CP-1"), "colour": "red"})
    assert (unknown.value.code, unknown.value.field) == ("unknown_field", "colour")
    with pytest.raises(InvalidInput) as missing:
        validated(ChargerIn, {"id": "CP-1", "evses": [{"connectors": [CONNECTOR]}]})
    assert (missing.value.code, missing.value.field) == ("missing_field", "site_id")


def test_evses_and_connectors_are_numbered_from_one() -> None:
    evses = [EvseIn.model_validate({"connectors": [CONNECTOR, CONNECTOR]}),
             EvseIn.model_validate({"connectors": [CONNECTOR]})]
    numbered = number_evses(evses)
    assert [(e.id, [c.id for c in e.connectors]) for e in numbered] == [(1, [1, 2]), (2, [1])]


@pytest.mark.parametrize(("field", "value"), [
    ("country", "XX"), ("country", "NLD"), ("currency", "EURO"), ("currency", "ABC"), ("currency", "XAU"),
    ("currency", "XXX"), ("email", "not-an-email"),
    ("party_id", "ABCD"), ("party_id", "A-C"),
])
def test_signup_rejects_invalid_codes(field: str, value: str) -> None:
    body = {"name": "X", "email": "a@b.example", "country": "NL", "currency": "EUR", field: value}
    with pytest.raises(ValidationError):
        SignupIn.model_validate(body)


def test_signup_normalises_codes_to_upper_case() -> None:
    signup = SignupIn.model_validate(
        {"name": " X ", "email": "a@b.example", "country": "nl", "currency": "eur", "party_id": "vlt"})
    assert (signup.name, signup.country, signup.currency, signup.party_id) == ("X", "NL", "EUR", "VLT")


SITE = {"name": "S", "address": "A 1", "city": "C", "postal_code": "1", "country": "NL",
        "latitude": 52.0, "longitude": 4.0, "time_zone": "Europe/Amsterdam"}


@pytest.mark.parametrize(("field", "value"), [
    ("time_zone", "Europe/Atlantis"), ("time_zone", "+02:00"), ("latitude", 91), ("longitude", -181),
    ("max_power_kw", 0),
])
def test_site_rejects_impossible_places(field: str, value: Any) -> None:
    with pytest.raises(InvalidInput) as error:
        validated(SiteIn, {**SITE, field: value})
    assert error.value.field == field


@pytest.mark.parametrize("uid", ["", "a" * 37, "with space", "a/b", "50%", "ümlaut"])
def test_token_uids_must_be_safe_printable_ascii(uid: str) -> None:
    with pytest.raises(ValidationError):
        TokenIn.model_validate({"uid": uid})


def test_token_expiry_must_carry_a_time_zone() -> None:
    with pytest.raises(ValidationError):
        TokenIn.model_validate({"uid": "04AB", "expires_at": "2030-01-01T00:00:00"})
