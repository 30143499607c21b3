"""`make bench`: what an OCPP frame costs, in-process on moto (figures, not assertions).

For Heartbeat, StatusNotification, MeterValues and the transaction frames of OCPP 1.6 (StartTransaction,
StopTransaction) and 2.0.1 (TransactionEvent Started, Updated with MeterValuePeriodic, Ended), prints
per frame kind, on a warm container:
- the median time `app.ocpp_frame` takes (the `$default` Lambda handler, called with API Gateway's
  event), whole and "own": without the time spent inside DynamoDB calls (moto's serialisation dominates
  the total and says nothing about DynamoDB; botocore's request building is left out with it);
- "replayed own": the same frames again with each DynamoDB request answered from what moto answered it
  (same path through the handler, no moto work between frames). moto's work between a frame's requests
  evicts the handler's code and data from the CPU caches and slows it down; the reference is timed
  without that, so this is the like-for-like figure;
- the DynamoDB requests per frame (median; a TransactWriteItems is one request, its items shown apart);
- the same frames routed by the `ocpp` package's own `ChargePoint` (`route_message`, handlers returning
  a minimal valid CALLRESULT; it validates the request and its response) as the reference, and the ratios;
then the first frame on a container that did not see the `$connect`, the cold import of the WebSocket
handler module (`app.py`) with its heaviest imports, and whether stripe and the `ocpp` package's 2.0.1
dataclasses get imported by it or by handling frames.

The reference validates inline (`ocpp.messages.ASYNC_VALIDATION = False`): the platform validates
inline too, and the package's default (validation in a thread pool, twice per frame) adds thread
hand-offs to the dispatch. Its default is shown alongside. Logs and metrics are written as deployed (log
level INFO, an EMF line per metric), to /dev/null.

Run: `python -m tests.bench.ocpp_frames [--frames N] [--pairs N] [--runs N] [--log-level LEVEL]`; with
`--runs N` each run is a fresh interpreter and every figure is the median of the runs' figures.
"""
from __future__ import annotations

import argparse
import asyncio
import copy
import itertools
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tests.bench import ocpp_charger as bench
from tests.bench import ocpp_imports

_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
_WARM_FRAMES = 10  # of each kind, before timing
COLD_IMPORT_TARGET_MS = 300.0
RATIO_TARGET = 2.0


# -- DynamoDB requests, counted per frame ---------------------------------------------------------

@dataclass
class Tally:
    ns: int = 0  # spent inside DynamoDB calls
    ops: Counter[str] = field(default_factory=Counter)
    transact_items: int = 0

    def reads(self) -> int:
        return sum(n for op, n in self.ops.items() if op in _READS)

    def writes(self) -> int:
        return sum(n for op, n in self.ops.items() if op in _WRITES)


_tally = Tally()
_in_adapter = [0]  # ns spent in the message adapters' handlers (domain and store work), DynamoDB excluded


def _timing_adapters() -> None:
    """Time what the version adapters' handlers do, so that the gateway's own dispatch (parse, validate,
    route, record, encode, log, metrics) can be compared with the ocpp package's dispatch, which the
    reference's trivial handlers leave on its own."""
    from chalicelib.ocpp.v16.messages import V16Messages
    from chalicelib.ocpp.v201.messages import V201Messages

    for adapter in (V16Messages, V201Messages):
        original = adapter.handler

        def handler(self: Any, action: str, _original: Any = original) -> Any:
            found = _original(self, action)
            if found is None:
                return None

            def timed(payload: dict[str, Any]) -> Any:
                started, dynamodb = time.perf_counter_ns(), _tally.ns
                try:
                    return found(payload)
                finally:
                    _in_adapter[0] += (time.perf_counter_ns() - started) - (_tally.ns - dynamodb)
            return timed

        adapter.handler = handler  # type: ignore[method-assign]


class Replay:
    """Answers one frame's DynamoDB requests with what moto answered them the first time, in the same
    order (so the handler takes the same path, with no moto work between frames); the first request
    that does not match goes to moto and marks the frame as diverged."""

    def __init__(self, calls: list[tuple[str, Any]]) -> None:
        self._calls, self._next, self.diverged = calls, 0, False

    def answer(self, operation_name: str, live: Callable[[], Any]) -> Any:
        if self.diverged or self._next >= len(self._calls) or self._calls[self._next][0] != operation_name:
            self.diverged = True
            return live()
        outcome = self._calls[self._next][1]
        self._next += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return copy.deepcopy(outcome)

    @property
    def complete(self) -> bool:
        return not self.diverged and self._next == len(self._calls)


_recording: list[list[tuple[str, Any]]] = []  # while recording: [the current frame's requests and answers]
_replaying: list[Replay] = []  # while replaying: [the current frame's replay]


def _counting(original: Callable[..., Any]) -> Callable[..., Any]:
    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name != "dynamodb":
            return original(self, operation_name, api_params)
        started = time.perf_counter_ns()
        try:
            if _replaying:
                return _replaying[0].answer(operation_name, lambda: original(self, operation_name, api_params))
            try:
                answer = original(self, operation_name, api_params)
            except Exception as error:
                if _recording:
                    _recording[0].append((operation_name, error))
                raise
            if _recording:
                _recording[0].append((operation_name, answer))
            return answer
        finally:
            _tally.ns += time.perf_counter_ns() - started
            _tally.ops[operation_name] += 1
            if operation_name == "TransactWriteItems":
                _tally.transact_items += len(api_params.get("TransactItems", []))
    return make_api_call


# -- the platform's handler -----------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    ns: int
    own_ns: int
    reads: int
    writes: int
    transact_items: int
    ops: Counter[str]
    calls: list[tuple[str, Any]]  # the DynamoDB requests and moto's answers, to replay


@dataclass
class Row:
    kind: str
    version: str
    samples: list[Sample] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)  # the texts sent, for the replay and the reference
    station: Station | None = None
    replayed_own_ns: list[int] = field(default_factory=list)
    dispatch_ns: list[int] = field(default_factory=list)  # replayed own time less the adapter's work
    diverged: int = 0  # frames whose replay did not follow the recorded requests (left out)
    reference_ns: list[int] = field(default_factory=list)
    reference_async_ns: list[int] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        def ms(values: list[int]) -> float | None:
            return statistics.median(values) / 1e6 if values else None

        ops: Counter[str] = Counter()
        for sample in self.samples:
            ops.update(sample.ops)
        return {
            "kind": self.kind, "version": self.version, "n": len(self.samples),
            "ms": ms([s.ns for s in self.samples]), "own_ms": ms([s.own_ns for s in self.samples]),
            "replayed_own_ms": ms(self.replayed_own_ns), "diverged": self.diverged,
            "reads": statistics.median(s.reads for s in self.samples),
            "writes": statistics.median(s.writes for s in self.samples),
            "transact_items": statistics.median(s.transact_items for s in self.samples),
            "reads_max": max(s.reads for s in self.samples), "writes_max": max(s.writes for s in self.samples),
            "ops": {op: n / len(self.samples) for op, n in sorted(ops.items())},
            "ref_ms": ms(self.reference_ns), "ref_async_ms": ms(self.reference_async_ns),
            "ratio": _ratio(ms([s.own_ns for s in self.samples]), ms(self.reference_ns)),
            "replayed_ratio": _ratio(ms(self.replayed_own_ns), ms(self.reference_ns)),
            "dispatch_ms": ms(self.dispatch_ns), "dispatch_ratio": _ratio(ms(self.dispatch_ns), ms(self.reference_ns)),
        }


def _ratio(own: float | None, reference: float | None) -> float | None:
    return own / reference if own is not None and reference else None


class Station:
    """One charger's connection, its frames delivered to `app.ocpp_frame` as API Gateway would."""

    def __init__(self, app: Any, sender: bench.KeptSender, fleet: bench.Fleet, charger_id: str,
                 protocols: str) -> None:
        self._app, self._sender = app, sender
        self.connection_id = bench.new_connection_id()
        answer = app.ocpp_connect(bench.connect_event(self.connection_id, fleet.slugs[charger_id], charger_id,
                                                      fleet.passwords[charger_id], protocols), None)
        if answer["statusCode"] != 200:
            raise RuntimeError(f"$connect of {charger_id} refused: {answer}")
        self.protocol = answer["headers"]["Sec-WebSocket-Protocol"]

    def send(self, frame: str, row: Row | None = None) -> list[Any]:
        """Deliver a frame (timed, counted and recorded into `row`, if given); the CALLRESULT."""
        event = bench.frame_event(self.connection_id, frame)
        _tally.ns, _tally.transact_items = 0, 0
        _tally.ops.clear()
        calls: list[tuple[str, Any]] = []
        _recording[:] = [calls] if row is not None else []
        try:
            started = time.perf_counter_ns()
            self._app.ocpp_frame(event, None)
            elapsed = time.perf_counter_ns() - started
        finally:
            _recording.clear()
        if row is not None:
            row.samples.append(Sample(elapsed, elapsed - _tally.ns, _tally.reads(), _tally.writes(),
                                      _tally.transact_items, Counter(_tally.ops), calls))
            row.frames.append(frame)
            row.station = self
        return self._sender.answer(self.connection_id, frame)

    def replay(self, frame: str, calls: list[tuple[str, Any]]) -> tuple[int, int] | None:
        """Deliver a frame again, under a new message id, its DynamoDB requests answered from `calls`:
        the own time, or None when the handler did not make the recorded requests."""
        message = json.loads(frame)
        message[1] = f"r{next(_replay_ids)}"
        renumbered = json.dumps(message, separators=(",", ":"))
        event = bench.frame_event(self.connection_id, renumbered)
        _tally.ns = 0
        _in_adapter[0] = 0
        replay = Replay(calls)
        _replaying[:] = [replay]
        try:
            started = time.perf_counter_ns()
            self._app.ocpp_frame(event, None)
            elapsed = time.perf_counter_ns() - started
        finally:
            _replaying.clear()
        self._sender.answer(self.connection_id, renumbered)
        return (elapsed - _tally.ns, _in_adapter[0]) if replay.complete else None


_replay_ids = itertools.count(1)


def _replay(rows: list[Row]) -> None:
    """Each row's frames again, kind by kind, with DynamoDB answered from the recording: the handler's
    own time with no moto work between frames (as the reference is timed)."""
    for row in rows:
        if row.station is None:
            continue
        for frame, sample in zip(row.frames, row.samples, strict=True):
            replayed = row.station.replay(frame, sample.calls)
            if replayed is None:
                row.diverged += 1
            else:
                own, adapter = replayed
                row.replayed_own_ns.append(own)
                row.dispatch_ns.append(own - adapter)


@contextmanager
def _quiet() -> Iterator[None]:
    """Logs and EMF metrics go to /dev/null (they are still formatted, as in Lambda)."""
    from chalicelib.observability import logger

    handler = logger.registered_handler
    with open(os.devnull, "w") as devnull:
        saved_stdout = sys.stdout
        saved_stream = handler.setStream(devnull) if isinstance(handler, logging.StreamHandler) else None
        sys.stdout = devnull
        try:
            yield
        finally:
            sys.stdout = saved_stdout
            if saved_stream is not None and isinstance(handler, logging.StreamHandler):
                handler.setStream(saved_stream)


class Charger16:
    """The benchmarked frames of an OCPP 1.6 charger: a transaction runs on connector 1 (its MeterValues),
    connector 2 starts and stops transactions."""

    def __init__(self, station: Station) -> None:
        self.station, self.f = station, bench.Frames16()
        self.heartbeat, self.status = Row("Heartbeat", "1.6"), Row("StatusNotification", "1.6")
        self.meter = Row("MeterValues (in a transaction)", "1.6")
        self.start, self.stop = Row("StartTransaction", "1.6"), Row("StopTransaction", "1.6")
        self.rows = [self.heartbeat, self.status, self.meter, self.start, self.stop]
        self.long_tx = 0

    def warm_up(self) -> None:
        self.station.send(self.f.boot())
        for connector_id in (1, 2):
            self.station.send(self.f.status(connector_id))
        self.long_tx = self.station.send(self.f.start(1, bench.TAG_16_LONG))[2]["transactionId"]
        self.transactions(2, timed=False)
        self.frames(_WARM_FRAMES, timed=False)

    def transactions(self, pairs: int, timed: bool = True) -> None:
        for _ in range(pairs):
            answer = self.station.send(self.f.start(2, bench.TAG_16_PAIRS), self.start if timed else None)
            self.station.send(self.f.stop(answer[2]["transactionId"], bench.TAG_16_PAIRS), self.stop if timed else None)

    def frames(self, count: int, timed: bool = True) -> None:
        for _ in range(count):
            self.station.send(self.f.heartbeat(), self.heartbeat if timed else None)
        for _ in range(count):
            self.station.send(self.f.status(1, "Charging"), self.status if timed else None)
        for _ in range(count):
            self.station.send(self.f.meter_values(1, self.long_tx), self.meter if timed else None)


class Charger201:
    """The same for an OCPP 2.0.1 charging station: transaction LONG runs on EVSE 1 (its periodic
    TransactionEvent Updated), EVSE 2 starts and ends transactions."""

    def __init__(self, station: Station) -> None:
        self.station, self.f = station, bench.Frames201()
        self.heartbeat, self.status = Row("Heartbeat", "2.0.1"), Row("StatusNotification", "2.0.1")
        self.meter = Row("MeterValues", "2.0.1")
        self.periodic = Row("TransactionEvent Updated (MeterValuePeriodic)", "2.0.1")
        self.started, self.ended = Row("TransactionEvent Started", "2.0.1"), Row("TransactionEvent Ended", "2.0.1")
        self.rows = [self.heartbeat, self.status, self.meter, self.periodic, self.started, self.ended]
        self._ids = (f"TX-{n}" for n in range(10**9))

    def warm_up(self) -> None:
        self.station.send(self.f.boot())
        for evse_id in (1, 2):
            self.station.send(self.f.status(evse_id))
        self.station.send(self.f.started("LONG", 1, bench.TAG_201_LONG))
        self.transactions(2, timed=False)
        self.frames(_WARM_FRAMES, timed=False)

    def transactions(self, pairs: int, timed: bool = True) -> None:
        for _ in range(pairs):
            transaction_id = next(self._ids)
            self.station.send(self.f.started(transaction_id, 2, bench.TAG_201_PAIRS), self.started if timed else None)
            self.station.send(self.f.ended(transaction_id, bench.TAG_201_PAIRS), self.ended if timed else None)

    def frames(self, count: int, timed: bool = True) -> None:
        for _ in range(count):
            self.station.send(self.f.heartbeat(), self.heartbeat if timed else None)
        for _ in range(count):
            self.station.send(self.f.status(1, "Occupied"), self.status if timed else None)
        for _ in range(count):
            self.station.send(self.f.meter_values(1), self.meter if timed else None)
        for _ in range(count):
            self.station.send(self.f.updated("LONG"), self.periodic if timed else None)


# -- the reference: the `ocpp` package's own routing -----------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def _on(action: str) -> Callable[[F], F]:
    from ocpp.routing import on

    decorator: Callable[[F], F] = on(action)
    return decorator


class _Connection:
    """What a ChargePoint sends through; keeps the last message."""

    def __init__(self) -> None:
        self.last = ""

    async def send(self, message: str) -> None:
        self.last = message


def _reference_point(version: str) -> Any:
    """A central system's ChargePoint of the given version with a handler per benchmarked action."""
    if version == "1.6":
        from ocpp.v16 import ChargePoint, call_result, datatypes, enums

        accepted = enums.AuthorizationStatus.accepted

        class Reference16(ChargePoint):  # type: ignore[misc]
            @_on(enums.Action.heartbeat)
            def heartbeat(self, **_: Any) -> Any:
                return call_result.Heartbeat(current_time=_now())

            @_on(enums.Action.status_notification)
            def status_notification(self, **_: Any) -> Any:
                return call_result.StatusNotification()

            @_on(enums.Action.meter_values)
            def meter_values(self, **_: Any) -> Any:
                return call_result.MeterValues()

            @_on(enums.Action.start_transaction)
            def start_transaction(self, **_: Any) -> Any:
                return call_result.StartTransaction(transaction_id=1, id_tag_info=datatypes.IdTagInfo(accepted))

            @_on(enums.Action.stop_transaction)
            def stop_transaction(self, id_tag: str | None = None, **_: Any) -> Any:
                return call_result.StopTransaction(id_tag_info=datatypes.IdTagInfo(accepted) if id_tag else None)

        return Reference16("CP-16", _Connection())

    from ocpp.v201 import ChargePoint as ChargePoint201
    from ocpp.v201 import call_result as result201
    from ocpp.v201 import datatypes as datatypes201
    from ocpp.v201 import enums as enums201

    accepted201 = enums201.AuthorizationStatusEnumType.accepted

    class Reference201(ChargePoint201):  # type: ignore[misc]
        @_on(enums201.Action.heartbeat)
        def heartbeat(self, **_: Any) -> Any:
            return result201.Heartbeat(current_time=_now())

        @_on(enums201.Action.status_notification)
        def status_notification(self, **_: Any) -> Any:
            return result201.StatusNotification()

        @_on(enums201.Action.meter_values)
        def meter_values(self, **_: Any) -> Any:
            return result201.MeterValues()

        @_on(enums201.Action.transaction_event)
        def transaction_event(self, id_token: dict[str, Any] | None = None, **_: Any) -> Any:
            return result201.TransactionEvent(
                id_token_info=datatypes201.IdTokenInfoType(status=accepted201) if id_token else None)

    return Reference201("CP-201", _Connection())


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _reference(rows: list[Row], async_validation: bool) -> None:
    """Route each row's frames through a fresh ChargePoint of its version, timed per frame."""
    import ocpp.messages

    ocpp.messages.ASYNC_VALIDATION = async_validation

    async def route(point: Any, frames: list[str], times: list[int] | None) -> None:
        for frame in frames:
            started = time.perf_counter_ns()
            await point.route_message(frame)
            elapsed = time.perf_counter_ns() - started
            if not point._connection.last.startswith("[3,"):
                raise RuntimeError(f"the reference answered {frame[:120]} with {point._connection.last}")
            if times is not None:
                times.append(elapsed)

    async def run() -> None:
        points = {version: _reference_point(version) for version in ("1.6", "2.0.1")}
        for row in rows:
            await route(points[row.version], row.frames[:_WARM_FRAMES], None)
        for row in rows:
            times = row.reference_async_ns if async_validation else row.reference_ns
            await route(points[row.version], row.frames, times)

    asyncio.run(run())


# -- one run --------------------------------------------------------------------------------------

def measure(frames: int, pairs: int) -> dict[str, Any]:
    """One run in this interpreter: the rows' figures, the new-container frames, the tables' contents."""
    import botocore.client
    from moto import mock_aws

    botocore.client.BaseClient._make_api_call = _counting(botocore.client.BaseClient._make_api_call)
    _timing_adapters()
    import app
    from chalicelib import composition
    from chalicelib.store.table import create_table

    sender = bench.KeptSender()
    setattr(app, "sender_of", lambda event: sender)  # noqa: B010 (the management API, faked)
    with mock_aws():
        create_table()
        with _quiet():
            fleet = bench.set_up_fleet()
            state = bench.dump_state(fleet)
            v16 = Station(app, sender, fleet, bench.CHARGER_16, "ocpp1.6")
            v201 = Station(app, sender, fleet, bench.CHARGER_201, "ocpp2.0.1, ocpp1.6")
            if (v16.protocol, v201.protocol) != ("ocpp1.6", "ocpp2.0.1"):
                raise RuntimeError(f"negotiated {v16.protocol} and {v201.protocol}")
            # A frame on a container that did not see the $connect: it reads the connection and the
            # charger, and writes last seen; the frames after it are on a warm container.
            composition.ocpp_gateway.cache_clear()
            first = [Row("Heartbeat, first frame on a new container", "1.6"),
                     Row("Heartbeat, first frame on a new container", "2.0.1")]
            v16.send(bench.Frames16().heartbeat(), first[0])
            v201.send(bench.Frames201().heartbeat(), first[1])
            chargers = (Charger16(v16), Charger201(v201))
            for charger in chargers:
                charger.warm_up()
            # Transactions before the bulk of the frames: moto copies every table for each
            # TransactWriteItems and reads a whole partition for a Query, so they slow down as the
            # tables fill (DynamoDB does not).
            for charger in chargers:
                charger.transactions(pairs)
            for charger in chargers:
                charger.frames(frames)
            rows = chargers[0].rows + chargers[1].rows
            _replay(rows)
    _reference(rows, async_validation=False)
    _reference(rows, async_validation=True)
    return {"rows": [row.figures() for row in rows], "first": [row.figures() for row in first], "state": state}


def _median_of(runs: list[dict[str, Any]], part: str) -> list[dict[str, Any]]:
    """Each figure of each row: the median over the runs."""
    merged = []
    for index, row in enumerate(runs[0][part]):
        figures: dict[str, Any] = dict(row)
        for name, value in row.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                figures[name] = statistics.median(run[part][index][name] for run in runs)
        figures["ops"] = {op: statistics.median(run[part][index]["ops"].get(op, 0) for run in runs)
                          for op in row["ops"]}
        merged.append(figures)
    return merged


# -- the report -----------------------------------------------------------------------------------

def _ops(ops: dict[str, float], transact_items: float) -> str:
    parts = [f"{op} {n:g}" + (f" ({transact_items:g} items)" if op == "TransactWriteItems" else "")
             for op, n in ops.items()]
    return ", ".join(parts) or "none"


def _f(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _report(runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    rows, first = _median_of(runs, "rows"), _median_of(runs, "first")
    how = f"median of {len(runs)} runs' medians" if len(runs) > 1 else "medians"
    print(f"OCPP frames on a warm container, in-process on moto ({how}; {args.frames} frames of each kind, "
          f"{args.pairs} transactions; log level {os.environ.get('POWERTOOLS_LOG_LEVEL', 'INFO')})")
    print(f"{'frame':46} {'ver':5} {'median':>7} {'own':>6} {'replayed':>8} {'reads':>5} {'writes':>6} "
          f"{'ChargePoint':>11} {'own/ref':>7} {'replayed/ref':>12} {'ChargePoint':>11} {'dispatch':>8} "
          f"{'dispatch/ref':>12}")
    print(f"{'':46} {'':5} {'ms':>7} {'ms':>6} {'own ms':>8} {'':>5} {'':>6} {'ms':>11} {'':>7} {'':>12} "
          f"{'async ms':>11} {'ms':>8}")
    for row in rows:
        print(f"{row['kind']:46} {row['version']:5} {row['ms']:7.2f} {row['own_ms']:6.3f} "
              f"{_f(row['replayed_own_ms'], 3):>8} {row['reads']:5g} {row['writes']:6g} {row['ref_ms']:11.3f} "
              f"{_f(row['ratio'], 2):>7} {_f(row['replayed_ratio'], 2):>12} {row['ref_async_ms']:11.3f} "
              f"{_f(row['dispatch_ms'], 3):>8} {_f(row['dispatch_ratio'], 2):>12}")
    print("  own: the handler's time less the time inside DynamoDB calls. replayed own: the same frames again,\n"
          "  DynamoDB answered with moto's recorded answers (no moto work between frames, which otherwise\n"
          "  evicts the handler's code and data from the CPU caches), timed like the reference.\n"
          "  ChargePoint: the ocpp package's route_message, validation inline; async: its default (thread pool).\n"
          "  dispatch: replayed own time less what the message adapter's handler did (the domain and store\n"
          "  work the reference's trivial handlers do not do): parse, validate, route, replay records, encode,\n"
          "  log and metrics, which is what the ocpp package's dispatch does for the reference.")
    diverged = [f"{r['kind']} {r['version']} {r['diverged']:g}" for r in rows if r["diverged"]]
    if diverged:
        print("  replays left out (the handler made other requests than recorded): " + ", ".join(diverged))
    print("\nDynamoDB requests per frame by operation (mean over a run's frames):")
    for row in rows:
        spread = (f"; at most {row['reads_max']:g} reads, {row['writes_max']:g} writes"
                  if (row["reads_max"], row["writes_max"]) != (row["reads"], row["writes"]) else "")
        print(f"  {row['kind']} {row['version']}: {_ops(row['ops'], row['transact_items'])}{spread}")
    for row in first:
        print(f"  {row['kind']} {row['version']}: {row['ms']:.2f} ms, own {row['own_ms']:.2f} ms; "
              f"{_ops(row['ops'], row['transact_items'])}")

    times = ocpp_imports.cold_import_ms(args.imports)
    cold = statistics.median(times)
    print(f"\ncold import of app.py, the WebSocket handler module: median {cold:.0f} ms of {args.imports} fresh "
          f"interpreters (min {min(times):.0f}, max {max(times):.0f})")
    profile = ocpp_imports.import_profile()
    print("  top 10 cumulative (-X importtime, one run):")
    for line in sorted(profile, key=lambda line: -line.cumulative_us)[:10]:
        print(f"    {line.cumulative_us / 1000:7.1f} ms  {'  ' * line.depth}{line.module}")
    print("  per package, own time summed (same run): " + ", ".join(
        f"{package} {us / 1000:.0f}" for package, us in ocpp_imports.by_package(profile)[:12]) + " ms")
    print("  loaded after each step (watched: " + ", ".join(ocpp_imports.WATCHED) + "):")
    for stage, modules in ocpp_imports.watched_modules(runs[0]["state"]):
        print(f"    {stage:42} {', '.join(modules) or '-'}")

    print("\ntargets:")
    light = [row for row in rows if row["kind"].startswith(("Heartbeat", "MeterValues", "TransactionEvent Updated"))]
    missed = [row for row in light if row["reads"] > 0 or row["writes"] > 1]
    print(f"  Heartbeat/MeterValues on a warm container, <= 1 write and no read: {'met' if not missed else 'MISSED'} ("
          + "; ".join(f"{r['kind']} {r['version']}: {r['reads']:g} reads, {r['writes']:g} writes" for r in light)
          + ")")
    for name, key in (("own", "ratio"), ("replayed own", "replayed_ratio"), ("dispatch", "dispatch_ratio")):
        slow = [f"{r['kind']} {r['version']} {r[key]:.3f}x" for r in rows if r[key] is None or r[key] > RATIO_TARGET]
        print(f"  {name} time within {RATIO_TARGET:g}x of the ocpp ChargePoint's: "
              + (f"met for all {len(rows)}" if not slow else
                 f"MISSED for {len(slow)} of {len(rows)} ({', '.join(slow)})"))
    print(f"  cold import of the WebSocket path <= {COLD_IMPORT_TARGET_MS:.0f} ms: "
          f"{'met' if cold <= COLD_IMPORT_TARGET_MS else 'MISSED'} ({cold:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300, help="timed frames of each kind")
    parser.add_argument("--pairs", type=int, default=60, help="timed transactions (start and stop) per version")
    parser.add_argument("--runs", type=int, default=1, help="fresh interpreters; figures are medians over them")
    parser.add_argument("--imports", type=int, default=9, help="fresh interpreters timing `import app`")
    parser.add_argument("--log-level", help="POWERTOOLS_LOG_LEVEL (default: as deployed, INFO)")
    parser.add_argument("--json", action="store_true", help="one run's figures as JSON (used by --runs)")
    args = parser.parse_args()
    bench.use_bench_environment()
    if args.log_level:
        os.environ["POWERTOOLS_LOG_LEVEL"] = args.log_level
    if args.json:
        result = measure(args.frames, args.pairs)
        print(json.dumps(result))
        return
    if args.runs == 1:
        runs = [measure(args.frames, args.pairs)]
    else:
        command = [sys.executable, "-m", "tests.bench.ocpp_frames", "--json", "--frames", str(args.frames),
                   "--pairs", str(args.pairs)]
        runs = [json.loads(subprocess.run(command, capture_output=True, text=True, check=True,
                                          cwd=ocpp_imports.PROJECT).stdout) for _ in range(args.runs)]
    _report(runs, args)


if __name__ == "__main__":
    main()
