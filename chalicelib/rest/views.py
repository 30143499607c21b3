"""What the REST API shows of each object: stored fields minus secrets, plus derived links."""
from __future__ import annotations

from typing import Any

from chalicelib.charging.chargers import ChargerService
from chalicelib.charging.models import Charger, Token
from chalicelib.sites.models import Site
from chalicelib.tenancy.models import ApiKey, Tenant


def tenant_view(tenant: Tenant) -> dict[str, Any]:
    return tenant.model_dump(mode="json")


def api_key_view(key: ApiKey) -> dict[str, Any]:
    return key.model_dump(mode="json", exclude={"digest"})


def site_view(site: Site) -> dict[str, Any]:
    return site.model_dump(mode="json")


def charger_view(charger: Charger, service: ChargerService) -> dict[str, Any]:
    view = charger.model_dump(mode="json", exclude={"password_hash"})
    view["ocpp_url"] = service.ocpp_url(charger.id)
    return view


def token_view(token: Token) -> dict[str, Any]:
    return token.model_dump(mode="json")
