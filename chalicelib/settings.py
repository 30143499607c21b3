"""Runtime settings, read once from the environment.

Every value has a default that works for the local runtime, so a newcomer needs no configuration.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    table_name: str
    dynamodb_endpoint: str | None
    region: str
    ocpp_base_url: str
    # The REST API's public URL (driver pay links, QR codes, Stripe return URLs). Unset in AWS: the REST
    # function cannot be told its own API's URL (a CloudFormation cycle), so it is taken from the request.
    configured_public_base_url: str | None
    # The WebSocket API's management endpoint (`.../@connections`), e.g.
    # https://{api_id}.execute-api.{region}.amazonaws.com/{stage}. Unset in AWS's WebSocket functions,
    # which derive it from the event; the local runtime points it at the local gateway.
    ws_management_url: str | None
    idempotency_table_name: str
    # Stripe: with no secret key the local runtime's sandbox stands in (stripe_api_base points at it).
    # In AWS the keys are not in the environment but in the Secrets Manager secret stripe_secret_arn names,
    # read on first use (chalicelib/payments/secrets.py); STRIPE_SECRET_KEY, when set, wins.
    stripe_secret_key: str | None
    stripe_secret_arn: str | None
    stripe_webhook_secret: str
    stripe_api_base: str | None
    platform_fee_bps: int  # the platform operator's fee on every captured payment, in basis points
    receipt_sender: str | None  # the SES identity receipts are sent from; None: receipts are not emailed

    @property
    def public_base_url(self) -> str:
        return self.configured_public_base_url or _request_base_url or "http://127.0.0.1:8000"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            table_name=os.environ.get("TABLE_NAME", "evcharge"),
            dynamodb_endpoint=os.environ.get("DYNAMODB_ENDPOINT") or None,
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1",
            ocpp_base_url=os.environ.get("OCPP_BASE_URL", "ws://127.0.0.1:9000/ocpp").rstrip("/"),
            configured_public_base_url=(os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            ws_management_url=(os.environ.get("WS_MANAGEMENT_URL") or "").rstrip("/") or None,
            idempotency_table_name=os.environ.get("IDEMPOTENCY_TABLE_NAME", "evcharge-idempotency"),
            stripe_secret_key=os.environ.get("STRIPE_SECRET_KEY") or None,
            stripe_secret_arn=os.environ.get("STRIPE_SECRET_ARN") or None,
            stripe_webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
            stripe_api_base=(os.environ.get("STRIPE_API_BASE") or "").rstrip("/") or None,
            platform_fee_bps=int(os.environ.get("PLATFORM_FEE_BPS", "500")),
            receipt_sender=os.environ.get("RECEIPT_SENDER") or None,
        )


_request_base_url: str | None = None


def remember_request_base_url(domain_name: str | None, stage: str | None) -> None:
    """The REST API's URL as API Gateway reports it in a request (https://{domain}/{stage}); a custom
    domain maps the stage away, so it is left out there."""
    global _request_base_url
    if not domain_name or domain_name in ("localhost", "testhost") or _request_base_url is not None:
        return
    on_execute_api = ".execute-api." in domain_name
    _request_base_url = f"https://{domain_name}/{stage}" if on_execute_api and stage else f"https://{domain_name}"


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()
