import csv
import io
from datetime import UTC, datetime
from typing import Any

from chalicelib.billing.cdrs import CdrPlace, CdrTokenInfo, build_cdr, cdr_csv
from chalicelib.charging.models import Connector
from chalicelib.charging.sessions import Session
from chalicelib.sites.models import Site
from chalicelib.tariffs.pricing import PricedSession, price_session
from tests.unit.pricing_fixtures import AMSTERDAM, charging, component, element, local, parked, tariff

REQUIRED = {"country_code", "party_id", "id", "start_date_time", "end_date_time", "cdr_token", "auth_method",
            "cdr_location", "currency", "charging_periods", "total_cost", "total_energy", "total_time",
            "last_updated"}
SITE = Site.model_validate({
    "id": "site_1", "name": "Harbour", "address": "Kade 1", "city": "Amsterdam", "postal_code": "1011AA",
    "country": "NL", "latitude": 52.37, "longitude": 4.9, "time_zone": "Europe/Amsterdam",
    "created_at": "x", "updated_at": "x",
})
PLACE = CdrPlace(SITE, "CP-1", 1, Connector(id=2, standard="IEC_62196_T2", power_type="AC_3_PHASE", max_power_kw=22))
TOKEN = CdrTokenInfo(uid="04A1B2", type="RFID", contract_id="NL-ABC-C12345678-X")


def completed_cdr(currency: str = "EUR") -> tuple[dict[str, Any], PricedSession]:
    start = local(2026, 3, 2, 9, 30)
    charge = charging(start, 120, 20)
    stop = parked(charge.end, 40)
    used = tariff(element(component("FLAT", 50 if currency == "JPY" else 0.5, vat=20)),
                  element(component("ENERGY", 25 if currency == "JPY" else 0.25, vat=10)),
                  element(component("PARKING_TIME", 2.00, vat=20, step_size=900)), currency=currency)
    priced = price_session([charge, stop], used, AMSTERDAM)
    session = Session(
        id="S1", charger_id="CP-1", evse_id=1, connector_id=2, ocpp_version="2.0.1", transaction_id="tx1",
        status="COMPLETED", started_at="2026-03-02T08:30:00.000Z", stopped_at="2026-03-02T11:10:00.000Z",
        created_at="x", updated_at="x",
    )
    cdr = build_cdr(cdr_id="CDR1", session=session, priced=priced, tariff=used, place=PLACE, country_code="NL",
                    party_id="ABC", token=TOKEN, last_updated=datetime(2026, 3, 2, 11, 11, tzinfo=UTC))
    return cdr, priced


def test_a_cdr_has_every_field_ocpi_requires():
    cdr, _ = completed_cdr()
    assert cdr.keys() >= REQUIRED
    assert {"country_code", "party_id", "uid", "type", "contract_id"} == cdr["cdr_token"].keys()


def test_cdr_totals_are_the_priced_sessions_totals_in_euros():
    cdr, _ = completed_cdr()
    assert cdr["total_cost"] == {"excl_vat": 7.0, "incl_vat": 7.9}
    assert cdr["total_fixed_cost"] == {"excl_vat": 0.5, "incl_vat": 0.6}
    assert cdr["total_energy_cost"] == {"excl_vat": 5.0, "incl_vat": 5.5}
    assert cdr["total_parking_cost"] == {"excl_vat": 1.5, "incl_vat": 1.8}
    assert (cdr["total_energy"], cdr["total_time"], cdr["total_parking_time"]) == (20.0, 2.6667, 0.6667)


def test_cdr_amounts_in_yen_have_no_decimals():
    cdr, _ = completed_cdr("JPY")
    assert cdr["total_cost"]["excl_vat"] == 50 + 500 + 2  # 2 JPY/h parking for 45 minutes is 1.5 -> 2


def test_cdr_location_names_the_country_in_alpha_3_and_the_evse():
    cdr, _ = completed_cdr()
    location = cdr["cdr_location"]
    assert (location["country"], location["evse_id"], location["connector_id"]) == ("NLD", "NL*ABC*ECP1*1", "2")
    assert location["connector_format"] == "SOCKET"


def test_cdr_carries_the_tariff_with_its_owner():
    cdr, _ = completed_cdr()
    assert (cdr["tariffs"][0]["country_code"], cdr["tariffs"][0]["party_id"], cdr["tariffs"][0]["id"]) == (
        "NL", "ABC", "T1")


def test_cdr_charging_periods_split_charging_from_parking():
    cdr, _ = completed_cdr()
    assert [[d["type"] for d in p["dimensions"]] for p in cdr["charging_periods"]] == [
        ["ENERGY", "TIME"], ["PARKING_TIME"]]


def test_csv_has_one_row_per_cdr_with_its_totals():
    cdr, _ = completed_cdr()
    rows = list(csv.DictReader(io.StringIO(cdr_csv([cdr, {**cdr, "id": "CDR2"}]))))
    assert [row["id"] for row in rows] == ["CDR1", "CDR2"]
    assert (rows[0]["energy_kwh"], rows[0]["total_excl_vat"], rows[0]["total_incl_vat"]) == ("20.0", "7.0", "7.9")


def test_an_evse_uid_stays_within_ocpis_36_characters_and_unique() -> None:
    from chalicelib.billing.cdrs import evse_uid

    long_a, long_b = "A" * 47 + "1", "A" * 47 + "2"
    assert evse_uid("CP-1", 2) == "CP-1-2"
    assert len(evse_uid(long_a, 12)) <= 36 and evse_uid(long_a, 12).endswith("-12")
    assert evse_uid(long_a, 1) != evse_uid(long_b, 1)
