"""A real OCPP 2.0.1 charger (the `ocpp` package's v201 ChargePoint) charging against the running platform,
and commands from the REST API reaching real chargers through the local @connections endpoint."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
import requests
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call
from ocpp.v201 import call_result as result201

from tests.e2e.test_ocpp16_charging import Operator, operator, register, run, with_charger  # noqa: F401

pytestmark = pytest.mark.e2e


def test_a_201_charger_charges_and_the_session_shows_its_energy(operator: Operator) -> None:  # noqa: F811
    charger = register(operator)
    token = {"idToken": "04A2B3C4D5", "type": "ISO14443"}

    def tx_event(seq: int, kind: str, at: str, wh: float, trigger: str, context: str, **extra: Any) -> Any:
        return call.TransactionEvent(
            event_type=kind, timestamp=at, trigger_reason=trigger, seq_no=seq,
            transaction_info={"transactionId": "E2E-TX-1", **extra.pop("info", {})},
            meter_value=[{"timestamp": at, "sampledValue": [{"value": wh, "context": context}]}],
            **extra)

    async def scenario() -> None:
        async def charge(point: ChargePoint201) -> None:
            boot = await point.call(call.BootNotification(
                charging_station={"model": "Pulsar", "vendor_name": "Wallbox"}, reason="PowerUp"))
            assert boot.status == "Accepted"
            await point.call(call.StatusNotification(timestamp="2026-11-21T10:00:00Z", connector_status="Occupied",
                                                     evse_id=1, connector_id=1))
            auth = await point.call(call.Authorize(id_token=token))
            assert auth.id_token_info["status"] == "Accepted"
            first = await point.call(tx_event(0, "Started", "2026-11-21T10:00:05Z", 2000, "Authorized",
                                              "Transaction.Begin", id_token=token, evse={"id": 1, "connector_id": 1}))
            assert first.id_token_info["status"] == "Accepted"
            await point.call(tx_event(1, "Updated", "2026-11-21T10:20:00Z", 6000, "MeterValuePeriodic",
                                      "Sample.Periodic"))
            await point.call(tx_event(2, "Ended", "2026-11-21T10:40:00Z", 9500, "EVDeparted", "Transaction.End",
                                      info={"stoppedReason": "EVDisconnected"}))

        await with_charger(charger, charge, ChargePoint201, "ocpp2.0.1")

    run(scenario)
    session = operator.request("GET", f"/v1/sessions?charger_id={charger.id}")["items"][0]
    assert (session["ocpp_version"], session["status"], session["energy_wh"], session["stop_reason"]) == (
        "ocpp2.0.1", "COMPLETED", 7500, "EVDisconnected")


class Obedient16(ChargePoint16):  # type: ignore[misc]
    """A 1.6 charger that accepts what the platform asks."""

    @on("Reset")  # type: ignore[untyped-decorator]
    def on_reset(self, type: str) -> Any:
        return result16.Reset(status="Accepted")

    @on("TriggerMessage")  # type: ignore[untyped-decorator]
    def on_trigger(self, requested_message: str, **_: Any) -> Any:
        return result16.TriggerMessage(status="Accepted")

    @on("SendLocalList")  # type: ignore[untyped-decorator]
    def on_local_list(self, list_version: int, update_type: str, **_: Any) -> Any:
        return result16.SendLocalList(status="Accepted")


class Obedient201(ChargePoint201):  # type: ignore[misc]
    @on("RequestStartTransaction")  # type: ignore[untyped-decorator]
    def on_start(self, id_token: dict[str, Any], remote_start_id: int, **_: Any) -> Any:
        return result201.RequestStartTransaction(status="Accepted")


def command(op: Operator, charger_id: str, body: dict[str, Any], wait: int = 10) -> Any:
    reply = requests.post(f"{op.base_url}/v1/chargers/{charger_id}/commands?wait={wait}", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {op.api_key}"})
    return reply


def test_commands_reach_a_16_charger_and_its_answers_come_back(operator: Operator) -> None:  # noqa: F811
    charger = register(operator)
    offline = command(operator, charger.id, {"action": "reset"}, wait=0)
    assert offline.status_code == 409 and offline.json()["error"]["code"] == "charger_offline"

    async def scenario() -> None:
        async def obey(point: Obedient16) -> None:
            loop = asyncio.get_running_loop()
            reset = await loop.run_in_executor(None, command, operator, charger.id, {"action": "reset",
                                                                                     "payload": {"type": "hard"}})
            assert reset.status_code == 202
            assert (reset.json()["status"], reset.json()["response"]) == ("accepted", {"status": "Accepted"})
            listed = await loop.run_in_executor(None, command, operator, charger.id, {"action": "local_list"})
            assert listed.json()["status"] == "accepted" and listed.json()["request"]["listVersion"] == 1

        await with_charger(charger, obey, Obedient16)

    run(scenario)


def test_a_201_charger_accepts_a_remote_start(operator: Operator) -> None:  # noqa: F811
    charger = register(operator)

    async def scenario() -> None:
        async def obey(point: Obedient201) -> None:
            loop = asyncio.get_running_loop()
            started = await loop.run_in_executor(None, command, operator, charger.id, {
                "action": "start", "payload": {"token_uid": "04A2B3C4D5", "evse_id": 1}})
            assert started.json()["status"] == "accepted"
            assert started.json()["request"]["idToken"] == {"idToken": "04A2B3C4D5", "type": "ISO14443"}

        await with_charger(charger, obey, Obedient201, "ocpp2.0.1")

    run(scenario)


def test_a_reconnected_charger_is_asked_for_its_statuses(operator: Operator) -> None:  # noqa: F811
    charger = register(operator)
    asked: list[str] = []

    class Watching(Obedient16):
        @on("TriggerMessage")  # type: ignore[untyped-decorator]
        def on_trigger(self, requested_message: str, **_: Any) -> Any:
            asked.append(requested_message)
            return result16.TriggerMessage(status="Accepted")

    async def scenario() -> None:
        async def beat(point: Watching) -> None:
            await point.call(call16.Heartbeat())
            await asyncio.sleep(0.5)

        await with_charger(charger, beat, Watching)
        await with_charger(charger, beat, Watching)

    run(scenario)
    assert asked == ["StatusNotification"]
