"""OCPI 2.2.1 CDRs (mod_cdrs.adoc) from a completed session and its priced result, and a CSV export.

Amounts: the pricing engine works in whole minor units; a CDR's Price fields are decimals of the
currency again (1234 EUR cents: 12.34, 1234 JPY: 1234).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from chalicelib.charging.models import Connector, ConnectorFormat
from chalicelib.charging.sessions import Session
from chalicelib.clock import rfc3339
from chalicelib.money import from_minor
from chalicelib.sites.models import Site
from chalicelib.tariffs.models import Tariff, ocpi_tariff
from chalicelib.tariffs.pricing import Cost, PricedSession

AuthMethod = Literal["AUTH_REQUEST", "COMMAND", "WHITELIST"]


@dataclass(frozen=True)
class CdrTokenInfo:
    """The token that started the session. An eMSP's token names its owner; the CPO's own tokens
    (RFID cards it issued, ad-hoc payments) leave country_code/party_id None and get the CPO's."""

    uid: str
    type: str  # OCPI TokenType: AD_HOC_USER, APP_USER, OTHER, RFID
    contract_id: str
    country_code: str | None = None
    party_id: str | None = None


@dataclass(frozen=True)
class CdrPlace:
    """Where the session took place: the site, the charger and the EVSE/connector used."""

    site: Site
    charger_id: str
    evse_id: int
    connector: Connector


def _alpha3(alpha2: str) -> str:
    import iso3166  # imported when a CDR is built: other Lambdas never pay for the table

    return str(iso3166.countries_by_alpha2[alpha2].alpha3)


def _price(cost: Cost, currency: str) -> dict[str, float]:
    return {"excl_vat": float(from_minor(cost.excl_vat, currency)),
            "incl_vat": float(from_minor(cost.incl_vat, currency))}


def evse_uid(charger_id: str, evse_id: int) -> str:
    """`{charger}-{evse}`, within OCPI's CiString(36): a longer charger id is shortened with a digest of
    it, so two long ids never share a uid."""
    import hashlib

    uid = f"{charger_id}-{evse_id}"
    if len(uid) <= 36:
        return uid
    digest = hashlib.sha256(charger_id.encode()).hexdigest()[:8]
    tail = f"~{digest}-{evse_id}"
    return charger_id[: 36 - len(tail)] + tail


def emi3_evse_id(country_code: str, party_id: str, charger_id: str, evse_id: int) -> str:
    """The eMI3 EVSE ID (e.g. NL*ABC*ECP1*1): only letters, digits and '*' are allowed in its id part."""
    cleaned = "".join(ch for ch in charger_id.upper() if ch.isascii() and ch.isalnum())
    return f"{country_code}*{party_id}*E{cleaned}*{evse_id}"


def _cdr_location(place: CdrPlace, country_code: str, party_id: str) -> dict[str, Any]:
    site = place.site
    return {
        "id": site.id, "name": site.name, "address": site.address[:45], "city": site.city[:45],
        "postal_code": site.postal_code[:10], "country": _alpha3(site.country),
        "coordinates": {"latitude": f"{site.latitude:.7f}", "longitude": f"{site.longitude:.7f}"},
        "evse_uid": evse_uid(place.charger_id, place.evse_id),
        "evse_id": emi3_evse_id(country_code, party_id, place.charger_id, place.evse_id),
        "connector_id": str(place.connector.id),
        "connector_standard": place.connector.standard.value,
        # OCPI requires a format; a connector registered without one is taken as a socket.
        "connector_format": (place.connector.format or ConnectorFormat.SOCKET).value,
        "connector_power_type": place.connector.power_type.value,
    }


def _charging_periods(priced: PricedSession, started_at: str) -> list[dict[str, Any]]:
    periods = [
        {
            "start_date_time": rfc3339(period.start_date_time),
            "dimensions": [{"type": d.type, "volume": float(d.volume)} for d in period.dimensions],
            "tariff_id": period.tariff_id,
        }
        for period in priced.charging_periods
    ]
    # OCPI wants at least one period; a session of no time at all has one of no energy.
    return periods or [{"start_date_time": started_at, "dimensions": [{"type": "ENERGY", "volume": 0}],
                        "tariff_id": priced.tariff_id}]


def build_cdr(
    *, cdr_id: str, session: Session, priced: PricedSession, tariff: Tariff, place: CdrPlace,
    country_code: str, party_id: str, token: CdrTokenInfo, last_updated: datetime,
    auth_method: AuthMethod = "WHITELIST", authorization_reference: str | None = None,
) -> dict[str, Any]:
    """The OCPI 2.2.1 CDR object of a completed session, as the CPO `country_code`/`party_id` sends it."""
    if session.started_at is None or session.stopped_at is None:
        raise ValueError(f"session {session.id} has not both started and stopped: no CDR yet")
    currency = priced.currency
    cdr: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "id": cdr_id,
        "start_date_time": session.started_at,
        "end_date_time": session.stopped_at,
        "session_id": session.id,
        "cdr_token": {
            "country_code": token.country_code or country_code, "party_id": token.party_id or party_id,
            "uid": token.uid, "type": token.type, "contract_id": token.contract_id,
        },
        "auth_method": auth_method,
        "cdr_location": _cdr_location(place, country_code, party_id),
        "currency": currency,
        "tariffs": [ocpi_tariff(tariff, country_code=country_code, party_id=party_id)],
        "charging_periods": _charging_periods(priced, session.started_at),
        "total_cost": _price(priced.total_cost, currency),
        "total_energy": float(priced.total_energy_kwh),
        "total_time": float(priced.total_time_h),
        "total_parking_time": float(priced.total_parking_time_h),
        "last_updated": rfc3339(last_updated),
    }
    for field, dimension in (("total_fixed_cost", "FLAT"), ("total_energy_cost", "ENERGY"),
                             ("total_time_cost", "TIME"), ("total_parking_cost", "PARKING_TIME")):
        if dimension in priced.costs:
            cdr[field] = _price(priced.costs[dimension], currency)
    if authorization_reference is not None:
        cdr["authorization_reference"] = authorization_reference
    if session.stop_reason:
        cdr["remark"] = f"Stopped: {session.stop_reason}"[:255]
    return cdr


CSV_COLUMNS = ("id", "start_date_time", "end_date_time", "evse_uid", "evse_id", "energy_kwh", "time_h",
               "parking_h", "currency", "total_excl_vat", "total_incl_vat")


def cdr_csv(cdrs: Sequence[dict[str, Any]]) -> str:
    """CDRs as CSV, one row each, with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for cdr in cdrs:
        location = cdr["cdr_location"]
        writer.writerow([
            cdr["id"], cdr["start_date_time"], cdr["end_date_time"], location["evse_uid"], location["evse_id"],
            cdr["total_energy"], cdr["total_time"], cdr.get("total_parking_time", 0), cdr["currency"],
            cdr["total_cost"]["excl_vat"], cdr["total_cost"]["incl_vat"],
        ])
    return out.getvalue()
