"""Stripe's events, after their signature is checked: a paid checkout starts the charge, an expired
one is cancelled, and `account.updated` keeps a payout party's status. Replays change nothing (each
handler moves state only from the state it expects)."""
from __future__ import annotations

from chalicelib.observability import logger
from chalicelib.payments.gateway import AccountStatus, CompletedCheckout, ProviderEvent


def handle_event(event: ProviderEvent) -> str:
    """What was done, in a word (for the log and the reply)."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return "ignored"
    if not isinstance(event.data, dict):
        return "ignored_malformed"
    try:
        outcome = handler(event)
    except (KeyError, TypeError, AttributeError, ValueError) as bad:  # signed, but not the shape Stripe sends
        logger.warning("stripe event of an unexpected shape", event_id=event.id, error=str(bad))
        return "ignored_malformed"
    logger.info("stripe event", event_id=event.id, event_type=event.type, outcome=outcome)
    return outcome


def _checkout_completed(event: ProviderEvent) -> str:
    from chalicelib.composition import checkout_service

    data = event.data
    metadata = {str(k): str(v) for k, v in (data.get("metadata") or {}).items()}
    tenant_id = metadata.get("tenant_id")
    if not tenant_id or not _tenant_owns(tenant_id, metadata.get("payment_id", "")):
        return "unknown_payment"
    intent = data.get("payment_intent")
    details = data.get("customer_details") or {}
    checkout = CompletedCheckout(
        id=str(data["id"]), payment_intent_id=intent if isinstance(intent, str) else (intent or {}).get("id"),
        amount=int(data.get("amount_total") or 0), currency=str(data.get("currency") or "").upper(),
        metadata=metadata, email=details.get("email") or data.get("customer_email"),
    )
    checkout_service(tenant_id).checkout_completed(checkout)
    return "started"


def _checkout_expired(event: ProviderEvent) -> str:
    from chalicelib.composition import checkout_service

    data = event.data
    metadata = data.get("metadata") or {}
    tenant_id, payment_id = str(metadata.get("tenant_id", "")), str(metadata.get("payment_id", ""))
    if not tenant_id or not _tenant_owns(tenant_id, payment_id):
        return "unknown_payment"
    checkout_service(tenant_id).cancel(payment_id, reason="checkout_expired")
    return "cancelled"


def _account_updated(event: ProviderEvent) -> str:
    from chalicelib.composition import billing_steps
    from chalicelib.payments.parties import PayoutStatus, apply_account_update
    from chalicelib.store.parties import PartyRepository, PayoutAccountDirectory

    data = event.data
    capabilities = data.get("capabilities") or {}
    status = AccountStatus(
        account_id=str(data.get("id", "")), details_submitted=bool(data.get("details_submitted")),
        payouts_enabled=bool(data.get("payouts_enabled")),
        transfers_active=capabilities.get("transfers") == "active",
    )
    changed = apply_account_update(status, PayoutAccountDirectory(), PartyRepository, created=event.created)
    if changed is None:
        return "unknown_account"
    tenant_id, party = changed
    if party.payout_status == PayoutStatus.ACTIVE:
        # Shares held while the party could not receive transfers are paid now.
        paid = billing_steps(tenant_id).pay_held(party.id)
        return f"updated, {paid} held transfers paid" if paid else "updated"
    return "updated"


def _tenant_owns(tenant_id: str, payment_id: str) -> bool:
    """The payment's tenant, from our own lookup: metadata names it, the lookup confirms it."""
    from chalicelib.store.payments import tenant_of_payment

    return tenant_of_payment(payment_id) == tenant_id


_HANDLERS = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.expired": _checkout_expired,
    "account.updated": _account_updated,
}


def verified_event(payload: bytes, signature: str | None) -> ProviderEvent:
    from chalicelib.composition import payment_gateway
    from chalicelib.errors import InvalidInput
    from chalicelib.payments.gateway import PaymentDeclined

    try:
        return payment_gateway().verify_event(payload, signature)
    except PaymentDeclined as bad:
        raise InvalidInput(bad.message, code="invalid_signature") from None
