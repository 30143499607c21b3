"""A driver pays at a connector and charges, end to end against the running platform (`make dev`): a tenant
onboards its payout parties on the offline Stripe sandbox's pages, a real OCPP charger (the `ocpp` package's
ChargePoint over a real WebSocket) takes the platform's remote start, the driver pays on the sandbox's hosted
checkout with plain HTTP, and at the stop the billing workflow captures, splits and ledgers the session to the
cent. Everything is read back over HTTP only: the REST API, the driver's pages, and the sandbox's Stripe API.

The tariff: 0.30 EUR/kWh plus 1.20 EUR per hour of charging (billed per minute), both excl. 21% VAT. Every
session here charges 12.333 kWh in 36 minutes, so by hand:

    energy  12.333 kWh x 0.30 = 3.6999      time  0.6 h x 1.20 = 0.72
    total excl. VAT  4.4199 -> 4.42         VAT   4.4199 x 0.21 = 0.928179 -> 0.93
    total incl. VAT  4.42 + 0.93 = 5.35     (each total rounded half up from the exact sum)

and the 535 cents captured split (largest remainder; ties to the platform, then the shares in order):
platform 5% = 26.75 -> 27, owner 30% = 160.5 -> 160, eMSP 5% = 26.75 -> 27, CPO the rest = 321.
"""
from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from tests.e2e.conftest import RunningRuntime
from tests.e2e.test_ocpp16_charging import Operator, RegisteredCharger
from tests.e2e.test_ocpp16_charging import with_charger as charge_with

pytestmark = pytest.mark.e2e

STRIPE_KEY = "sk_test_e2e_driver_pays"  # the sandbox takes any test key
TARIFF: dict[str, Any] = {"currency": "EUR", "elements": [{"price_components": [
    {"type": "ENERGY", "price": 0.30, "vat": 21.0, "step_size": 1},
    {"type": "TIME", "price": 1.20, "vat": 21.0, "step_size": 60},
]}]}
METER_START_WH, METER_STOP_WH = 120_000, 132_333  # 12.333 kWh
DURATION = timedelta(minutes=36)  # 0.6 h
# The amounts worked out by hand in the module's docstring, in cents.
EXCL_VAT, VAT, INCL_VAT = 442, 93, 535
SPLIT = {"platform": 27, "OWNER": 160, "EMSP": 27, "CPO": 321}
WAIT_S = 30.0
_names = itertools.count(1)


# ------------------------------------------------------------------------------------------- HTTP helpers

def poll(what: str, probe: Callable[[], Any], timeout: float = WAIT_S) -> Any:
    """probe() until it answers something truthy, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Tenant(Operator):
    slug: str


@dataclass
class Sandbox:
    url: str

    def get(self, path: str, **params: str) -> Any:
        reply = requests.get(f"{self.url}{path}", params=params, timeout=10,
                             headers={"Authorization": f"Bearer {STRIPE_KEY}"})
        assert reply.status_code == 200, reply.text
        return reply.json()

    def checkout_completed_event(self, payment_id: str) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            events = self.get("/v1/events", type="checkout.session.completed", limit="100")["data"]
            return next((e for e in events if e["data"]["object"]["metadata"].get("payment_id") == payment_id), None)

        found: dict[str, Any] = poll("the checkout.session.completed event", find)
        return found


@dataclass
class PayingSite:
    """A tenant whose CPO, site owner and eMSP have finished onboarding, a site with the tariff and the split,
    and one registered charger."""

    tenant: Tenant
    sandbox: Sandbox
    accounts: dict[str, str]  # role -> Stripe account
    party_ids: dict[str, str]  # role -> party id
    charger_id: str
    ocpp_url: str
    password: str

    @property
    def pay_url(self) -> str:
        return f"{self.tenant.base_url}/pay/{self.tenant.slug}/{self.charger_id}/1"


def onboard(tenant: Tenant, link_path: str, party_path: str) -> dict[str, Any]:
    """Follow the onboarding link through the sandbox's page as the party would; wait for Stripe's
    account.updated to make the party active."""
    url = tenant.request("POST", link_path)["url"]
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "Complete onboarding" in page.text
    done = requests.post(url, data={}, timeout=10, allow_redirects=False)
    assert done.status_code in (200, 303), done.text

    def active() -> dict[str, Any] | None:
        party: dict[str, Any] = tenant.request("GET", party_path)
        return party if party["payout_status"] == "active" else None

    found: dict[str, Any] = poll(f"{party_path} to become active", active)
    return found


def set_up_paying_site(runtime: RunningRuntime, ocpp_version: str = "1.6",
                       tariff_body: dict[str, Any] | None = None) -> PayingSite:
    n = next(_names)
    signup = requests.post(f"{runtime.base_url}/v1/signup", timeout=10, json={
        "name": f"Pay Charge {n}", "email": f"ops{n}@pay.example", "country": "NL", "currency": "EUR"})
    assert signup.status_code == 201, signup.text
    tenant = Tenant(runtime.base_url, signup.json()["api_key"], signup.json()["tenant"]["slug"])
    owner = tenant.request("POST", "/v1/parties", {"role": "OWNER", "name": "Garage Owner BV",
                                                   "email": "owner@garage.example"})
    emsp = tenant.request("POST", "/v1/parties", {"role": "EMSP", "name": "Roam eMSP", "email": "pay@roam.example"})
    cpo = onboard(tenant, "/v1/tenant/onboarding-link", "/v1/parties/cpo")
    owner = onboard(tenant, f"/v1/parties/{owner['id']}/onboarding-link", f"/v1/parties/{owner['id']}")
    emsp = onboard(tenant, f"/v1/parties/{emsp['id']}/onboarding-link", f"/v1/parties/{emsp['id']}")
    tariff = tenant.request("POST", "/v1/tariffs", tariff_body or TARIFF)
    site = tenant.request("POST", "/v1/sites", {
        "name": "Garage", "address": "Kade 1", "city": "Amsterdam", "postal_code": "1011 AA", "country": "NL",
        "latitude": 52.38, "longitude": 4.9, "time_zone": "Europe/Amsterdam", "tariff_id": tariff["id"],
        "revenue_split": [{"party_id": owner["id"], "share_bps": 3000}, {"party_id": emsp["id"], "share_bps": 500}]})
    charger_id = f"PAY-CP-{n}"
    created = tenant.request("POST", "/v1/chargers", {
        "id": charger_id, "site_id": site["id"], "ocpp_version": ocpp_version, "evses": [
            {"connectors": [{"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}]}]})
    return PayingSite(
        tenant, Sandbox(runtime.stripe_url),
        accounts={p["role"]: p["account_id"] for p in (cpo, owner, emsp)},
        party_ids={p["role"]: p["id"] for p in (cpo, owner, emsp)},
        charger_id=charger_id, ocpp_url=created["ocpp_url"], password=created["password"])


@dataclass
class Checkout:
    payment_id: str
    checkout_id: str


def driver_pays(site: PayingSite, *, per_kwh_only: bool = False) -> Checkout:
    """The driver opens the connector's page, sees it available and priced, pays on the hosted checkout."""
    page = requests.get(site.pay_url, timeout=10)
    assert page.status_code == 200
    assert "Available" in page.text
    if per_kwh_only:
        assert "0.36 EUR per kWh, billed per 1000 Wh (incl. 21% VAT)" in page.text
    else:
        assert "0.36 EUR per kWh (incl. 21% VAT)" in page.text
        assert "1.45 EUR per hour while charging, billed per 1 minute (incl. 21% VAT)" in page.text
    begun = requests.post(site.pay_url, timeout=10, allow_redirects=False)
    assert begun.status_code == 303, begun.text
    checkout_url = begun.headers["Location"]
    assert checkout_url.startswith(f"{site.sandbox.url}/c/pay/")
    hosted = requests.get(checkout_url, timeout=10)
    assert hosted.status_code == 200 and "€50.00" in hosted.text  # the hold
    paid = requests.post(checkout_url, data={"cardnumber": "4242424242424242", "email": "driver@example.com"},
                         timeout=10, allow_redirects=False)
    assert paid.status_code == 303, paid.text
    back = paid.headers["Location"]
    assert back.startswith(f"{site.tenant.base_url}/pay/sessions/")
    return Checkout(payment_id=back.rsplit("/", 1)[-1], checkout_id=checkout_url.rsplit("/", 1)[-1])


# ------------------------------------------------------------------------------------------- chargers

class Charger16(ChargePoint16):  # type: ignore[misc]
    """A 1.6 charger that accepts every remote start and remembers its idTags."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.remote_starts: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @on("RemoteStartTransaction")  # type: ignore[untyped-decorator]
    def on_remote_start(self, id_tag: str, **rest: Any) -> Any:
        self.remote_starts.put_nowait({"id_tag": id_tag, **rest})
        return result16.RemoteStartTransaction(status="Accepted")

    @on("TriggerMessage")  # type: ignore[untyped-decorator]
    def on_trigger(self, requested_message: str, **_: Any) -> Any:
        return result16.TriggerMessage(status="Accepted")


class Charger201(ChargePoint201):  # type: ignore[misc]
    """A 2.0.1 charger that accepts every RequestStartTransaction and remembers it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.remote_starts: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @on("RequestStartTransaction")  # type: ignore[untyped-decorator]
    def on_request_start(self, id_token: dict[str, Any], remote_start_id: int, **rest: Any) -> Any:
        self.remote_starts.put_nowait({"id_token": id_token, "remote_start_id": remote_start_id, **rest})
        return result201.RequestStartTransaction(status="Accepted")

    @on("TriggerMessage")  # type: ignore[untyped-decorator]
    def on_trigger(self, requested_message: str, **_: Any) -> Any:
        return result201.TriggerMessage(status="Accepted")


async def with_charger(site: PayingSite, point_class: type[Any], protocol: str,
                       body: Callable[[Any], Awaitable[Any]]) -> Any:
    return await charge_with(RegisteredCharger(site.charger_id, site.ocpp_url, site.password), body,
                             point_class, protocol)


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(asyncio.wait_for(scenario(), timeout=60))


def at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def session_times() -> list[datetime]:
    """Boot, start, two meter readings and the stop, as the charger's clock gives them: booted now, starting
    a minute later. Every message carries its time, so the pricing never depends on when the test runs."""
    boot = datetime.now(UTC).replace(microsecond=0)
    start = boot + timedelta(minutes=1)
    return [boot, start, start + timedelta(minutes=15), start + timedelta(minutes=30), start + DURATION]


async def charge_16(site: PayingSite, point: Charger16, checkout: Callable[[], Checkout], *,
                    meter_stop_wh: int = METER_STOP_WH,
                    status_after_start: tuple[str, timedelta] = ("Charging", timedelta(0))) -> tuple[Checkout, str]:
    """Boot, Available, the driver pays, the remote start, and a 36 min transaction (12.333 kWh by default)
    whose connector reports `status_after_start` that long after the start."""
    booted, t0, t1, t2, t3 = session_times()
    boot = await point.call(call16.BootNotification(charge_point_model="Eve", charge_point_vendor="Alfen"))
    assert boot.status == "Accepted"
    await point.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                               timestamp=at(booted)))
    paid = await asyncio.to_thread(checkout)
    start = await asyncio.wait_for(point.remote_starts.get(), timeout=WAIT_S)
    id_tag = start["id_tag"]
    assert id_tag.startswith("PAY") and start.get("connector_id") == 1, start
    await point.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                               timestamp=at(t0)))
    started = await point.call(call16.StartTransaction(connector_id=1, id_tag=id_tag, meter_start=METER_START_WH,
                                                       timestamp=at(t0)))
    assert started.id_tag_info["status"] == "Accepted"
    tx = started.transaction_id
    status, after = status_after_start
    await point.call(call16.StatusNotification(connector_id=1, error_code="NoError", status=status,
                                               timestamp=at(t0 + after)))
    for moment, wh in [(t1, 125_500), (t2, 131_000)]:
        await point.call(call16.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
            "timestamp": at(moment), "sampledValue": [
                {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]))
    stopped = await point.call(call16.StopTransaction(meter_stop=meter_stop_wh, timestamp=at(t3), transaction_id=tx,
                                                      reason="EVDisconnected", id_tag=id_tag))
    assert stopped.id_tag_info["status"] == "Accepted"
    await point.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="Available",
                                               timestamp=at(t3)))
    return paid, id_tag


async def charge_201(site: PayingSite, point: Charger201,
                     checkout: Callable[[], Checkout]) -> tuple[Checkout, dict[str, Any]]:
    """Boot, Available, the driver pays, the RequestStartTransaction, and a 12.333 kWh / 36 min transaction
    whose events carry the idToken as the platform sent it and its remoteStartId. (checkout, the request)"""
    boot = await point.call(call201.BootNotification(charging_station={"model": "Pulsar", "vendor_name": "Wallbox"},
                                                     reason="PowerUp"))
    assert boot.status == "Accepted"
    booted, t0, t1, t2, t3 = session_times()
    await point.call(call201.StatusNotification(timestamp=at(booted), connector_status="Available", evse_id=1,
                                                connector_id=1))
    paid = await asyncio.to_thread(checkout)
    start = await asyncio.wait_for(point.remote_starts.get(), timeout=WAIT_S)
    token = start["id_token"]  # as the platform sent it; the ocpp package gives its keys in snake case
    assert token["id_token"].startswith("PAY") and start.get("evse_id") == 1, start
    remote_start_id = start["remote_start_id"]

    def event(seq: int, kind: str, moment: datetime, wh: int, trigger: str, context: str,
              **extra: Any) -> Any:
        return call201.TransactionEvent(
            event_type=kind, timestamp=at(moment), trigger_reason=trigger, seq_no=seq,
            transaction_info={"transactionId": f"TX-{site.charger_id}", **extra.pop("info", {})},
            meter_value=[{"timestamp": at(moment), "sampledValue": [
                {"value": wh, "context": context, "measurand": "Energy.Active.Import.Register"}]}],
            **extra)

    first = await point.call(event(0, "Started", t0, METER_START_WH, "RemoteStart", "Transaction.Begin",
                                   id_token=token, evse={"id": 1, "connector_id": 1},
                                   info={"remoteStartId": remote_start_id, "chargingState": "Charging"}))
    assert first.id_token_info["status"] == "Accepted"
    await point.call(call201.StatusNotification(timestamp=at(t0), connector_status="Occupied", evse_id=1,
                                                connector_id=1))
    for seq, (moment, wh) in enumerate([(t1, 125_500), (t2, 131_000)], start=1):
        await point.call(event(seq, "Updated", moment, wh, "MeterValuePeriodic", "Sample.Periodic"))
    await point.call(event(3, "Ended", t3, METER_STOP_WH, "EVDeparted", "Transaction.End",
                           info={"stoppedReason": "EVDisconnected", "chargingState": "Idle"}))
    return paid, start


# ------------------------------------------------------------------------------------------- the checks

def billed_entry(site: PayingSite) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the charger's session, its ledger entry once billed), polled."""
    tenant = site.tenant
    session: dict[str, Any] = poll("the session", lambda: next(iter(
        tenant.request("GET", f"/v1/sessions?charger_id={site.charger_id}")["items"]), None))

    def billed() -> dict[str, Any] | None:
        entries = tenant.request("GET", "/v1/ledger")["items"]
        entry = next((e for e in entries if e["session_id"] == session["id"]), None)
        assert entry is None or entry["status"] != "failed", entry
        return entry if entry is not None and entry["status"] == "billed" else None

    entry: dict[str, Any] = poll("the ledger entry to be billed", billed)
    return session, entry


def assert_paid_to_the_cent(site: PayingSite, paid: Checkout) -> None:
    session, entry = billed_entry(site)
    tenant, sandbox = site.tenant, site.sandbox
    assert session["status"] == "COMPLETED" and session["energy_wh"] == 12_333
    assert session["cost"] == {"excl_vat": EXCL_VAT, "incl_vat": INCL_VAT}

    # The CDR, as OCPI has it: decimals, two dimensions.
    cdr = tenant.request("GET", f"/v1/cdrs/{entry['cdr_id']}")
    assert cdr["total_cost"] == {"excl_vat": 4.42, "incl_vat": 5.35}
    assert cdr["total_energy"] == 12.333 and cdr["total_time"] == 0.6
    assert cdr["cdr_token"]["type"] == "AD_HOC_USER" and cdr["session_id"] == session["id"]
    dimensions = {d["type"] for period in cdr["charging_periods"] for d in period["dimensions"]}
    assert {"ENERGY", "TIME"} <= dimensions

    # The capture on Stripe is the CDR's total incl. VAT; the rest of the 50 EUR hold is released.
    checkout = sandbox.get(f"/v1/checkout/sessions/{paid.checkout_id}")
    intent = sandbox.get(f"/v1/payment_intents/{checkout['payment_intent']}")
    assert (intent["status"], intent["amount"], intent["amount_received"]) == ("succeeded", 5000, INCL_VAT)
    assert intent["amount_received"] == round(cdr["total_cost"]["incl_vat"] * 100)

    # The ledger: gross, VAT and the split, each party's share moved to its account.
    assert (entry["gross"], entry["vat"], entry["cost"]) == (
        INCL_VAT, VAT, {"excl_vat": EXCL_VAT, "incl_vat": INCL_VAT})
    assert entry["payment_id"] == paid.payment_id
    ledger = {t["role"]: t["amount"] for t in entry["transfers"]}
    assert {"platform": entry["platform_fee"], **ledger} == SPLIT
    assert {t["role"]: t["party_id"] for t in entry["transfers"]} == site.party_ids
    transfers = sandbox.get("/v1/transfers", transfer_group=session["id"], limit="100")["data"]
    moved = {t["destination"]: t["amount"] for t in transfers}
    assert moved == {site.accounts[role]: amount for role, amount in ledger.items()}
    assert len(transfers) == 3 and all(t["source_transaction"] == intent["latest_charge"] for t in transfers)
    assert all(t["currency"] == "eur" for t in transfers)
    assert entry["platform_fee"] + sum(moved.values()) == intent["amount_received"]

    # The driver's receipt, JSON and HTML.
    view = requests.get(f"{tenant.base_url}/pay/sessions/{paid.payment_id}", timeout=10,
                        headers={"Accept": "application/json"}).json()
    assert (view["status"], view["captured_amount"]) == ("captured", INCL_VAT)
    receipt = view["receipt"]
    assert (receipt["total_excl_vat"], receipt["vat"], receipt["total_incl_vat"], receipt["paid"],
            receipt["energy_wh"]) == (EXCL_VAT, VAT, INCL_VAT, INCL_VAT, 12_333)
    lines = {line["label"]: line for line in receipt["lines"]}
    assert set(lines) == {"Energy", "Charging time"}
    assert (lines["Energy"]["volume"], lines["Energy"]["unit"], lines["Energy"]["unit_price"]) == (12.333, "kWh", 0.3)
    assert (lines["Charging time"]["volume"], lines["Charging time"]["unit"]) == (0.6, "h")
    # Lines by largest remainder: 3.6999 -> 3.70 and 0.72 excl.; 4.476879 -> 4.48 and 0.8712 -> 0.87 incl.
    assert [(lines[k]["amount_excl_vat"], lines[k]["amount_incl_vat"]) for k in ("Energy", "Charging time")] == [
        (370, 448), (72, 87)]
    assert all(line["vat_percent"] == 21.0 for line in receipt["lines"])
    html = requests.get(f"{tenant.base_url}/pay/sessions/{paid.payment_id}", timeout=10)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    for words in ("Done. Thank you!", "12.333 kWh", "Energy", "Charging time", "4.48 EUR", "0.87 EUR",
                  "Total excl. VAT", "4.42 EUR", "VAT", "0.93 EUR", "5.35 EUR", "Charged to your card"):
        assert words in html.text, words


# ------------------------------------------------------------------------------------------- the tests

def test_a_driver_pays_on_a_16_charger_and_is_charged_split_and_receipted_to_the_cent(
        runtime: RunningRuntime) -> None:
    site = set_up_paying_site(runtime)

    async def scenario() -> tuple[Checkout, str]:
        async def body(point: Charger16) -> tuple[Checkout, str]:
            return await charge_16(site, point, lambda: driver_pays(site))

        result: tuple[Checkout, str] = await with_charger(site, Charger16, "ocpp1.6", body)
        return result

    paid, id_tag = run(scenario)
    session, _ = billed_entry(site)
    assert session["token_uid"] == id_tag and session["payment_id"] == paid.payment_id
    assert_paid_to_the_cent(site, paid)


def test_a_driver_pays_on_a_201_charger_and_is_charged_split_and_receipted_to_the_cent(
        runtime: RunningRuntime) -> None:
    site = set_up_paying_site(runtime, "2.0.1")

    async def scenario() -> tuple[Checkout, dict[str, Any]]:
        async def body(point: Charger201) -> tuple[Checkout, dict[str, Any]]:
            return await charge_201(site, point, lambda: driver_pays(site))

        result: tuple[Checkout, dict[str, Any]] = await with_charger(site, Charger201, "ocpp2.0.1", body)
        return result

    paid, start = run(scenario)
    session, _ = billed_entry(site)
    assert session["token_uid"] == start["id_token"]["id_token"]
    assert session["remote_start_id"] == start["remote_start_id"] and session["payment_id"] == paid.payment_id
    assert_paid_to_the_cent(site, paid)


def test_a_paid_session_is_charged_for_the_whole_kwh_its_meter_measured_not_one_step_more(
        runtime: RunningRuntime) -> None:
    """Billed per kWh (step_size 1000 Wh), 12.000 kWh measured: 12 x 0.30 = 3.60 excl., VAT 0.756 -> 0.76,
    4.36 incl. The connector says Preparing at the start and SuspendedEVSE 3 s later while the meter keeps
    counting, so pricing spreads the first reading interval's energy over the two idle slices by time.

    Fails today: the float spread adds up to 12000.000000000002 Wh and the step rounding (ROUND_CEILING) bills
    13 kWh, 3.90 / 4.72 EUR (chalicelib/tariffs/periods.py _energy_per_slice, chalicelib/tariffs/pricing.py
    _round_up_to_step)."""
    per_kwh = {"currency": "EUR", "elements": [{"price_components": [
        {"type": "ENERGY", "price": 0.30, "vat": 21.0, "step_size": 1000}]}]}
    site = set_up_paying_site(runtime, tariff_body=per_kwh)

    async def scenario() -> tuple[Checkout, str]:
        async def body(point: Charger16) -> tuple[Checkout, str]:
            return await charge_16(site, point, lambda: driver_pays(site, per_kwh_only=True),
                                   meter_stop_wh=132_000,
                                   status_after_start=("SuspendedEVSE", timedelta(seconds=3)))

        result: tuple[Checkout, str] = await with_charger(site, Charger16, "ocpp1.6", body)
        return result

    paid, _ = run(scenario)
    session, entry = billed_entry(site)
    assert session["energy_wh"] == 12_000
    cdr = site.tenant.request("GET", f"/v1/cdrs/{entry['cdr_id']}")
    assert cdr["total_energy"] == 12.0
    receipt = requests.get(f"{site.tenant.base_url}/pay/sessions/{paid.payment_id}", timeout=10,
                           headers={"Accept": "application/json"}).json()["receipt"]
    billed = ([(line["label"], line["volume"]) for line in receipt["lines"]], entry["cost"], entry["gross"])
    assert billed == ([("Energy", 12.0)], {"excl_vat": 360, "incl_vat": 436}, 436)
    assert cdr["total_cost"] == {"excl_vat": 3.6, "incl_vat": 4.36}


def test_a_replayed_checkout_webhook_sends_the_charger_no_second_remote_start(runtime: RunningRuntime) -> None:
    site = set_up_paying_site(runtime)

    async def scenario() -> None:
        async def body(point: Charger16) -> None:
            await point.call(call16.BootNotification(charge_point_model="Eve", charge_point_vendor="Alfen"))
            await point.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
            paid = await asyncio.to_thread(driver_pays, site)
            await asyncio.wait_for(point.remote_starts.get(), timeout=WAIT_S)
            event = await asyncio.to_thread(site.sandbox.checkout_completed_event, paid.payment_id)
            # Stripe sends the same event again (it does, at least once); the platform answers it...
            await asyncio.to_thread(redeliver_and_wait, site, event["id"])
            # ...and by the answer to a call sent after it, whatever it sent the charger has arrived.
            await point.call(call16.Heartbeat())
            assert point.remote_starts.empty(), "a second remote start for one payment"
            status = await asyncio.to_thread(lambda: requests.get(
                f"{site.tenant.base_url}/pay/sessions/{paid.payment_id}", timeout=10,
                headers={"Accept": "application/json"}).json()["status"])
            assert status == "starting"

        await with_charger(site, Charger16, "ocpp1.6", body)

    run(scenario)


def redeliver_and_wait(site: PayingSite, event_id: str) -> None:
    """Redeliver through the sandbox's control endpoint; wait until the platform answered it with 2xx."""
    before = successful_deliveries(site, event_id)
    sent = requests.post(f"{site.sandbox.url}/_sandbox/events/{event_id}/redeliver", timeout=10)
    assert sent.status_code == 202, sent.text
    poll("the redelivered event to be answered", lambda: successful_deliveries(site, event_id) > before)


def successful_deliveries(site: PayingSite, event_id: str) -> int:
    reply = requests.get(f"{site.sandbox.url}/_sandbox/deliveries", params={"event_id": event_id}, timeout=10)
    assert reply.status_code == 200, reply.text
    return sum(1 for d in reply.json()["data"] if d["status"] is not None and 200 <= d["status"] < 300)
