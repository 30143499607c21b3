"""Injected failures for tests: the next N requests whose path matches a pattern (fnmatch: `*` matches within and
across segments) answer 500 `api_error`, either

- `before`: before anything runs: nothing changes and nothing is saved under the Idempotency-Key, so a retry with
  the same key runs the request for the first time; or
- `after`: after the request ran: its effects stay and its answer is saved under the Idempotency-Key, but the
  client receives a 500 (a lost response), so a retry with the same key gets the saved success
  (`Idempotent-Replayed: true`) and nothing is done twice.
"""
from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass
from typing import Literal

When = Literal["before", "after"]


@dataclass
class Fault:
    method: str
    path: str
    when: When
    remaining: int


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, path: str, times: int, when: When, method: str) -> None:
        if when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', not {when!r}")
        with self._lock:
            self._faults.append(Fault(method.upper(), path, when, times))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str, when: When) -> bool:
        """Whether this request fails here (using up one of the fault's N)."""
        with self._lock:
            for fault in self._faults:
                if fault.when == when and fault.method == method and fnmatch.fnmatchcase(path, fault.path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return True
            return False
