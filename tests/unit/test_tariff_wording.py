from chalicelib.tariffs.wording import describe_tariff
from tests.unit.pricing_fixtures import component, element, tariff


def test_energy_price_is_shown_per_kwh_including_vat() -> None:
    words = describe_tariff(tariff(element(component("ENERGY", 0.2479, vat=21))))
    assert words == ["0.30 EUR per kWh (incl. 21% VAT)"]


def test_parking_after_a_grace_period_says_when_it_starts() -> None:
    parking = element(component("PARKING_TIME", 1.9835, vat=21, step_size=900), min_duration=3600)
    assert describe_tariff(tariff(parking)) == [
        "2.40 EUR per hour while parked, after 60 minutes, billed per 15 minutes (incl. 21% VAT)"]


def test_a_flat_fee_is_a_start_fee() -> None:
    assert describe_tariff(tariff(element(component("FLAT", 1)))) == ["1.00 EUR start fee"]


def test_price_limits_are_stated_per_session() -> None:
    words = describe_tariff(tariff(element(component("ENERGY", 0.25)), min_price={"excl_vat": 0.5, "incl_vat": 0.55}))
    assert words[-1] == "At least 0.55 EUR per session incl. VAT"


def test_a_night_window_is_shown_as_a_time_range() -> None:
    night = element(component("ENERGY", 0.10), start_time="22:00", end_time="06:00")
    assert describe_tariff(tariff(night)) == ["0.10 EUR per kWh, 22:00–06:00"]
