"""Building services for a request, in one place: each route asks for the service it needs, built for
the caller's tenant; what holds no tenant state (the directory) is built once per container.

Every factory imports what it builds when it is first called: all functions share `app.py`, and a
Lambda answering OCPP frames should not load (nor compile) the REST services at cold start, nor the
other way round.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.settings import settings

if TYPE_CHECKING:
    from chalicelib.billing.hooks import BillingHooks, BillingRuns
    from chalicelib.billing.ledger import LedgerService
    from chalicelib.billing.steps import BillingSteps, PricingSources
    from chalicelib.charging.chargers import ChargerService
    from chalicelib.charging.models import Charger
    from chalicelib.charging.session_reports import SessionReports
    from chalicelib.charging.tokens import TokenService
    from chalicelib.ocpp.commands import CommandService
    from chalicelib.ocpp.gateway import OcppGateway, Sender
    from chalicelib.payments.checkout import CheckoutService
    from chalicelib.payments.gateway import PaymentGateway
    from chalicelib.payments.mailer import SesMailer
    from chalicelib.payments.parties import PartyService
    from chalicelib.payments.status import DriverStatus
    from chalicelib.payments.sweeper import PaymentSweeper
    from chalicelib.sites.service import SiteService
    from chalicelib.store.charger_events import ChargerEventRepository
    from chalicelib.store.directory import TenantDirectory, TenantProfileRepository
    from chalicelib.store.ledger import CdrRepository, LedgerRepository
    from chalicelib.tariffs.service import TariffLookup, TariffService
    from chalicelib.tenancy.api_keys import ApiKeyService
    from chalicelib.tenancy.models import TenantContext
    from chalicelib.tenancy.signup import SignupService
    from chalicelib.workflows.starter import WorkflowStarter


@lru_cache(maxsize=1)
def directory() -> TenantDirectory:
    from chalicelib.store.directory import TenantDirectory

    return TenantDirectory()


def signup_service() -> SignupService:
    from chalicelib.tenancy.signup import SignupService

    return SignupService(directory())


def tenant_profiles(ctx: TenantContext) -> TenantProfileRepository:
    from chalicelib.store.directory import TenantProfileRepository

    return TenantProfileRepository(ctx.tenant_id)


def api_key_service(ctx: TenantContext) -> ApiKeyService:
    from chalicelib.store.directory import ApiKeyRepository
    from chalicelib.tenancy.api_keys import ApiKeyService

    return ApiKeyService(ctx, ApiKeyRepository(ctx.tenant_id))


def site_service(ctx: TenantContext) -> SiteService:
    from chalicelib.sites.service import SiteService
    from chalicelib.store.parties import PartyRepository
    from chalicelib.store.sites import SiteRepository

    return SiteService(SiteRepository(ctx.tenant_id), PartyRepository(ctx.tenant_id),
                       platform_fee_bps=settings().platform_fee_bps)


def charger_service(ctx: TenantContext) -> ChargerService:
    from chalicelib.charging.chargers import ChargerService
    from chalicelib.store.charger_state import ChargerStateRepository
    from chalicelib.store.chargers import ChargerRepository

    return ChargerService(
        ChargerRepository(ctx.tenant_id), tenant_slug=ctx.slug, ocpp_base_url=settings().ocpp_base_url,
        states=ChargerStateRepository(ctx.tenant_id), disconnect=lambda connection: rest_sender().close(connection),
    )


def charger_events(ctx: TenantContext) -> ChargerEventRepository:
    from chalicelib.store.charger_events import ChargerEventRepository

    return ChargerEventRepository(ctx.tenant_id)


def token_service(ctx: TenantContext) -> TokenService:
    from chalicelib.charging.tokens import TokenService
    from chalicelib.store.tokens import TokenRepository

    return TokenService(TokenRepository(ctx.tenant_id))


def session_reports(ctx: TenantContext) -> SessionReports:
    from chalicelib.charging.session_reports import SessionReports
    from chalicelib.store.meter_values import MeterValueRepository
    from chalicelib.store.sessions import SessionRepository

    return SessionReports(SessionRepository(ctx.tenant_id), MeterValueRepository(ctx.tenant_id))


def command_service(tenant_id: str, sender: Callable[[], Sender] | None = None) -> CommandService:
    from chalicelib.ocpp.commands import CommandService
    from chalicelib.store.charger_state import ChargerStateRepository
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.commands import CommandRepository, LocalListRepository
    from chalicelib.store.sessions import SessionRepository
    from chalicelib.store.tokens import TokenRepository

    return CommandService(
        chargers=ChargerRepository(tenant_id), states=ChargerStateRepository(tenant_id),
        commands=CommandRepository(tenant_id), sessions=SessionRepository(tenant_id),
        tokens=TokenRepository(tenant_id), local_lists=LocalListRepository(tenant_id), sender=sender,
    )


def rest_sender() -> Sender:
    """The management API as the REST functions reach it (they get its URL from their environment)."""
    from chalicelib.ocpp.sender import sender_for

    url = settings().ws_management_url
    if url is None:
        raise RuntimeError("WS_MANAGEMENT_URL is not set: commands cannot reach chargers")
    return sender_for(url)


@lru_cache(maxsize=1)
def ocpp_gateway() -> OcppGateway:
    """One per container: it caches each connection's tenant, charger and protocol."""
    from chalicelib.ocpp.gateway import OcppGateway
    from chalicelib.store.connections import ConnectionRegistry

    return OcppGateway(directory(), ConnectionRegistry())


# -- tariffs, payments and billing ------------------------------------------------------------------

def tariff_service(ctx: TenantContext) -> TariffService:
    from chalicelib.store.tariffs import TariffRepository
    from chalicelib.tariffs.service import TariffService

    return TariffService(TariffRepository(ctx.tenant_id))


def tariff_lookup(tenant_id: str) -> TariffLookup:
    from chalicelib.store.directory import TenantProfileRepository
    from chalicelib.store.sites import SiteRepository
    from chalicelib.store.tariffs import TariffRepository
    from chalicelib.tariffs.service import TariffLookup

    return TariffLookup(TariffRepository(tenant_id), SiteRepository(tenant_id), TenantProfileRepository(tenant_id))


@lru_cache(maxsize=1)
def payment_gateway() -> PaymentGateway:
    """Stripe with the configured keys: STRIPE_SECRET_KEY, or in AWS the secret STRIPE_SECRET_ARN names (read
    here, once per container); STRIPE_API_BASE points it at the local runtime's sandbox. Raises, and caches
    nothing, while no key is set."""
    from chalicelib.payments.secrets import stripe_keys
    from chalicelib.payments.stripe_gateway import StripePayments

    config = settings()
    keys = stripe_keys(config)
    return StripePayments(keys.secret_key, keys.webhook_secret, api_base=config.stripe_api_base)


def party_service(tenant_id: str) -> PartyService:
    from chalicelib.payments.parties import PartyService
    from chalicelib.store.parties import PartyRepository, PayoutAccountDirectory

    return PartyService(tenant_id, PartyRepository(tenant_id), PayoutAccountDirectory(), payment_gateway,
                        public_base_url=settings().public_base_url)


def checkout_service(tenant_id: str) -> CheckoutService:
    from chalicelib.payments.checkout import CheckoutService
    from chalicelib.store.charger_state import ChargerStateRepository
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.payments import PaymentRepository, PaymentWatch
    from chalicelib.store.tokens import TokenRepository

    return CheckoutService(
        tenant_id, payments=PaymentRepository(tenant_id), chargers=ChargerRepository(tenant_id),
        states=ChargerStateRepository(tenant_id), tokens=TokenRepository(tenant_id),
        tariffs=tariff_lookup(tenant_id), gateway=payment_gateway,
        commands=lambda: command_service(tenant_id, rest_sender), public_base_url=settings().public_base_url,
        watch=PaymentWatch(),
    )


def payment_sweeper() -> PaymentSweeper:
    from chalicelib.payments.sweeper import PaymentSweeper
    from chalicelib.store.payments import PaymentWatch

    return PaymentSweeper(PaymentWatch())


def billing_hooks(tenant_id: str, charger: Charger, sender: Callable[[], Sender]) -> BillingHooks:
    from chalicelib.billing.hooks import BillingHooks
    from chalicelib.store.payments import PaymentRepository
    from chalicelib.store.sessions import SessionRepository
    from chalicelib.store.sites import SiteRepository

    def stop_session(session_id: str) -> None:
        from chalicelib.ocpp.verbs import CommandIn

        stop = CommandIn(action="stop", payload={"session_id": session_id})
        command_service(tenant_id, sender).send(charger.id, stop)

    return BillingHooks(
        tenant_id, charger, tariffs=tariff_lookup(tenant_id), payments=PaymentRepository(tenant_id),
        checkout=lambda: checkout_service(tenant_id), workflows=workflow_starter,
        sessions=SessionRepository(tenant_id), sites=SiteRepository(tenant_id),
        sources=lambda: pricing_sources(tenant_id), stop_session=stop_session,
    )


@lru_cache(maxsize=1)
def workflow_starter() -> WorkflowStarter:
    from chalicelib.workflows.starter import WorkflowStarter

    return WorkflowStarter()


def pricing_sources(tenant_id: str) -> PricingSources:
    """What pricing a session reads besides the session: its readings and status changes."""
    from chalicelib.billing.steps import PricingSources
    from chalicelib.charging.meter import transaction_meter_key
    from chalicelib.charging.sessions import Session
    from chalicelib.charging.station import session_readings
    from chalicelib.clock import now_rfc3339
    from chalicelib.store.charger_events import ChargerEventRepository
    from chalicelib.store.meter_values import MeterValueRepository

    meter_values = MeterValueRepository(tenant_id)
    events = ChargerEventRepository(tenant_id)

    def readings(session: Session) -> list[Any]:
        return session_readings(meter_values, session, until=session.stopped_at or now_rfc3339())

    def status_events(session: Session) -> list[Any]:
        start = session.started_at or ""
        # The status in force when it started (reported before), and every change until it stopped.
        return [*events.latest_before(session.charger_id, "StatusNotification", start),
                *events.between(session.charger_id, "StatusNotification", start, session.stopped_at or "~")]

    def transaction_events(session: Session) -> list[Any]:
        if session.ocpp_version != "ocpp2.0.1":
            return []
        return meter_values.events(transaction_meter_key(session.charger_id, session.transaction_id))

    return PricingSources(readings, status_events, transaction_events)


def billing_steps(tenant_id: str) -> BillingSteps:
    from chalicelib.billing.steps import BillingSteps
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.directory import TenantProfileRepository
    from chalicelib.store.ledger import CdrRepository, LedgerRepository
    from chalicelib.store.parties import PartyRepository
    from chalicelib.store.payments import PaymentRepository
    from chalicelib.store.sessions import SessionRepository
    from chalicelib.store.sites import SiteRepository

    return BillingSteps(
        tenant_id, sessions=SessionRepository(tenant_id), ledger=LedgerRepository(tenant_id),
        cdrs=CdrRepository(tenant_id), payments=PaymentRepository(tenant_id), parties=PartyRepository(tenant_id),
        chargers=ChargerRepository(tenant_id), sites=SiteRepository(tenant_id),
        profiles=TenantProfileRepository(tenant_id), sources=pricing_sources(tenant_id),
        gateway=payment_gateway, platform_fee_bps=settings().platform_fee_bps,
        mailer=receipt_mailer if settings().receipt_sender else None, public_base_url=settings().public_base_url,
    )


@lru_cache(maxsize=1)
def receipt_mailer() -> SesMailer:
    from chalicelib.payments.mailer import SesMailer

    sender = settings().receipt_sender
    assert sender is not None
    return SesMailer(sender)


def driver_status(tenant_id: str) -> DriverStatus:
    from chalicelib.payments.status import DriverStatus
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.ledger import LedgerRepository
    from chalicelib.store.payments import PaymentRepository
    from chalicelib.store.sessions import SessionRepository
    from chalicelib.store.sites import SiteRepository

    return DriverStatus(payments=PaymentRepository(tenant_id), sessions=SessionRepository(tenant_id),
                        ledger=LedgerRepository(tenant_id), chargers=ChargerRepository(tenant_id),
                        sites=SiteRepository(tenant_id), sources=pricing_sources(tenant_id),
                        checkout=checkout_service(tenant_id))


def cdr_repository(tenant_id: str) -> CdrRepository:
    from chalicelib.store.ledger import CdrRepository

    return CdrRepository(tenant_id)


def ledger_repository(tenant_id: str) -> LedgerRepository:
    from chalicelib.store.ledger import LedgerRepository

    return LedgerRepository(tenant_id)


def ledger_service(tenant_id: str) -> LedgerService:
    from chalicelib.billing.ledger import LedgerService

    return LedgerService(ledger_repository(tenant_id))


def billing_runs(tenant_id: str) -> BillingRuns:
    from chalicelib.billing.hooks import BillingRuns
    from chalicelib.store.sessions import SessionRepository

    return BillingRuns(tenant_id, SessionRepository(tenant_id), workflow_starter)
