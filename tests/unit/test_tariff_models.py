import json
from typing import Any

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.tariffs.models import Tariff, TariffIn
from chalicelib.validation import validated
from tests.unit.pricing_fixtures import component, element, tariff


def tariff_in(*elements: dict[str, Any], **fields: object) -> dict[str, Any]:
    return {"currency": "EUR", "elements": list(elements) or [element(component("ENERGY", 0.25, vat=21))], **fields}


def problem(body: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as error:
        validated(TariffIn, body)
    return error.value


def test_a_bad_end_time_is_named_with_the_format_it_needs():
    error = problem(tariff_in(element(component("ENERGY", 0.25), end_time="24:00")))
    assert error.field == "elements.0.restrictions.end_time"
    assert "HH:MM" in error.message


def test_max_below_min_is_refused():
    error = problem(tariff_in(element(component("ENERGY", 0.25), min_kwh=20, max_kwh=10)))
    assert "max_kwh must not be below min_kwh" in error.message


def test_vat_over_100_percent_is_refused():
    assert problem(tariff_in(element(component("ENERGY", 0.25, vat=121)))).field == "elements.0.price_components.0.vat"


def test_a_tariff_needs_at_least_one_element():
    assert problem({"currency": "EUR", "elements": []}).field == "elements"


def test_unknown_fields_are_refused():
    assert problem(tariff_in(colour="red")).code == "unknown_field"


def test_prices_are_json_numbers_in_json_output():
    dumped = json.dumps(tariff(element(component("ENERGY", 0.25, vat=21))).model_dump(mode="json"))
    assert '"price": 0.25' in dumped


def test_a_dumped_tariff_reads_back_as_the_same_tariff():
    original = tariff(element(component("PARKING_TIME", 2.4, vat=5.5, step_size=900), start_time="22:00",
                              end_time="06:00", day_of_week=["MONDAY"]), max_price={"excl_vat": 10, "incl_vat": 12.1})
    assert Tariff.model_validate(json.loads(json.dumps(original.model_dump(mode="json")))) == original
