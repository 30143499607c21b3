"""Starts, in one process, moto's server (DynamoDB with the platform's table), the WebSocket gateway (API
Gateway's WebSocket API and its @connections endpoint) and the REST API, both calling the same Chalice app
that runs in Lambda, prints what a newcomer needs, and stops cleanly on Ctrl-C or SIGTERM.

Environment: PORT (REST API, default 8000), HOST (default 127.0.0.1), WS_PORT (the OCPP WebSocket port,
written into chargers' URLs, default 9000), WS_MANAGEMENT_PORT (the @connections endpoint, loopback only,
default: any free port), WS_IDLE_TIMEOUT_S (default 600) and WS_MAX_CONNECTION_S (default 7200), as in AWS,
MOTO_PORT (default: any free port), STRIPE_PORT (the offline Stripe sandbox, default: any free port; not
started when STRIPE_SECRET_KEY is set, then real Stripe in test mode is used and STRIPE_WEBHOOK_SECRET must be
the signing secret of a webhook endpoint pointing at /webhooks/stripe, e.g. from `stripe listen`),
SEED_DEMO=1 (create a demo tenant, site, charger and token and print their credentials).
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]
LOCAL_RECEIPT_SENDER = "receipts@evcharge.local"
PAYMENT_SWEEP_INTERVAL_S = 120  # app.py's sweep_payments schedule
_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
}


@dataclass
class LocalRuntime:
    host: str = "127.0.0.1"
    port: int = 8000
    moto_port: int = 0
    ws_port: int = 9000
    ws_management_port: int = 0
    ws_idle_timeout_s: float = 600
    ws_max_connection_s: float = 7200
    _dynamodb: Any = None
    _ws: Any = None
    _rest: Any = None
    _stripe: Any = None
    _workflows: Any = None
    stripe_port: int = 0
    _threads: list[threading.Thread] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def from_env(cls) -> LocalRuntime:
        return cls(
            host=os.environ.get("HOST", "127.0.0.1"),
            port=int(os.environ.get("PORT", "8000")),
            moto_port=int(os.environ.get("MOTO_PORT", "0")),
            ws_port=int(os.environ.get("WS_PORT", "9000")),
            ws_management_port=int(os.environ.get("WS_MANAGEMENT_PORT", "0")),
            ws_idle_timeout_s=float(os.environ.get("WS_IDLE_TIMEOUT_S", "600")),
            ws_max_connection_s=float(os.environ.get("WS_MAX_CONNECTION_S", "7200")),
            stripe_port=int(os.environ.get("STRIPE_PORT", "0")),
        )

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def dynamodb_url(self) -> str:
        return str(self._dynamodb.url)

    @property
    def ocpp_url(self) -> str:
        return f"ws://{self.host}:{self._ws.port}/ocpp/{{tenant_slug}}/{{charge_point_id}}"

    @property
    def ws_management_url(self) -> str:
        return str(self._ws.management_url)

    @property
    def stripe_url(self) -> str | None:
        """The offline Stripe sandbox's API, None when real Stripe is configured."""
        return None if self._stripe is None else str(self._stripe.url)

    @property
    def stripe_sandbox(self) -> Any:
        return self._stripe

    def start(self) -> None:
        from infra.local.dynamodb import LocalDynamoDB

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines are noise here
        _print_ws_log_lines()
        # Local credentials only: the runtime must never talk to a real AWS account.
        os.environ.update(_FAKE_AWS)
        self._dynamodb = LocalDynamoDB(port=self.moto_port)  # loopback only, whatever HOST says
        self._dynamodb.start()
        os.environ["DYNAMODB_ENDPOINT"] = self.dynamodb_url
        os.environ["AWS_ENDPOINT_URL_SFN"] = self.dynamodb_url  # the workflow starter's Step Functions
        os.environ["AWS_ENDPOINT_URL_SES"] = self.dynamodb_url  # receipts: moto keeps the emails it is sent
        os.environ.setdefault("RECEIPT_SENDER", LOCAL_RECEIPT_SENDER)
        os.environ.setdefault("TABLE_NAME", "evcharge")
        os.environ.setdefault("PUBLIC_BASE_URL", self.rest_url)
        try:
            self._start_stripe()
            self._start_apis()
        except BaseException:
            self.stop()
            raise

    def _start_stripe(self) -> None:
        """Without a Stripe key, the offline sandbox stands in, its webhooks signed and sent to the REST API."""
        if os.environ.get("STRIPE_SECRET_KEY"):
            return
        from infra.local.stripe_sandbox.server import LocalStripe

        secret = "whsec_local_sandbox"
        self._stripe = LocalStripe(self.stripe_port, host=self.host, webhook_url=f"{self.rest_url}/webhooks/stripe",
                                   webhook_secret=secret).start()
        os.environ.update(STRIPE_SECRET_KEY="sk_test_local_sandbox", STRIPE_API_BASE=self._stripe.url,
                          STRIPE_WEBHOOK_SECRET=secret)

    def _start_apis(self) -> None:
        from chalice.cli.factory import CLIFactory

        from infra.local.ws_gateway import WebSocketGateway, websocket_handlers

        config = CLIFactory(str(PROJECT_DIR)).create_config_obj(chalice_stage_name="dev")
        for name, value in config.environment_variables.items():
            os.environ.setdefault(name, value)
        # The gateway first: the platform's settings, read once as chalicelib is imported, need its ports.
        # It refuses every upgrade until it has the app's handlers, once the table exists.
        self._ws = WebSocketGateway(
            host=self.host, port=self.ws_port, management_port=self.ws_management_port,
            stage=config.api_gateway_stage or "api", lambda_memory_mb=config.lambda_memory_size or 512,
            lambda_timeout_s=config.lambda_timeout or 30, idle_timeout_s=self.ws_idle_timeout_s,
            max_connection_s=self.ws_max_connection_s,
        )
        self._ws.start()
        os.environ.setdefault("OCPP_BASE_URL", f"ws://{self.host}:{self._ws.port}/ocpp")
        os.environ["WS_MANAGEMENT_URL"] = self._ws.management_url
        # Imported only now: the settings come from the environment set above.
        from chalicelib.store.table import create_table

        create_table()
        import boto3

        boto3.client("ses").verify_email_identity(EmailAddress=os.environ["RECEIPT_SENDER"])
        from app import app
        from chalicelib.workflows.starter import state_machine_arn_variable
        from infra.local.rest_gateway import create_rest_server
        from infra.local.workflows import LocalWorkflows

        # The workflows (billing) from their ASL files on moto's engine, their tasks run by the app's functions.
        self._workflows = LocalWorkflows(app, endpoint_url=self.dynamodb_url)
        for name, arn in self._workflows.start().items():
            os.environ[state_machine_arn_variable(name)] = arn
        self._ws.set_handlers(websocket_handlers(app))
        # EventBridge's schedule, locally: the payment sweep every 2 minutes, as in AWS.
        sweeping = threading.Thread(target=self._sweep_payments, name="payment-sweep", daemon=True)
        sweeping.start()
        self._threads.append(sweeping)
        self._rest = create_rest_server(app, config, self.host, self.port)
        thread = threading.Thread(target=self._rest.server.serve_forever, name="rest-api", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _sweep_payments(self) -> None:
        from chalicelib.composition import payment_sweeper

        while not self._stopping.wait(PAYMENT_SWEEP_INTERVAL_S):
            try:
                payment_sweeper().sweep()
            except Exception:  # the next round tries again, as the schedule would
                logging.getLogger("evcharge.local").exception("payment sweep failed")

    def stop(self) -> None:
        self._stopping.set()
        if self._rest is not None:
            self._rest.server.shutdown()
            self._rest.server.server_close()
            self._rest = None
        if self._ws is not None:  # before DynamoDB: the $disconnect handlers still write to it
            self._ws.stop()
            self._ws = None
        if self._workflows is not None:
            self._workflows.stop()
            self._workflows = None
        if self._stripe is not None:
            self._stripe.stop()
            self._stripe = None
        if self._dynamodb is not None:
            self._dynamodb.stop()
            self._dynamodb = None
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()


def _print_ws_log_lines() -> None:
    """The WebSocket gateway's connect and disconnect lines, on stderr beside the REST API's request lines;
    not through the app's Powertools logger (an ancestor by name), whose JSON lines are the functions' own."""
    ws_logger = logging.getLogger("evcharge.local.ws")
    if not ws_logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s ws %(message)s", "%H:%M:%S"))
        ws_logger.addHandler(handler)
        ws_logger.setLevel(logging.INFO)
        ws_logger.propagate = False


def banner(runtime: LocalRuntime) -> str:
    return f"""
evcharge is running locally (no AWS account, no Stripe key needed)

  REST API           {runtime.rest_url}
  OCPP WebSocket     {runtime.ocpp_url}
  @connections API   {runtime.ws_management_url}   (WS_MANAGEMENT_URL)
  DynamoDB (moto)    {runtime.dynamodb_url}   table {os.environ["TABLE_NAME"]}
  Step Functions     {runtime.dynamodb_url}   (moto; the billing workflow's tasks run in this process)
  Stripe             {_stripe_line(runtime)}
  Driver pages       {runtime.rest_url}/pay/{{tenant_slug}}/{{charge_point_id}}/{{connector}}

Sign up a tenant to get an API key:
  curl -s -X POST {runtime.rest_url}/v1/signup -H 'Content-Type: application/json' \\
    -d '{{"name": "My CPO", "email": "ops@example.com", "country": "NL", "currency": "EUR"}}'

Data lives in memory and is gone when the runtime stops. Ctrl-C stops it.
"""


def _stripe_line(runtime: LocalRuntime) -> str:
    if runtime.stripe_url is None:
        return "real Stripe, test mode (STRIPE_SECRET_KEY)"
    return f"{runtime.stripe_url}   (offline sandbox: pay with card 4242 4242 4242 4242)"


def main() -> int:
    runtime = LocalRuntime.from_env()
    try:
        runtime.start()
    except OSError as error:
        print(f"could not start: {error} (is another `make dev` running? set PORT and WS_PORT to use other ports)",
              file=sys.stderr)
        return 1
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print(banner(runtime), flush=True)
    if os.environ.get("SEED_DEMO", "").lower() in {"1", "true", "yes"}:
        from infra.local.demo import seed_demo

        print(seed_demo(runtime.rest_url), flush=True)
    print(f"ready: {runtime.rest_url}", flush=True)
    while not stopping.wait(0.5):
        pass
    print("stopping...", flush=True)
    runtime.stop()
    print("stopped", flush=True)
    return 0
