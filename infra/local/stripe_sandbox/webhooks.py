"""Webhook delivery as Stripe does it: each event POSTed as JSON to the endpoint with a `Stripe-Signature` header
(`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the signing secret>`), from a background thread so the
customer's page never waits on the platform, retried a few times with a short backoff on a non-2xx answer or a
connection error (Stripe retries for days; a test cannot wait that long)."""
from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

DEFAULT_SECRET = "whsec_local_stripe_sandbox"


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


@dataclass(frozen=True)
class Delivery:
    event_id: str
    event_type: str
    attempt: int
    status: int | None  # None: the endpoint could not be reached
    url: str


class WebhookSender:
    def __init__(self, url: str | None, secret: str, *, attempts: int = 4, backoff_s: float = 0.05,
                 timeout_s: float = 5.0) -> None:
        self._url = url
        self._secret = secret
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._timeout_s = timeout_s
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._idle = threading.Condition()
        self._unfinished = 0
        self.deliveries: list[Delivery] = []
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
        self._thread: threading.Thread | None = None

    @property
    def is_configured(self) -> bool:
        return self._url is not None

    def configure(self, url: str | None, secret: str) -> None:
        self._url, self._secret = url, secret

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stripe-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def send(self, event: dict[str, Any]) -> None:
        if self._url is None:
            return
        with self._idle:
            self._unfinished += 1
        self._queue.put(event)

    def wait_until_idle(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._unfinished:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
            return True

    def _run(self) -> None:
        while (event := self._queue.get()) is not None:
            try:
                self._deliver(event)
            finally:
                with self._idle:
                    self._unfinished -= 1
                    self._idle.notify_all()

    def _deliver(self, event: dict[str, Any]) -> None:
        payload = json.dumps(event, indent=2).encode()
        for attempt in range(1, self._attempts + 1):
            url, secret = self._url, self._secret
            if url is None:
                return
            status = self._post(url, payload, signature_header(payload, secret, int(time.time())))
            self.deliveries.append(Delivery(event["id"], event["type"], attempt, status, url))
            if status is not None and 200 <= status < 300:
                return
            if attempt < self._attempts:
                time.sleep(self._backoff_s * 3 ** (attempt - 1))

    def _post(self, url: str, payload: bytes, signature: str) -> int | None:
        request = urllib.request.Request(url, data=payload, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature,
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
        try:
            with self._opener.open(request, timeout=self._timeout_s) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except (OSError, urllib.error.URLError):
            return None
