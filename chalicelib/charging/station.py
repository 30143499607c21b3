"""What a charger reports, version-neutral: boots, statuses, authorisations, transactions and meter
readings, applied to the platform's state. The OCPP 1.6 and 2.0.1 adapters translate frames to these
calls; everything here is idempotent, because chargers resend what they got no answer for and replay
what they queued while offline, with the times it happened.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.charging.live import ConnectorStatus, connector_key
from chalicelib.charging.meter import (
    MeterReading,
    connector_meter_key,
    dedupe_readings,
    register_readings,
    transaction_meter_key,
)
from chalicelib.charging.models import Charger, Token, TokenStatus
from chalicelib.charging.sessions import Anomaly, Authorization, Session, SessionStatus, close_session
from chalicelib.charging.transactions import EventType, TransactionEvent, TransactionSummary, fold_transaction
from chalicelib.clock import now_rfc3339, parse_rfc3339, rfc3339, utc_now
from chalicelib.identifiers import derived_id, new_id
from chalicelib.store.contract import StartOutcome

if TYPE_CHECKING:
    from chalicelib.store.charger_events import ChargerEventRepository
    from chalicelib.store.charger_state import ChargerStateRepository
    from chalicelib.store.meter_values import MeterValueRepository
    from chalicelib.store.sessions import SessionRepository
    from chalicelib.store.tokens import TokenRepository


@dataclass(frozen=True)
class ConnectorRef:
    """A connector as the platform numbers it, and as the charger's protocol did."""

    evse_id: int  # 0: the charger as a whole
    connector_id: int | None
    ocpp_connector_id: int | None = None  # OCPP 1.6 connectorId

    @property
    def key(self) -> str:
        return connector_key(self.evse_id, self.connector_id)


@dataclass(frozen=True)
class TokenVerdict:
    authorization: Authorization
    expires_at: str | None = None
    group_id: str | None = None


@dataclass(frozen=True)
class TransactionStart:
    connector: ConnectorRef
    token_uid: str | None
    meter_start_wh: int
    timestamp: str
    transaction_id: str | None = None  # given by 2.0.1 chargers; 1.6 transactions get one here
    reservation_id: int | None = None


@dataclass(frozen=True)
class TransactionStop:
    transaction_id: str
    token_uid: str | None
    meter_stop_wh: int | None
    timestamp: str
    reason: str | None
    readings: list[MeterReading]


@dataclass(frozen=True)
class StartAnswer:
    transaction_id: str
    session_id: str
    verdict: TokenVerdict


def token_verdict(token: Token | None, now: datetime, charging_session: str | None = None,
                  own_session: str | None = None) -> TokenVerdict:
    """May this token charge? Unknown tokens are INVALID; a token charging elsewhere is CONCURRENT_TX."""
    if token is None:
        return TokenVerdict(Authorization.UNKNOWN)
    if token.status == TokenStatus.BLOCKED:
        return TokenVerdict(Authorization.BLOCKED, token.expires_at, token.group_id)
    if token.status == TokenStatus.EXPIRED or (
        token.expires_at is not None and parse_rfc3339(token.expires_at) <= now
    ):
        return TokenVerdict(Authorization.EXPIRED, token.expires_at, token.group_id)
    if charging_session is not None and charging_session != own_session:
        return TokenVerdict(Authorization.CONCURRENT_TX, token.expires_at, token.group_id)
    return TokenVerdict(Authorization.ACCEPTED, token.expires_at, token.group_id)


class SessionHooks:
    """What else happens when a session opens and ends (pricing, payment, billing). This base does
    nothing: the charging domain works without billing; composition passes the billing hooks."""

    def opening(self, session: Session) -> Session:
        """Before the session is first written: it may take more fields (its frozen tariff)."""
        return session

    def opened(self, session: Session) -> None:
        """After the session was written."""

    def ended(self, session: Session) -> None:
        """Once, when the session closed."""

    def metered(self, transaction_id: str) -> None:
        """The transaction got new readings."""


class StationService:
    """Applies one charger's reports. Built per frame from cached parts; holds no state of its own."""

    def __init__(
        self, charger: Charger, protocol: str, *, state: ChargerStateRepository, sessions: SessionRepository,
        tokens: TokenRepository, meter_values: MeterValueRepository, events: ChargerEventRepository,
        hooks: Callable[[], SessionHooks] | None = None,
    ) -> None:
        # Built on first use: most frames (Heartbeat, StatusNotification) open or end no session.
        self._make_hooks = hooks or SessionHooks
        self._built_hooks: SessionHooks | None = None
        self.charger = charger
        self.protocol = protocol
        self._state = state
        self._sessions = sessions
        self._tokens = tokens
        self._meter_values = meter_values
        self._events = events

    def _hooks(self) -> SessionHooks:
        if self._built_hooks is None:
            self._built_hooks = self._make_hooks()
        return self._built_hooks

    # -- the charger itself ----------------------------------------------------------------------
    def boot(self, boot: dict[str, str], message_id: str) -> None:
        now = now_rfc3339()
        self._state.booted(self.charger.id, boot, now)
        self._event("BootNotification", now, message_id, dict(boot))

    def seen(self, at: str) -> None:
        self._state.seen(self.charger.id, at)

    def report_status(self, connector: ConnectorRef, status: ConnectorStatus, message_id: str) -> bool:
        """Keep the status (unless a newer one is known) and add it to the charger's history."""
        kept = self._state.report_status(self.charger.id, connector.key, status)
        self._event("StatusNotification", status.timestamp, message_id,
                    {"connector": connector.key, **status.model_dump(exclude_none=True)})
        return kept

    def report_progress(self, action: str, status: str, message_id: str) -> None:
        """Firmware and diagnostics/log upload progress."""
        if action.startswith("Firmware"):
            self._state.firmware(self.charger.id, status)
        else:
            self._state.diagnostics(self.charger.id, status)
        now = now_rfc3339()
        self._event(action, now, message_id, {"status": status})

    def record(self, action: str, data: dict[str, Any], message_id: str, timestamp: str | None = None) -> None:
        """Keep what the charger sent for operators (e.g. DataTransfer)."""
        self._event(action, timestamp or now_rfc3339(), message_id, data)

    # -- tokens and transactions -----------------------------------------------------------------
    def authorize(self, uid: str, own_session: str | None = None) -> TokenVerdict:
        token = self._tokens.get(uid)
        charging = self._sessions.session_of_token(uid) if token is not None else None
        return token_verdict(token, utc_now(), charging, own_session)

    def start_transaction(self, start: TransactionStart) -> StartAnswer:
        """Open a session. The same start sent again (same connector, token, time and meter) gets the
        same transaction; an unauthorised token still gets one (OCPP: the charger then stops it)."""
        start_key = "|".join([
            self.charger.id, start.connector.key, (start.token_uid or "").upper(), start.timestamp,
            str(start.meter_start_wh), start.transaction_id or "",
        ])
        concurrent = False
        for _ in range(3):
            known = self._sessions.recorded_start(start_key)
            if known is not None:
                return StartAnswer(str(known.transaction_id), known.session_id,
                                   TokenVerdict(Authorization(known.authorization)))
            self._close_lost_session(start.connector.key, start.timestamp)
            verdict = self.authorize(start.token_uid) if start.token_uid else TokenVerdict(Authorization.ACCEPTED)
            if concurrent and verdict.authorization == Authorization.ACCEPTED:
                verdict = TokenVerdict(Authorization.CONCURRENT_TX, verdict.expires_at, verdict.group_id)
            transaction_id = start.transaction_id or str(self._sessions.next_transaction_id())
            now = now_rfc3339()
            session = Session(
                id=new_id("ses"), charger_id=self.charger.id, evse_id=start.connector.evse_id,
                connector_id=start.connector.connector_id or 1, ocpp_connector_id=start.connector.ocpp_connector_id,
                ocpp_version=self.protocol, transaction_id=transaction_id, token_uid=start.token_uid,
                authorization=verdict.authorization, status=SessionStatus.ACTIVE, started_at=start.timestamp,
                meter_start_wh=start.meter_start_wh, max_power_kw=self._max_power_kw(start.connector),
                created_at=now, updated_at=now,
            )
            session = self._hooks().opening(session)
            outcome = self._sessions.start(session, start_key=start_key, holds_token=self._holds(session))
            if outcome == StartOutcome.WRITTEN:
                self._state.session_started(self.charger.id, start.connector.key, session.id)
                self._hooks().opened(session)
                return StartAnswer(transaction_id, session.id, verdict)
            concurrent = outcome == StartOutcome.TOKEN_TAKEN  # then the next round answers ConcurrentTx
        raise RuntimeError("could not record the start")  # unreachable unless the start record vanished

    def _close_lost_session(self, connector: str, at: str, keep: str | None = None) -> None:
        """A transaction starting on a connector whose last session never stopped: that stop was lost
        (the charger rebooted, or dropped its queue). Close it as of its last reading, flag it, and free
        its token, so that the driver is not locked out as ConcurrentTx."""
        previous = self._state.get(self.charger.id).active_sessions.get(connector)
        if previous is None or previous == keep:
            return
        closed_now: list[Session] = []

        def close(session: Session) -> Session:
            if not session.is_active or session.started_at is None or session.started_at >= at:
                return session
            registers = [r for r in register_readings(session_readings(self._meter_values, session, until=at))
                         if rfc3339(r.at) <= at]
            closed = close_session(
                session, stopped_at=rfc3339(registers[-1].at) if registers else at, meter_stop_wh=None,
                registers=registers, stop_reason="Other", anomalies=[Anomaly.STOP_LOST],
            )
            closed_now.append(closed)
            return closed

        after = self._sessions.update(previous, close)
        if after is not None and closed_now:
            self._ended(after)

    def record_meter_values(self, transaction_id: str | None, connector: ConnectorRef,
                            readings: list[MeterReading], message_id: str) -> None:
        """Readings land with their transaction whenever they arrive (before or after its stop)."""
        key = (transaction_meter_key(self.charger.id, transaction_id) if transaction_id is not None
               else connector_meter_key(self.charger.id, connector.key))
        self._meter_values.add(key, message_id, readings)
        if transaction_id is not None:
            self._hooks().metered(transaction_id)

    def stop_transaction(self, stop: TransactionStop, message_id: str) -> TokenVerdict | None:
        """Close the session once: a replayed stop changes nothing. A stop for a transaction the
        platform does not know is accepted (refusing it would make the charger resend it for ever)
        and kept as an INVALID session for review."""
        verdict = None
        if stop.token_uid:
            token = self._tokens.get(stop.token_uid)
            verdict = token_verdict(token, utc_now())
        session_id = self._sessions.session_of(self.charger.id, stop.transaction_id)
        if session_id is None:
            self._keep_unmatched_stop(stop)
            return verdict
        if stop.readings:
            self.record_meter_values(stop.transaction_id, ConnectorRef(0, None), stop.readings, f"stop-{message_id}")

        def close(session: Session) -> Session:
            if not session.is_active:
                return session  # already stopped: a replay
            readings = session_readings(self._meter_values, session, until=stop.timestamp)
            return close_session(
                session, stopped_at=stop.timestamp, meter_stop_wh=stop.meter_stop_wh,
                registers=register_readings(readings), stop_reason=stop.reason, stop_token_uid=stop.token_uid,
            )

        closed = self._sessions.update(session_id, close)
        if closed is not None:
            self._ended(closed)
        return verdict

    def transaction_event(self, event: TransactionEvent, transaction_id: str, *, refresh: bool) -> TokenVerdict | None:
        """An OCPP 2.0.1 TransactionEvent. It is kept under its seqNo (a resent event writes the same
        item); the session is then the fold of all the transaction's events, so order, repeats and
        offline replays do not change the outcome. `refresh` False skips the fold for an event that only
        adds readings to a session already known (a periodic meter update: one write, no read)."""
        key = transaction_meter_key(self.charger.id, transaction_id)
        self._meter_values.add_event(key, event)
        session_id = None
        if refresh:
            session_id = self._settle_transaction(key, transaction_id)
        if event.readings and event.event_type == EventType.UPDATED:
            self._hooks().metered(transaction_id)
        if not event.token_uid or event.token_type == "NoAuthorization":
            return None
        if session_id is None:
            session_id = self._sessions.session_of(self.charger.id, transaction_id)
        return self.authorize(event.token_uid, own_session=session_id)

    def _settle_transaction(self, key: str, transaction_id: str) -> str:
        summary = fold_transaction(self._meter_values.events(key))
        for _ in range(3):
            session_id = self._sessions.session_of(self.charger.id, transaction_id)
            if session_id is None:
                session = self._hooks().opening(self._session_from(summary, transaction_id))
                placed = session.is_active and session.evse_id > 0  # an event without `evse` does not place it
                if placed:
                    self._close_lost_session(connector_key(session.evse_id, session.connector_id), summary.started_at)
                outcome = self._sessions.start(session, start_key=None, holds_token=self._holds(session))
                if outcome == StartOutcome.TOKEN_TAKEN:
                    session = session.model_copy(update={"authorization": Authorization.CONCURRENT_TX})
                    outcome = self._sessions.start(session, start_key=None, holds_token=False)
                if outcome == StartOutcome.WRITTEN:
                    if placed:
                        key_of = connector_key(session.evse_id, session.connector_id)
                        self._state.session_started(self.charger.id, key_of, session.id)
                    self._hooks().opened(session)
                    if not session.is_active:  # started and ended in one fold (an offline replay)
                        self._hooks().ended(session)
                    return session.id
                continue  # another event of the transaction made the session meanwhile
            self._refold(session_id, summary)
            return session_id
        raise RuntimeError("could not record the transaction")

    def _refold(self, session_id: str, summary: TransactionSummary) -> None:
        before: list[Session] = []

        def apply(session: Session) -> Session:
            before.append(session)
            return self._folded(session, summary)

        after = self._sessions.update(session_id, apply)
        if after is None or not before:
            return
        previous = before[-1]
        if previous.is_active and not after.is_active:
            self._ended(after)
            return
        if not after.is_active:
            return
        if after.evse_id > 0 and (previous.evse_id, previous.connector_id) != (after.evse_id, after.connector_id):
            # The session's EVSE arrived with a later event (its first had none): place it now.
            key = connector_key(after.evse_id, after.connector_id)
            self._close_lost_session(key, after.started_at or now_rfc3339(), keep=after.id)
            self._state.session_started(self.charger.id, key, after.id)
        if after.token_uid and after.token_uid != previous.token_uid:
            self._authorize_late(after)

    def _authorize_late(self, session: Session) -> None:
        """A token presented after the transaction started (2.0.1: plug in, then authorise): check it,
        take its lock as a start would, and record the verdict the charger was given."""
        assert session.token_uid is not None
        verdict = self.authorize(session.token_uid, own_session=session.id)
        authorization = verdict.authorization
        if authorization == Authorization.ACCEPTED and not self._sessions.hold_token(session):
            authorization = Authorization.CONCURRENT_TX
        if authorization != session.authorization:
            self._sessions.update(session.id, lambda s: s.model_copy(update={"authorization": authorization}))

    def _session_from(self, summary: TransactionSummary, transaction_id: str) -> Session:
        now = now_rfc3339()
        connector = ConnectorRef(summary.evse_id or 0, summary.connector_id or 1)
        verdict = (self.authorize(summary.token_uid) if summary.token_uid and summary.token_type != "NoAuthorization"
                   else TokenVerdict(Authorization.ACCEPTED))
        base = Session(
            id=new_id("ses"), charger_id=self.charger.id, evse_id=connector.evse_id,
            connector_id=connector.connector_id or 1, ocpp_version=self.protocol, transaction_id=transaction_id,
            authorization=verdict.authorization, status=SessionStatus.ACTIVE,
            max_power_kw=self._max_power_kw(connector), created_at=now, updated_at=now,
        )
        return self._folded(base, summary)

    def _folded(self, session: Session, summary: TransactionSummary) -> Session:
        fields: dict[str, Any] = {
            "started_at": summary.started_at, "meter_start_wh": summary.meter_start_wh,
            "token_uid": summary.token_uid or session.token_uid, "token_type": summary.token_type,
            "remote_start_id": summary.remote_start_id, "charging_state": summary.charging_state,
            "offline": summary.offline, "seq_gaps": summary.seq_gaps, "event_count": len(summary.seq_nos),
            "updated_at": now_rfc3339(),
        }
        if summary.evse_id:
            fields["evse_id"] = summary.evse_id
            fields["connector_id"] = summary.connector_id or 1
        folded = session.model_copy(update=fields)
        if summary.is_ended and summary.stopped_at is not None:
            return close_session(folded, stopped_at=summary.stopped_at, meter_stop_wh=summary.meter_stop_wh,
                                 registers=summary.registers, stop_reason=summary.stopped_reason)
        return folded

    def _holds(self, session: Session) -> bool:
        return session.is_active and session.authorization == Authorization.ACCEPTED and bool(session.token_uid)

    def _ended(self, session: Session) -> None:
        if session.token_uid:
            self._sessions.release_token(session.token_uid, session.id)
        self._state.session_ended(self.charger.id, connector_key(session.evse_id, session.connector_id), session.id)
        self._hooks().ended(session)

    # -- helpers ---------------------------------------------------------------------------------
    def _keep_unmatched_stop(self, stop: TransactionStop) -> None:
        now = now_rfc3339()
        at = parse_rfc3339(stop.timestamp)
        session = Session(
            id=derived_id("ses", int(at.timestamp() * 1000), self.charger.id, stop.transaction_id, stop.timestamp),
            charger_id=self.charger.id, evse_id=0, connector_id=0, ocpp_version=self.protocol,
            transaction_id=stop.transaction_id, token_uid=stop.token_uid, status=SessionStatus.INVALID,
            stopped_at=stop.timestamp, meter_stop_wh=stop.meter_stop_wh, stop_reason=stop.reason,
            stop_token_uid=stop.token_uid, anomalies=[Anomaly.UNKNOWN_TRANSACTION], created_at=now, updated_at=now,
        )
        self._sessions.add_unmatched(session)
        self._event("UnmatchedStop", stop.timestamp, session.id,
                    {"transaction_id": stop.transaction_id, "session_id": session.id,
                     "meter_stop_wh": stop.meter_stop_wh, "reason": stop.reason,
                     # Kept with the event, not under the transaction id: every unknown stop ("-1")
                     # would otherwise share one transaction's readings.
                     "transaction_data": [r.compact() for r in stop.readings]})

    def _max_power_kw(self, connector: ConnectorRef) -> float | None:
        for evse in self.charger.evses:
            if evse.id == connector.evse_id:
                for c in evse.connectors:
                    if connector.connector_id in (None, c.id):
                        return c.max_power_kw
        return None

    def _event(self, action: str, timestamp: str, message_id: str, data: dict[str, Any]) -> None:
        self._events.add(self.charger.id, action, timestamp, message_id, data, received_at=now_rfc3339())



def session_readings(meter_values: MeterValueRepository, session: Session, until: str) -> list[MeterReading]:
    """A session's readings: those sent with its transaction id, and those its connector sent without
    one while it was charging (clock-aligned samples often come so)."""
    readings = meter_values.readings(transaction_meter_key(session.charger_id, session.transaction_id))
    if session.started_at is not None and session.evse_id:
        # 1.6 MeterValues name a connector; 2.0.1 ones only the EVSE.
        for where in (connector_key(session.evse_id, session.connector_id), connector_key(session.evse_id, None)):
            readings += meter_values.readings_between(
                connector_meter_key(session.charger_id, where), session.started_at, until)
    return dedupe_readings(readings)
