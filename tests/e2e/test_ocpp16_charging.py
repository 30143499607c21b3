"""A real OCPP 1.6 charger (the `ocpp` package's ChargePoint over a real WebSocket) charging against the
running platform, as `make dev` starts it; the session is then read back through the REST API.

The `ocpp` package validates every answer it gets against the 1.6 schemas, so a call that returns here
was answered per the schema."""
from __future__ import annotations

import asyncio
import base64
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from ocpp.v16 import ChargePoint, call
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.e2e.conftest import RunningRuntime

pytestmark = pytest.mark.e2e
_names = itertools.count(1)


@dataclass
class Operator:
    base_url: str
    api_key: str

    def request(self, method: str, path: str, body: Any = None) -> Any:
        reply = requests.request(method, f"{self.base_url}{path}", json=body, timeout=10,
                                 headers={"Authorization": f"Bearer {self.api_key}"})
        assert reply.status_code < 300, reply.text
        return reply.json() if reply.text else None


@dataclass
class RegisteredCharger:
    id: str
    url: str
    password: str


@pytest.fixture(scope="module")
def operator(runtime: RunningRuntime) -> Operator:
    signup = requests.post(f"{runtime.base_url}/v1/signup", timeout=10, json={
        "name": "Charging Co", "email": "ops@charging.example", "country": "NL", "currency": "EUR"})
    assert signup.status_code == 201, signup.text
    op = Operator(runtime.base_url, signup.json()["api_key"])
    op.request("POST", "/v1/sites", {
        "name": "Depot", "address": "Kade 1", "city": "Amsterdam", "postal_code": "1011 AA", "country": "NL",
        "latitude": 52.38, "longitude": 4.9, "time_zone": "Europe/Amsterdam"})
    op.request("POST", "/v1/tokens", {"uid": "04A2B3C4D5"})
    return op


def register(op: Operator) -> RegisteredCharger:
    site = op.request("GET", "/v1/sites")["items"][0]["id"]
    charger_id = f"E2E-CP-{next(_names)}"
    created = op.request("POST", "/v1/chargers", {"id": charger_id, "site_id": site, "evses": [
        {"connectors": [{"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}]}]})
    return RegisteredCharger(charger_id, created["ocpp_url"], created["password"])


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def open_charger(charger: RegisteredCharger, point_class: type[Any] = ChargePoint,
                       protocol: str = "ocpp1.6") -> tuple[Any, ClientConnection]:
    socket = await connect(charger.url, subprotocols=[protocol],  # type: ignore[list-item]
                           additional_headers={"Authorization": basic(charger.id, charger.password)})
    assert socket.subprotocol == protocol
    point = point_class(charger.id, socket, response_timeout=15)
    return point, socket


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), timeout=60))


async def with_charger(charger: RegisteredCharger, body: Callable[[Any], Awaitable[Any]],
                       point_class: type[Any] = ChargePoint, protocol: str = "ocpp1.6") -> Any:
    point, socket = await open_charger(charger, point_class, protocol)
    listener = asyncio.create_task(point.start())
    try:
        return await body(point)
    finally:
        await socket.close()
        listener.cancel()


def register_value(wh: int) -> dict[str, Any]:
    return {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}


def test_a_16_charger_boots_authorizes_charges_and_stops_and_the_session_shows_its_energy(operator: Operator) -> None:
    charger = register(operator)

    async def scenario() -> None:
        async def charge(point: ChargePoint) -> None:
            boot = await point.call(call.BootNotification(charge_point_model="Eve", charge_point_vendor="Alfen",
                                                           firmware_version="6.1.0"))
            assert boot.status == "Accepted" and boot.interval <= 300
            await point.call(call.Heartbeat())
            await point.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                                     timestamp="2026-11-21T08:00:00Z"))
            assert (await point.call(call.Authorize(id_tag="04A2B3C4D5"))).id_tag_info["status"] == "Accepted"
            started = await point.call(call.StartTransaction(
                connector_id=1, id_tag="04A2B3C4D5", meter_start=120_000, timestamp="2026-11-21T08:00:10Z"))
            assert started.id_tag_info["status"] == "Accepted"
            tx = started.transaction_id
            await point.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging",
                                                     timestamp="2026-11-21T08:00:11Z"))
            for minute, wh in [(15, 125_500), (30, 131_000)]:
                await point.call(call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
                    "timestamp": f"2026-11-21T08:{minute}:00Z",
                    "sampledValue": [register_value(wh), {"value": "22.0", "measurand": "Power.Active.Import",
                                                          "unit": "kW"}]}]))
            live = operator.request("GET", f"/v1/chargers/{charger.id}")
            assert live["online"] is True and live["evses"][0]["connectors"][0]["status"] == "Charging"
            stopped = await point.call(call.StopTransaction(
                meter_stop=133_250, timestamp="2026-11-21T08:36:00Z", transaction_id=tx, reason="EVDisconnected",
                id_tag="04A2B3C4D5"))
            assert stopped.id_tag_info["status"] == "Accepted"
            # The remaining charger-to-platform messages, each answered per its schema.
            transfer = await point.call(call.DataTransfer(vendor_id="com.alfen", message_id="temp", data="41"))
            assert transfer.status == "UnknownVendorId"
            await point.call(call.DiagnosticsStatusNotification(status="Uploaded"))
            await point.call(call.FirmwareStatusNotification(status="Installed"))

        await with_charger(charger, charge)

    run(scenario)
    session = operator.request("GET", f"/v1/sessions?charger_id={charger.id}")["items"][0]
    assert (session["status"], session["energy_wh"], session["meter_start_wh"], session["meter_stop_wh"]) == (
        "COMPLETED", 13_250, 120_000, 133_250)
    assert (session["started_at"], session["stopped_at"]) == ("2026-11-21T08:00:10.000Z", "2026-11-21T08:36:00.000Z")
    detail = operator.request("GET", f"/v1/sessions/{session['id']}")
    assert len(detail["meter_values"]) == 2
    shown = operator.request("GET", f"/v1/chargers/{charger.id}")
    assert shown["boot"]["vendor"] == "Alfen" and shown["online"] is False  # the socket is closed


def test_a_charger_dropped_mid_transaction_replays_its_queue_after_reconnecting(operator: Operator) -> None:
    charger = register(operator)

    async def scenario() -> None:
        async def begin(point: ChargePoint) -> int:
            started = await point.call(call.StartTransaction(
                connector_id=1, id_tag="04A2B3C4D5", meter_start=5_000, timestamp="2026-11-21T06:00:00Z"))
            return int(started.transaction_id)

        tx = await with_charger(charger, begin)
        # Offline: the charger queues what it measures, with the times it happened.
        queue = [
            call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[
                {"timestamp": "2026-11-21T06:30:00Z", "sampledValue": [register_value(9_000)]}]),
            call.StopTransaction(meter_stop=12_000, timestamp="2026-11-21T06:45:00Z", transaction_id=tx,
                                 reason="PowerLoss"),
        ]

        async def replay(point: ChargePoint) -> None:
            await point.call(call.BootNotification(charge_point_model="Eve", charge_point_vendor="Alfen"))
            for queued in queue:
                await point.call(queued)
            # A stop sent again (its answer lost) changes nothing.
            await point.call(queue[-1])

        await with_charger(charger, replay)

    run(scenario)
    session = operator.request("GET", f"/v1/sessions?charger_id={charger.id}")["items"][0]
    assert (session["started_at"], session["stopped_at"], session["energy_wh"], session["stop_reason"]) == (
        "2026-11-21T06:00:00.000Z", "2026-11-21T06:45:00.000Z", 7_000, "PowerLoss")


def refusal_status(charger: RegisteredCharger, password: str, url: str | None = None) -> int:
    async def attempt() -> int:
        try:
            socket = await connect(url or charger.url, subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                                   additional_headers={"Authorization": basic(charger.id, password)})
        except InvalidStatus as refused:
            return int(refused.response.status_code)
        await socket.close()
        return 101

    return asyncio.run(attempt())


def test_a_wrong_password_is_refused_with_401(operator: Operator) -> None:
    charger = register(operator)
    assert refusal_status(charger, "not-the-password") == 401
    assert refusal_status(charger, charger.password) == 101


def test_an_unknown_charger_is_refused_with_401(operator: Operator) -> None:
    charger = register(operator)
    unknown = charger.url.rsplit("/", 1)[0] + "/NO-SUCH-CP"
    assert refusal_status(charger, charger.password, unknown) == 401
