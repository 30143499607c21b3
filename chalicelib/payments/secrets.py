"""The platform's Stripe keys: from the environment (local runtime, tests), or from the Secrets Manager secret
the CDK stack creates (`STRIPE_SECRET_ARN`, a JSON object {"secret_key": ..., "webhook_secret": ...}).

Lambda cannot put a secret's value into an environment variable at deploy time without writing it into the
template in clear, so in AWS the keys are read at run time: on the first payment a container makes, not at
cold start (boto3 is imported then), and kept for the container's life. A secret still holding the stack's
empty keys is an error each time, not cached, so keys put in after the deploy are picked up without one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.settings import Settings


class StripeKeysMissing(RuntimeError):
    """No Stripe secret key is configured, or the secret holds none yet."""


@dataclass(frozen=True)
class StripeKeys:
    secret_key: str
    webhook_secret: str

    def __repr__(self) -> str:  # never in a log line or a traceback
        return "StripeKeys(secret_key=***, webhook_secret=***)"


def stripe_keys(config: Settings, client: Any = None) -> StripeKeys:
    """STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET) when set; otherwise the secret STRIPE_SECRET_ARN names."""
    if config.stripe_secret_key is not None:
        return StripeKeys(config.stripe_secret_key, config.stripe_webhook_secret)
    if config.stripe_secret_arn is None:
        raise StripeKeysMissing("neither STRIPE_SECRET_KEY nor STRIPE_SECRET_ARN is set: payments cannot be taken")
    return _from_secret(config.stripe_secret_arn, config.region, client)


def _from_secret(arn: str, region: str, client: Any) -> StripeKeys:
    if client is None:
        import boto3

        client = boto3.client("secretsmanager", region_name=region)
    text = client.get_secret_value(SecretId=arn)["SecretString"]
    try:
        values = json.loads(text)
    except ValueError:
        raise StripeKeysMissing(f"the Stripe secret {arn} is not a JSON object") from None
    if not isinstance(values, dict):
        raise StripeKeysMissing(f"the Stripe secret {arn} is not a JSON object")
    secret_key = values.get("secret_key")
    if not isinstance(secret_key, str) or not secret_key:
        raise StripeKeysMissing(f"the Stripe secret {arn} has no secret_key yet (README: Setting the Stripe keys)")
    webhook_secret = values.get("webhook_secret")
    return StripeKeys(secret_key, webhook_secret if isinstance(webhook_secret, str) else "")
