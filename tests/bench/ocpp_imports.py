"""What the WebSocket handler path imports: the cold import of `app.py` (the module the WebSocket functions
load before their first frame), its heaviest imports (`-X importtime`), and whether modules the frame path
does not need (stripe, the `ocpp` package's 2.0.1 dataclasses) get imported by `import app` and by
handling frames.

Used by `python -m tests.bench.ocpp_frames`; `python -m tests.bench.ocpp_imports --probe` is the
interpreter whose modules are watched (it reads the tables' contents to seed moto with on stdin).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
# Modules the frame path should never need, and the validator it needs only once a frame arrives.
WATCHED = ("stripe", "ocpp.v201", "ocpp.v201.call", "ocpp.v201.call_result", "ocpp.v201.datatypes",
           "ocpp.v201.enums", "ocpp.v16.call", "ocpp.v16.datatypes", "jsonschema")
_PROBE = "import time; t = time.perf_counter(); import app; print((time.perf_counter() - t) * 1000)"


def _python(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True, cwd=PROJECT,
                          input=stdin, env={**os.environ})


def cold_import_ms(runs: int) -> list[float]:
    """`import app` in fresh interpreters, timed from inside (interpreter start-up left out)."""
    return [float(_python("-c", _PROBE).stdout) for _ in range(runs)]


@dataclass(frozen=True)
class ImportLine:
    module: str
    depth: int
    self_us: int
    cumulative_us: int


def import_profile() -> list[ImportLine]:
    """`python -X importtime -c "import app"`, parsed."""
    lines = []
    for line in _python("-X", "importtime", "-c", "import app").stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        lines.append(ImportLine(name.strip(), depth, int(self_us), int(cumulative_us)))
    return lines


def by_package(lines: list[ImportLine]) -> list[tuple[str, int]]:
    """Import time per top-level package (the sum of its modules' own times), most first."""
    totals: dict[str, int] = {}
    for line in lines:
        package = line.module.split(".")[0]
        totals[package] = totals.get(package, 0) + line.self_us
    return sorted(totals.items(), key=lambda kv: -kv[1])


def watched_modules(state: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Which WATCHED modules are loaded after each step of a fresh interpreter (see `_probe`)."""
    probed = _python("-m", "tests.bench.ocpp_imports", "--probe", stdin=json.dumps(state)).stdout
    stages = json.loads(probed.splitlines()[-1])  # the last line: the handlers log to stdout before it
    return [(str(stage), [str(m) for m in modules]) for stage, modules in stages]


def _loaded() -> list[str]:
    return [name for name in WATCHED if name in sys.modules]


def _probe() -> None:
    """Import app, then, on moto seeded with the given tables, connect chargers and send frames; print
    which WATCHED modules each step had loaded. moto, the harness, is imported after `import app`."""
    from tests.bench import ocpp_charger as bench

    bench.use_bench_environment()
    state = json.load(sys.stdin)
    stages: list[tuple[str, list[str]]] = [("before import app", _loaded())]
    import app

    stages.append(("import app", _loaded()))
    from moto import mock_aws

    from chalicelib.store.table import create_table

    stages.append(("+ moto (the bench harness)", _loaded()))
    with mock_aws():
        create_table()
        fleet = bench.load_state(state)
        sender = bench.KeptSender()
        setattr(app, "sender_of", lambda event: sender)  # noqa: B010 (the management API, faked)

        def connect(charger_id: str, protocols: str) -> str:
            connection_id = bench.new_connection_id()
            event = bench.connect_event(connection_id, fleet.slugs[charger_id], charger_id,
                                        fleet.passwords[charger_id], protocols)
            app.ocpp_connect(event, None)
            return connection_id

        def send(connection_id: str, frame: str) -> list[Any]:
            app.ocpp_frame(bench.frame_event(connection_id, frame), None)
            return sender.answer(connection_id, frame)

        c16 = connect(bench.CHARGER_16, "ocpp1.6")
        stages.append(("+ $connect (1.6)", _loaded()))
        v16 = bench.Frames16()
        send(c16, v16.heartbeat())
        stages.append(("+ one 1.6 Heartbeat", _loaded()))
        send(c16, v16.status(1, "Preparing"))
        transaction_id = send(c16, v16.start(1, bench.TAG_16_LONG))[2]["transactionId"]
        send(c16, v16.meter_values(1, transaction_id))
        send(c16, v16.stop(transaction_id, bench.TAG_16_LONG))
        stages.append(("+ 1.6 Status, Start, MeterValues, Stop", _loaded()))
        c201 = connect(bench.CHARGER_201, "ocpp2.0.1,ocpp1.6")
        v201 = bench.Frames201()
        for frame in (v201.heartbeat(), v201.status(1), v201.meter_values(1), v201.started("T1", 1, bench.TAG_201_LONG),
                      v201.updated("T1"), v201.ended("T1", bench.TAG_201_LONG)):
            send(c201, frame)
        stages.append(("+ $connect (2.0.1) and its frames", _loaded()))
    print(json.dumps(stages))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", action="store_true", help="be the watched interpreter (tables on stdin)")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    if args.probe:
        _probe()
        return
    times = cold_import_ms(args.runs)
    print(f"cold import of app.py: median {statistics.median(times):.0f} ms of {args.runs}")


if __name__ == "__main__":
    main()
