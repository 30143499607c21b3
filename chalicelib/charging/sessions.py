"""Charging sessions, version-neutral: what OCPP 1.6 transactions and 2.0.1 TransactionEvents become,
and what pricing and billing read. Pure: no AWS here.

Times are the charger's own (a message replayed after an outage carries the time it happened), meter
values are in Wh, and the energy of a session is decided by `settle_energy`, which never goes negative
and never bills a meter's whole odometer when the start reading was lost.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from chalicelib.charging.meter import RegisterReading
from chalicelib.clock import now_rfc3339, parse_rfc3339


class SessionStatus(StrEnum):
    """OCPI 2.2.1 SessionStatus (those a charger can cause)."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"  # kept for review, never billed (e.g. a stop for a transaction never started)


class BillingStatus(StrEnum):
    PENDING = "pending"  # the billing workflow runs
    BILLED = "billed"  # CDR written, payment collected or receivable recorded, revenue split
    FAILED = "failed"  # the workflow gave up; an alert is recorded
    NOT_BILLED = "not_billed"  # no tariff applied when it started


class Authorization(StrEnum):
    """Whether a token may charge, version-neutral (OCPP 1.6 AuthorizationStatus, upper-cased)."""

    ACCEPTED = "ACCEPTED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    INVALID = "INVALID"
    CONCURRENT_TX = "CONCURRENT_TX"
    UNKNOWN = "UNKNOWN"  # no such token (OCPP 1.6 answers Invalid)


class Anomaly(StrEnum):
    """Something about a session's data an operator should look at."""

    UNKNOWN_TRANSACTION = "unknown_transaction"  # a stop for a transaction the platform never started
    METER_START_CORRECTED = "meter_start_corrected"  # a 0 start reading replaced by the first real one
    METER_START_UNKNOWN = "meter_start_unknown"  # start read 0, nothing to correct it with: energy 0
    METER_STOP_BELOW_START = "meter_stop_below_start"
    STOP_LOST = "stop_lost"  # never stopped; closed when the connector's next transaction started


class Session(BaseModel):
    id: str
    charger_id: str
    evse_id: int
    connector_id: int  # within the EVSE (OCPI/2.0.1 numbering)
    ocpp_connector_id: int | None = None  # OCPP 1.6 connectorId, as the charger numbers it
    ocpp_version: str
    transaction_id: str  # 1.6: the platform-assigned integer, as text; 2.0.1: the charger's id
    token_uid: str | None = None
    authorization: Authorization | None = None
    status: SessionStatus
    started_at: str | None = None
    stopped_at: str | None = None
    meter_start_wh: int | None = None
    meter_stop_wh: int | None = None
    energy_wh: int | None = None
    stop_reason: str | None = None
    stop_token_uid: str | None = None
    anomalies: list[Anomaly] = []
    max_power_kw: float | None = None  # of the connector, to judge which meter readings are plausible
    # OCPP 2.0.1 transactions: how the charger reported them.
    token_type: str | None = None
    remote_start_id: int | None = None  # links the session to the platform's RequestStartTransaction
    charging_state: str | None = None
    offline: bool = False  # some events were queued while the charger was offline
    seq_gaps: list[int] = []  # TransactionEvent seqNos never received
    event_count: int = 0
    # Billing: the OCPI tariff in force when the session started (frozen: a later change of the
    # tariff does not reach it), the driver's payment, and once priced, its cost in minor units.
    tariff: dict[str, Any] | None = None
    payment_id: str | None = None
    hold_amount: int | None = None
    billing: BillingStatus | None = None
    cost: dict[str, int] | None = None  # {"excl_vat", "incl_vat"}
    currency: str | None = None
    cdr_id: str | None = None
    created_at: str
    updated_at: str

    @property
    def is_active(self) -> bool:
        return self.status == SessionStatus.ACTIVE


# A meter cannot deliver more than its connector's power; readings that would need more are not
# energy delivered in this session (e.g. the odometer after a lost start reading). A margin covers
# clock skew and rating optimism.
_PLAUSIBLE_MARGIN = 1.25
_PLAUSIBLE_SLACK_WH = 500.0
_DEFAULT_MAX_POWER_KW = 400.0


def plausible_energy_wh(seconds: float, max_power_kw: float | None) -> float:
    """The most energy a connector could deliver in `seconds`."""
    kw = max_power_kw or _DEFAULT_MAX_POWER_KW
    return kw * 1000 * max(seconds, 0) / 3600 * _PLAUSIBLE_MARGIN + _PLAUSIBLE_SLACK_WH


@dataclass(frozen=True)
class SettledEnergy:
    meter_start_wh: int
    energy_wh: int
    anomalies: list[Anomaly] = field(default_factory=list)


def settle_energy(
    *, meter_start_wh: int, started_at: str, meter_stop_wh: int | None, stopped_at: str | None,
    registers: Sequence[RegisterReading], max_power_kw: float | None,
) -> SettledEnergy:
    """The energy of a session from its start and stop readings and the register readings sampled
    in between, with one rule for each way chargers get it wrong:

    - a start reading of 0 (a meter read before it was ready, e.g. after an offline start) followed
      by readings no connector could have reached from 0 in that time: the first plausible reading
      becomes the start, and the session is marked `meter_start_corrected`; with nothing to correct
      it by, the energy is 0 and the session is marked `meter_start_unknown` (never the odometer);
    - a stop reading below the start: the highest reading seen is used, and the energy is never
      negative;
    - with no stop reading yet (an active session), the latest register reading gives the energy so far.
    """
    start_time = parse_rfc3339(started_at)
    anomalies: list[Anomaly] = []
    start = float(meter_start_wh)
    later = [r for r in registers if r.at >= start_time]
    if start == 0:
        nonzero = [r for r in later if r.wh > 0]
        if nonzero and nonzero[0].wh > plausible_energy_wh(
            (nonzero[0].at - start_time).total_seconds(), max_power_kw,
        ):
            start = nonzero[0].wh
            anomalies.append(Anomaly.METER_START_CORRECTED)
        elif not nonzero and meter_stop_wh is not None and stopped_at is not None:
            seconds = (parse_rfc3339(stopped_at) - start_time).total_seconds()
            if meter_stop_wh > plausible_energy_wh(seconds, max_power_kw):
                return SettledEnergy(meter_stop_wh, 0, [Anomaly.METER_START_UNKNOWN])
    end: float | None = float(meter_stop_wh) if meter_stop_wh is not None else None
    highest = max((r.wh for r in later), default=start)
    if end is None:
        end = max(start, later[-1].wh if later else start)
    elif end < start:
        anomalies.append(Anomaly.METER_STOP_BELOW_START)
        end = max(start, highest)
    return SettledEnergy(round(start), max(0, round(end - start)), anomalies)


def close_session(
    session: Session, *, stopped_at: str, meter_stop_wh: int | None, registers: Sequence[RegisterReading],
    stop_reason: str | None, stop_token_uid: str | None = None, anomalies: Sequence[Anomaly] = (),
) -> Session:
    """The session completed at `stopped_at`, its energy settled from its start, its stop reading (None:
    the latest register reading stands for it) and the readings in between."""
    settled = settle_energy(
        meter_start_wh=session.meter_start_wh or 0, started_at=session.started_at or stopped_at,
        meter_stop_wh=meter_stop_wh, stopped_at=stopped_at, registers=registers,
        max_power_kw=session.max_power_kw,
    )
    return session.model_copy(update={
        "status": SessionStatus.COMPLETED, "stopped_at": stopped_at,
        "meter_start_wh": settled.meter_start_wh, "energy_wh": settled.energy_wh,
        "meter_stop_wh": meter_stop_wh if meter_stop_wh is not None else settled.meter_start_wh + settled.energy_wh,
        "stop_reason": stop_reason, "stop_token_uid": stop_token_uid or session.stop_token_uid,
        "anomalies": sorted({*session.anomalies, *settled.anomalies, *anomalies}),
        "updated_at": now_rfc3339(),
    })
