"""SEED_DEMO=1: a demo tenant with a site, a charger and a token, made through the REST API itself."""
from __future__ import annotations

import json
import urllib.request
from typing import Any

DEMO_CHARGER_ID = "DEMO-CP-1"
DEMO_TOKEN_UID = "DEMO-TAG-1"


def _call(base_url: str, method: str, path: str, body: Any, api_key: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(
        base_url + path, method=method, data=json.dumps(body).encode(), headers=headers
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def seed_demo(base_url: str) -> str:
    signup = _call(base_url, "POST", "/v1/signup", {
        "name": "Demo CPO", "email": "demo@example.com", "country": "NL", "currency": "EUR",
    })
    key = signup["api_key"]
    site = _call(base_url, "POST", "/v1/sites", {
        "name": "Demo Depot", "address": "Stationsplein 1", "city": "Amsterdam", "postal_code": "1012 AB",
        "country": "NL", "latitude": 52.3791, "longitude": 4.9003, "time_zone": "Europe/Amsterdam",
        "max_power_kw": 100, "owner": {"name": "Depot Owner BV", "email": "owner@example.com"},
    }, key)
    charger = _call(base_url, "POST", "/v1/chargers", {
        "id": DEMO_CHARGER_ID, "site_id": site["id"], "name": "Demo AC twin",
        "evses": [
            {"connectors": [{"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}]},
            {"connectors": [{"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}]},
        ],
    }, key)
    _call(base_url, "POST", "/v1/tokens", {"uid": DEMO_TOKEN_UID, "type": "RFID"}, key)
    return f"""Demo data (SEED_DEMO=1):
  tenant          {signup["tenant"]["name"]} (slug {signup["tenant"]["slug"]})
  API key         {key}
  site            {site["id"]}
  charger         {DEMO_CHARGER_ID}
    OCPP URL      {charger["ocpp_url"]}
    password      {charger["password"]}   (HTTP Basic, username {DEMO_CHARGER_ID})
  RFID token      {DEMO_TOKEN_UID}

  curl -s {base_url}/v1/chargers/{DEMO_CHARGER_ID} -H 'Authorization: Bearer {key}'
"""
