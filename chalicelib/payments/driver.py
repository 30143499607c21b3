"""The driver's side, reached by public links: a connector's page (tenant by slug), the checkout it
opens, and the session page (tenant by payment id). No credential: what they show is what a sticker
on the charger and the driver's own payment link may show."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.errors import NotFound

if TYPE_CHECKING:
    from chalicelib.payments.checkout import ConnectorOffer
    from chalicelib.payments.models import Payment


def _tenant_of_slug(slug: str) -> tuple[str, Any]:
    from chalicelib.composition import directory
    from chalicelib.store.directory import TenantProfileRepository

    tenant_id = directory().resolve_slug(slug)
    profile = TenantProfileRepository(tenant_id).profile() if tenant_id else None
    if tenant_id is None or profile is None:
        raise NotFound("no such charger", code="connector_not_found")
    return tenant_id, profile


def connector_offer(slug: str, charger_id: str, connector: int) -> tuple[str, ConnectorOffer]:
    from chalicelib.composition import checkout_service

    tenant_id, tenant = _tenant_of_slug(slug)
    offer = checkout_service(tenant_id).offer(charger_id, connector, tenant_name=tenant.name,
                                              currency=tenant.currency, hold=tenant.checkout_hold)
    return tenant_id, offer


def begin_checkout(slug: str, charger_id: str, connector: int, pay_page_url: str) -> Payment:
    from chalicelib.composition import checkout_service

    tenant_id, offer = connector_offer(slug, charger_id, connector)
    return checkout_service(tenant_id).begin(offer, pay_page_url=pay_page_url)


def payment_view(payment_id: str) -> dict[str, Any]:
    from chalicelib.composition import driver_status
    from chalicelib.store.payments import tenant_of_payment

    tenant_id = tenant_of_payment(payment_id)
    if tenant_id is None:
        raise NotFound.of("payment", payment_id)
    return driver_status(tenant_id).view(payment_id)


def tariff_words(offer: ConnectorOffer) -> list[str]:
    if offer.tariff is None:
        return []
    from chalicelib.tariffs.wording import describe_tariff

    return describe_tariff(offer.tariff)
