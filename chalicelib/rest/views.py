"""What the REST API shows of each object: stored fields minus secrets, plus derived links."""
from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.charging.chargers import ChargerService
from chalicelib.charging.commands import Command
from chalicelib.charging.live import CHARGER_LEVEL, ChargerEvent, ChargerLive, connector_key
from chalicelib.charging.models import Charger, Token
from chalicelib.charging.session_reports import SessionDetail
from chalicelib.charging.sessions import Session
from chalicelib.sites.models import Site
from chalicelib.tenancy.models import ApiKey, Tenant

if TYPE_CHECKING:
    from chalicelib.billing.ledger import LedgerEntry
    from chalicelib.payments.parties import Party
    from chalicelib.tariffs.models import Tariff


def tenant_view(tenant: Tenant) -> dict[str, Any]:
    return tenant.model_dump(mode="json")


def api_key_view(key: ApiKey) -> dict[str, Any]:
    return key.model_dump(mode="json", exclude={"digest"})


def site_view(site: Site) -> dict[str, Any]:
    return site.model_dump(mode="json")


def charger_view(charger: Charger, service: ChargerService, live: ChargerLive | None = None) -> dict[str, Any]:
    """The configuration, with what the charger last reported: online, boot data, each connector's
    status and error code, and the session charging on it."""
    live = live or ChargerLive()
    view = charger.model_dump(mode="json", exclude={"password_hash"})
    view["ocpp_url"] = service.ocpp_url(charger.id)
    for evse in view["evses"]:
        for connector in evse["connectors"]:
            key = connector_key(evse["id"], connector["id"])
            status = live.connectors.get(key) or live.connectors.get(str(evse["id"]))
            connector.update(
                status=status.status if status else "Unknown", error_code=status.error_code if status else None,
                status_info=status.info if status else None, status_at=status.timestamp if status else None,
                vendor_error_code=status.vendor_error_code if status else None,
                session_id=live.active_sessions.get(key),
            )
    whole = live.connectors.get(CHARGER_LEVEL)
    view.update(
        online=live.is_online, last_seen=live.last_seen, protocol=live.protocol if live.is_online else None,
        connected_at=live.connected_at if live.is_online else None, boot=live.boot, booted_at=live.booted_at,
        status=whole.status if whole else None, error_code=whole.error_code if whole else None,
        firmware_status=live.firmware_status, diagnostics_status=live.diagnostics_status,
        active_sessions=sorted(set(live.active_sessions.values())),
    )
    return view


def session_view(session: Session) -> dict[str, Any]:
    return session.model_dump(mode="json", exclude={"max_power_kw"})


def session_detail_view(detail: SessionDetail) -> dict[str, Any]:
    """One session with its meter readings and, for OCPP 2.0.1, the TransactionEvents it was folded from."""
    view = session_view(detail.session)
    view["meter_values"] = [r.model_dump(mode="json") for r in detail.readings]
    if detail.events:
        view["transaction_events"] = [
            {k: v for k, v in asdict(e).items() if k != "readings" and v is not None} for e in detail.events]
    return view


def charger_event_view(event: ChargerEvent) -> dict[str, Any]:
    return event.model_dump(mode="json")


def token_view(token: Token) -> dict[str, Any]:
    return token.model_dump(mode="json")


def command_view(command: Command) -> dict[str, Any]:
    return command.model_dump(mode="json", exclude={"connection_id", "context"})


def tariff_view(tariff: Tariff) -> dict[str, Any]:
    return tariff.model_dump(mode="json", exclude_none=True)


def party_view(party: Party) -> dict[str, Any]:
    return party.model_dump(mode="json")


def ledger_view(entry: LedgerEntry) -> dict[str, Any]:
    """A session's money: `gross` is what the driver paid; `platform_fee` plus the transfers add up to it."""
    return {
        "session_id": entry.session_id, "charger_id": entry.charger_id, "site_id": entry.site_id,
        "currency": entry.currency, "status": entry.status.value, "cdr_id": entry.cdr_id,
        "cost": {"excl_vat": entry.cost_excl_vat, "incl_vat": entry.cost_incl_vat}, "vat": entry.vat,
        "gross": entry.gross, "platform_fee": entry.platform_fee, "stripe_fee": entry.stripe_fee,
        "receivable": entry.receivable, "payment_id": entry.payment_id,
        "transfers": [t.model_dump(mode="json", exclude_none=True) for t in entry.transfers or []],
        "billed_at": entry.billed_at, "failure": entry.failure,
    }
