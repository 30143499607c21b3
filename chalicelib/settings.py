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
    public_base_url: str
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

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            table_name=os.environ.get("TABLE_NAME", "evcharge"),
            dynamodb_endpoint=os.environ.get("DYNAMODB_ENDPOINT") or None,
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1",
            ocpp_base_url=os.environ.get("OCPP_BASE_URL", "ws://127.0.0.1:9000/ocpp").rstrip("/"),
            public_base_url=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            ws_management_url=(os.environ.get("WS_MANAGEMENT_URL") or "").rstrip("/") or None,
            idempotency_table_name=os.environ.get("IDEMPOTENCY_TABLE_NAME", "evcharge-idempotency"),
            stripe_secret_key=os.environ.get("STRIPE_SECRET_KEY") or None,
            stripe_secret_arn=os.environ.get("STRIPE_SECRET_ARN") or None,
            stripe_webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
            stripe_api_base=(os.environ.get("STRIPE_API_BASE") or "").rstrip("/") or None,
            platform_fee_bps=int(os.environ.get("PLATFORM_FEE_BPS", "500")),
        )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()
