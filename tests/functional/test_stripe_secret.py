"""The Stripe keys from Secrets Manager (as the CDK stack deploys them), read on first payment use and kept."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib import composition
from chalicelib.payments.gateway import PaymentDeclined
from chalicelib.payments.secrets import StripeKeys, StripeKeysMissing, stripe_keys
from chalicelib.settings import Settings, settings
from infra.local.stripe_sandbox.webhooks import signature_header

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def secretsmanager() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager")


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings and the gateway built anew from this test's environment, and again afterwards."""
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_ARN", "STRIPE_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    settings.cache_clear()
    composition.payment_gateway.cache_clear()
    yield monkeypatch
    settings.cache_clear()
    composition.payment_gateway.cache_clear()


def put(client: Any, value: Any, name: str = "evcharge-stripe") -> str:
    arn: str = client.create_secret(Name=name, SecretString=json.dumps(value))["ARN"]
    return arn


class CountingClient:
    def __init__(self, client: Any) -> None:
        self.client, self.calls = client, 0

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.calls += 1
        return self.client.get_secret_value(**kwargs)


def test_keys_come_from_the_secret_when_no_key_is_in_the_environment(
        secretsmanager: Any, fresh: pytest.MonkeyPatch) -> None:
    arn = put(secretsmanager, {"secret_key": "sk_test_from_secret", "webhook_secret": "whsec_from_secret"})
    fresh.setenv("STRIPE_SECRET_ARN", arn)
    assert stripe_keys(Settings.from_env()) == StripeKeys("sk_test_from_secret", "whsec_from_secret")


def test_a_key_in_the_environment_wins_and_the_secret_is_not_read(fresh: pytest.MonkeyPatch) -> None:
    fresh.setenv("STRIPE_SECRET_KEY", "sk_test_env")
    fresh.setenv("STRIPE_WEBHOOK_SECRET", "whsec_env")
    fresh.setenv("STRIPE_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:111111111111:secret:unreachable")
    never = CountingClient(None)
    assert stripe_keys(Settings.from_env(), never) == StripeKeys("sk_test_env", "whsec_env")
    assert never.calls == 0


def test_the_stacks_empty_keys_are_refused_until_the_real_ones_are_put_in(
        secretsmanager: Any, fresh: pytest.MonkeyPatch) -> None:
    arn = put(secretsmanager, {"secret_key": "", "webhook_secret": ""})  # what the stack creates
    fresh.setenv("STRIPE_SECRET_ARN", arn)
    with pytest.raises(StripeKeysMissing, match="no secret_key yet"):
        composition.payment_gateway()
    secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps(
        {"secret_key": "sk_test_later", "webhook_secret": "whsec_later"}))
    gateway = composition.payment_gateway()  # the failure was not cached
    assert gateway is composition.payment_gateway()


def test_the_secret_is_read_once_per_container(secretsmanager: Any, fresh: pytest.MonkeyPatch) -> None:
    arn = put(secretsmanager, {"secret_key": "sk_test_once", "webhook_secret": "whsec_once"})
    fresh.setenv("STRIPE_SECRET_ARN", arn)
    counting = CountingClient(secretsmanager)
    real_client = boto3.client
    fresh.setattr(boto3, "client", lambda service, **kw: counting if service == "secretsmanager"
                  else real_client(service, **kw))
    first = composition.payment_gateway()
    for _ in range(3):
        assert composition.payment_gateway() is first
    assert counting.calls == 1


def test_the_webhook_secret_is_the_secrets_own(secretsmanager: Any, fresh: pytest.MonkeyPatch) -> None:
    """A webhook signed with the secret's webhook_secret verifies; one signed with another does not."""
    arn = put(secretsmanager, {"secret_key": "sk_test_hook", "webhook_secret": "whsec_hook"})
    fresh.setenv("STRIPE_SECRET_ARN", arn)
    gateway = composition.payment_gateway()
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "account.updated",
                          "data": {"object": {"id": "acct_1", "object": "account"}}}).encode()
    now = int(time.time())
    assert gateway.verify_event(payload, signature_header(payload, "whsec_hook", now)).id == "evt_1"
    with pytest.raises(PaymentDeclined):
        gateway.verify_event(payload, signature_header(payload, "whsec_other", now))


def test_malformed_or_missing_secrets_say_so(secretsmanager: Any, fresh: pytest.MonkeyPatch) -> None:
    with pytest.raises(StripeKeysMissing, match="neither STRIPE_SECRET_KEY nor STRIPE_SECRET_ARN"):
        stripe_keys(Settings.from_env())
    arn = secretsmanager.create_secret(Name="not-json", SecretString="sk_live_plain")["ARN"]
    fresh.setenv("STRIPE_SECRET_ARN", arn)
    with pytest.raises(StripeKeysMissing, match="not a JSON object"):
        stripe_keys(Settings.from_env())


def test_keys_never_show_in_their_repr() -> None:
    assert "sk_" not in repr(StripeKeys("sk_test_secret", "whsec_secret"))
    assert "whsec" not in repr(StripeKeys("sk_test_secret", "whsec_secret"))


def test_settings_and_composition_load_neither_boto3_nor_stripe() -> None:
    """Cold start: reading the settings and importing the factories fetches nothing and imports neither."""
    code = ("import sys; import chalicelib.composition, chalicelib.settings as s; s.settings(); "
            "import chalicelib.payments.secrets; "
            "print(sorted(m for m in ('boto3', 'stripe') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_DIR,
                         env={"STRIPE_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:x",
                              "PYTHONPATH": str(PROJECT_DIR)})
    assert out.stdout.strip() == "[]"
