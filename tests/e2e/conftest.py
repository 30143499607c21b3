"""The local runtime (`python -m infra.local`, what `make dev` runs), started once per test session."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.ports import port_is_free

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningRuntime:
    process: subprocess.Popen[str]
    port: int
    ws_port: int
    lines: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return "\n".join(self.lines)

    @property
    def stripe_url(self) -> str:
        """The offline Stripe sandbox's URL, from the banner's "Stripe" line."""
        url = self.banner_value("Stripe")
        assert url.startswith("http://"), f"no Stripe sandbox in the banner: {url}"
        return url

    def banner_value(self, label: str) -> str:
        for line in self.lines:
            if line.strip().startswith(label):
                return line.strip()[len(label):].split()[0]
        raise KeyError(label)


@pytest.fixture(scope="session")
def runtime() -> Iterator[RunningRuntime]:
    port, ws_port = free_port(), free_port()
    # The runtime starts from a newcomer's environment, not the test process's (tests/conftest.py sets some).
    ours = {"DYNAMODB_ENDPOINT", "TABLE_NAME", "OCPP_BASE_URL", "PUBLIC_BASE_URL"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ours}
    env.update(PORT=str(port), WS_PORT=str(ws_port), SEED_DEMO="1", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    running = RunningRuntime(process, port, ws_port)
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.lines.append(line.rstrip("\n"))
            if line.startswith("ready:"):
                ready.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the local runtime did not start:\n{running.output()}")
    moto_port = int(running.banner_value("DynamoDB (moto)").rsplit(":", 1)[1])
    yield running

    # Ctrl-C must stop it cleanly and free its ports.
    process.send_signal(signal.SIGINT)
    try:
        code = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the local runtime did not stop within 30 s of Ctrl-C")
    reader.join(timeout=5)
    assert code == 0, running.output()
    assert "stopped" in running.lines
    assert port_is_free(port)
    assert port_is_free(moto_port)
