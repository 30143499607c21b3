import pytest

from chalicelib import settings as settings_module


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "_request_base_url", None)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)


def test_pay_links_use_the_rest_apis_url_from_the_request_when_none_is_configured() -> None:
    settings_module.remember_request_base_url("abc123.execute-api.eu-west-1.amazonaws.com", "api")
    assert settings_module.Settings.from_env().public_base_url == "https://abc123.execute-api.eu-west-1.amazonaws.com/api"


def test_a_custom_domain_has_no_stage_in_pay_links() -> None:
    settings_module.remember_request_base_url("charge.example.com", "api")
    assert settings_module.Settings.from_env().public_base_url == "https://charge.example.com"


def test_a_configured_public_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://pay.example.com/")
    settings_module.remember_request_base_url("abc123.execute-api.eu-west-1.amazonaws.com", "api")
    assert settings_module.Settings.from_env().public_base_url == "https://pay.example.com"
