"""The CDK app synthesized once per session, offline, as `cdk synth` runs it: `python -m infra.aws` in a subprocess.

A subprocess because synthesis imports app.py and Chalice writes the stage's environment (CDK tokens) into
os.environ while it packages; the tests' own process keeps its environment. The first synthesis after a
requirements change downloads the runtime's arm64 wheels from PyPI into .chalice/deployments/; later ones
reuse them and need no network.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
STACK_NAME = "evcharge"
# jsii warns on every start that node 20 is past its end of life; the warning says nothing about the stack.
QUIET_NODE = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
os.environ.update(QUIET_NODE)  # for the jsii runtime the assertions start in this process


@dataclass
class Synthesized:
    template: dict[str, Any]
    path: Path
    seconds: float

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.template["Resources"].items() if r["Type"] == resource_type}

    def one(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.items()))


def synthesize(outdir: Path, context: dict[str, Any] | None = None) -> Synthesized:
    env = {
        **os.environ, **QUIET_NODE,
        "PYTHONPATH": str(PROJECT_DIR),
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(context or {}),
    }
    started = time.perf_counter()
    # cwd: Chalice's construct leaves its packaging in ./chalice.out.
    subprocess.run([sys.executable, "-m", "infra.aws"], cwd=outdir, env=env, check=True, timeout=600)
    path = outdir / f"{STACK_NAME}.template.json"
    return Synthesized(json.loads(path.read_text()), path, time.perf_counter() - started)


RECEIPT_SENDER = "receipts@cpo.example"


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("cdk.out"), {"receiptSender": RECEIPT_SENDER})
