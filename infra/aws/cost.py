"""Monthly AWS cost per charger, itemised: `python -m infra.aws.cost [ALARM_METRICS]` prints the README's tables.

Every input is in `Workload` (what a charger does, and what each frame costs the platform) or `Prices`
(AWS list prices). Workload figures marked "assumed" should be replaced by the frame-path benchmark's
measurements when it lands; a test keeps the README's table equal to this script's output.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

DAYS_PER_MONTH = 30
SECONDS_PER_MONTH = DAYS_PER_MONTH * 24 * 3600
GB = 1024**3


@dataclass(frozen=True)
class Prices:
    """us-east-1 list prices in USD, no free tier, checked 2026-11-21 (README: Cost)."""

    websocket_message: float = 1.00 / 1e6  # per message (each direction), first 1 billion
    websocket_connection_minute: float = 0.25 / 1e6
    lambda_request: float = 0.20 / 1e6
    lambda_arm64_gb_second: float = 0.0000133334  # first 7.5 billion GB-s
    dynamodb_write_unit: float = 0.625 / 1e6  # on demand, per write request unit (1 KB)
    dynamodb_read_unit: float = 0.125 / 1e6  # per read request unit (a strongly consistent read of 4 KB)
    cloudfront_request: float = 0.0100 / 10_000  # HTTPS, North America and Europe
    cloudfront_function: float = 0.10 / 1e6
    cloudfront_data_out_gb: float = 0.085  # to the charger, North America and Europe, first 10 TB
    cloudfront_data_to_origin_gb: float = 0.020  # from the charger through to API Gateway
    logs_ingestion_gb: float = 0.50
    step_functions_transition: float = 0.025 / 1000  # Standard workflows
    secret_month: float = 0.40
    alarm_month: float = 0.10  # per metric of a standard-resolution alarm


PAYMENT_SWEEP_INTERVAL_S = 120  # app.py's sweep_payments schedule


@dataclass(frozen=True)
class Workload:
    """One charger's month. "assumed" marks what no measurement backs yet."""

    heartbeat_interval_s: int = 300  # assumed: a typical CSMS HeartbeatInterval
    meter_values_interval_s: int = 60  # assumed: MeterValueSampleInterval while charging
    sessions_per_day: float = 4  # assumed: a busy public AC charger
    session_minutes: float = 90  # assumed: average time a session is charging
    other_frames_per_session: int = 7  # Authorize, StartTransaction, StopTransaction, 4 StatusNotifications
    reconnects_per_day: float = 12  # API Gateway closes every connection after 2 hours
    frames_per_reconnect: int = 2  # assumed: BootNotification and one StatusNotification
    lambda_memory_gb: float = 0.5  # .chalice/config.json
    warm_frame_ms: float = 25  # assumed: handler time of a frame, including the reply through @connections
    connect_ms: float = 150  # assumed: $connect, dominated by the scrypt password check
    # DynamoDB per frame, measured by `make bench` on a warm container: a Heartbeat every 300 s writes
    # last seen (1 write), a MeterValues frame its readings (1 write); neither reads.
    periodic_frame_writes: float = 1
    periodic_frame_reads: float = 0
    # Measured, per session: Authorize 2 reads; StartTransaction 6 reads (2 of them the tariff in force:
    # the site's and the tenant's default), 10 write units (a 4-item transaction at 2 units an item, the
    # counter, the connector); StopTransaction 6 reads, 4 write units; 4 StatusNotifications 2 writes
    # each (status and history). 22 units and 14 reads / 7 frames.
    other_frame_writes: float = 3.1
    other_frame_reads: float = 2.0
    connect_reads: float = 2  # tenant by slug, charger
    connect_writes: float = 1  # the connection record
    disconnect_writes: float = 1
    frame_bytes: int = 400  # assumed: an OCPP 1.6 JSON frame, either direction (MeterValues are the largest)
    log_bytes_per_invocation: int = 500  # measured: an answered frame logs only its EMF metrics line
    # The billing workflow (chalicelib/workflows/billing.asl.json), once per session, on its path without a
    # retry: 5 tasks (price, collect, split, ledger, receipt) and the IsBillable choice, each a Standard state
    # transition (a test walks the ASL file to keep these equal to it). A retried task adds a transition and
    # an invocation; sessions that are not billable stop after 2 transitions and 1 invocation.
    billing_transitions_per_session: int = 6
    billing_lambda_invocations_per_session: int = 5
    billing_lambda_ms: float = 250  # assumed: collect and split wait for Stripe, the other steps only DynamoDB
    billing_writes_per_session: float = 12  # assumed: CDR, ledger entry, payment and session updates
    billing_reads_per_session: float = 20  # assumed: session, readings, tariff, site, parties, payment


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float
    unit: str
    unit_price: float

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


def monthly_lines(w: Workload = Workload(), p: Prices = Prices()) -> list[Line]:
    sessions = w.sessions_per_day * DAYS_PER_MONTH
    connects = w.reconnects_per_day * DAYS_PER_MONTH
    heartbeats = SECONDS_PER_MONTH / w.heartbeat_interval_s
    meter_values = sessions * w.session_minutes * 60 / w.meter_values_interval_s
    periodic = heartbeats + meter_values
    other = sessions * w.other_frames_per_session + connects * w.frames_per_reconnect
    frames = periodic + other
    invocations = frames + 2 * connects  # every frame, $connect and $disconnect
    gb_seconds = w.lambda_memory_gb * (frames * w.warm_frame_ms + connects * w.connect_ms) / 1000
    writes = (periodic * w.periodic_frame_writes + other * w.other_frame_writes
              + connects * (w.connect_writes + w.disconnect_writes))
    reads = periodic * w.periodic_frame_reads + other * w.other_frame_reads + connects * w.connect_reads
    billing_invocations = sessions * w.billing_lambda_invocations_per_session
    return [
        Line("WebSocket connection minutes", SECONDS_PER_MONTH / 60, "minute", p.websocket_connection_minute),
        Line("WebSocket messages (each frame and its reply)", 2 * frames, "message", p.websocket_message),
        Line("Lambda invocations (frames, $connect, $disconnect)", invocations, "request", p.lambda_request),
        Line("Lambda compute, arm64", gb_seconds, "GB-s", p.lambda_arm64_gb_second),
        Line("DynamoDB writes", writes, "WRU", p.dynamodb_write_unit),
        Line("DynamoDB reads", reads, "RRU", p.dynamodb_read_unit),
        Line("CloudFront WebSocket upgrades", connects, "request", p.cloudfront_request + p.cloudfront_function),
        Line("CloudFront data to the charger", frames * w.frame_bytes / GB, "GB", p.cloudfront_data_out_gb),
        Line("CloudFront data to API Gateway", frames * w.frame_bytes / GB, "GB", p.cloudfront_data_to_origin_gb),
        Line("CloudWatch Logs ingestion", (invocations + billing_invocations) * w.log_bytes_per_invocation / GB,
             "GB", p.logs_ingestion_gb),
        Line("Billing workflow transitions", sessions * w.billing_transitions_per_session, "transition",
             p.step_functions_transition),
        Line("Billing workflow Lambda", billing_invocations, "request",
             p.lambda_request + w.lambda_memory_gb * w.billing_lambda_ms / 1000 * p.lambda_arm64_gb_second),
        Line("Billing workflow DynamoDB writes", sessions * w.billing_writes_per_session, "WRU",
             p.dynamodb_write_unit),
        Line("Billing workflow DynamoDB reads", sessions * w.billing_reads_per_session, "RRU", p.dynamodb_read_unit),
    ]


def fixed_lines(alarm_metrics: int, p: Prices = Prices()) -> list[Line]:
    """What one deployment costs whatever its number of chargers (table storage aside). CloudWatch bills an
    alarm on a metric math expression for each metric in it."""
    sweeps = SECONDS_PER_MONTH / PAYMENT_SWEEP_INTERVAL_S
    return [
        Line("Secrets Manager: the Stripe keys", 1, "secret", p.secret_month),
        Line("Payment sweep (every 2 min): Lambda requests", sweeps, "request", p.lambda_request),
        Line("Payment sweep: Lambda compute (0.5 GB, 100 ms assumed)", sweeps * 0.5 * 0.1, "GB-s",
             p.lambda_arm64_gb_second),
        Line("Payment sweep: DynamoDB reads (one query)", sweeps, "RRU", p.dynamodb_read_unit),
        Line("CloudWatch alarm metrics", alarm_metrics, "metric", p.alarm_month),
    ]


def _price(line: Line) -> str:
    if line.unit_price < 0.001:
        return f"{line.unit_price * 1e6:.4g} per million"
    return f"{line.unit_price:.4g} per {line.unit}"


def markdown_table(lines: list[Line], total_label: str) -> str:
    rows = ["| item | quantity per month | USD | USD per month |", "| --- | ---: | ---: | ---: |"]
    for line in lines:
        quantity = f"{line.quantity:,.0f}" if line.quantity >= 10 else f"{line.quantity:.4g}"
        rows.append(f"| {line.item} | {quantity} {line.unit} | {_price(line)} | {line.monthly:.4f} |")
    rows.append(f"| **{total_label}** | | | **{sum(line.monthly for line in lines):.2f}** |")
    return "\n".join(rows)


def report(alarm_metrics: int) -> str:
    return "\n\n".join([
        markdown_table(monthly_lines(), "total per charger"),
        markdown_table(fixed_lines(alarm_metrics), "per deployment"),
    ])


if __name__ == "__main__":
    # The metrics the stack's alarms watch: Errors of each of the 10 functions, reads and writes throttled on
    # each of the 2 tables, failed, timed-out and aborted executions of the billing workflow, and the app's
    # BillingFailed and BillingNotStarted (20 with today's app; tests/infra/test_cost.py counts them).
    print(report(alarm_metrics=int(sys.argv[1]) if len(sys.argv) > 1 else 20))
