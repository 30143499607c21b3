"""Every entrypoint of the platform. Each handler builds the context, calls one service and shapes the reply."""
from __future__ import annotations

from typing import Any

from chalice.app import Chalice, CloudWatchEvent, Rate, Request, Response, WebsocketEvent
from pydantic import AwareDatetime, Field

from chalicelib import composition as services
from chalicelib.charging.models import ChargerIn, ChargerPatch, TokenIn, TokenPatch
from chalicelib.charging.sessions import SessionStatus
from chalicelib.clock import rfc3339
from chalicelib.errors import NotFound
from chalicelib.ocpp.edge import connect_request, sender_of
from chalicelib.ocpp.verbs import MAX_WAIT_S, CommandIn
from chalicelib.rest.auth import tenant_context
from chalicelib.rest.replies import created, csv_reply, html_reply, json_reply, no_content, page_reply
from chalicelib.rest.requests import ListQuery, body, connector_number, path_id, query
from chalicelib.rest.routing import guarded, http_edge
from chalicelib.rest.views import (
    api_key_view,
    charger_event_view,
    charger_view,
    command_view,
    ledger_view,
    party_view,
    session_detail_view,
    session_view,
    site_view,
    tariff_view,
    tenant_view,
    token_view,
)
from chalicelib.settings import settings
from chalicelib.sites.models import SiteIn, SitePatch
from chalicelib.store.sessions import SessionFilter
from chalicelib.tenancy.models import ApiKeyIn, SignupIn, TenantPatch
from chalicelib.validation import InputModel

app = Chalice(app_name="evcharge")
# Chalice calls its WebSocket support experimental; `chalice package` (so `cdk deploy`) refuses the app without this.
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.register_middleware(http_edge, "http")
route = guarded(app)


def request() -> Request:
    """The request being handled (Chalice sets it before it calls a route)."""
    assert app.current_request is not None
    return app.current_request


class ChargerListQuery(ListQuery):
    site_id: str | None = None


class ChargerEventQuery(ListQuery):
    type: str | None = None


class WaitQuery(InputModel):
    wait: float = Field(default=0, ge=0, le=MAX_WAIT_S)  # seconds to wait for the charger's answer


class SessionListQuery(ListQuery):
    status: SessionStatus | None = None
    charger_id: str | None = None
    from_: AwareDatetime | None = Field(default=None, alias="from")
    to: AwareDatetime | None = None

    def where(self) -> SessionFilter:
        return SessionFilter(
            status=self.status, charger_id=self.charger_id,
            started_from=rfc3339(self.from_) if self.from_ else None, started_to=rfc3339(self.to) if self.to else None,
        )


# -- chargers over OCPP (API Gateway WebSocket) ---------------------------------------------------

@app.on_ws_connect()
def ocpp_connect(event: WebsocketEvent) -> dict[str, Any]:
    return services.ocpp_gateway().connect(connect_request(event), sender_of(event)).response()


@app.on_ws_message()
def ocpp_frame(event: WebsocketEvent) -> None:
    services.ocpp_gateway().frame(event.connection_id, event.body, sender_of(event), event.context)


@app.on_ws_disconnect()
def ocpp_disconnect(event: WebsocketEvent) -> None:
    services.ocpp_gateway().disconnect(event.connection_id)


# -- tenants and API keys -------------------------------------------------------------------------

@route("/v1/signup", methods=["POST"])
def sign_up() -> Response:
    tenant, api_key = services.signup_service().sign_up(body(request(), SignupIn))
    return created({"tenant": tenant_view(tenant), "api_key": api_key})


@route("/v1/tenant", methods=["GET"])
def get_tenant() -> Response:
    ctx = tenant_context(request())
    tenant = services.tenant_profiles(ctx).profile()
    if tenant is None:
        raise NotFound.of("tenant", ctx.tenant_id)
    return json_reply(tenant_view(tenant))


@route("/v1/tenant", methods=["PATCH"])
def update_tenant() -> Response:
    ctx = tenant_context(request(), admin_only=True)
    from chalicelib.tenancy.profile import update_profile

    return json_reply(tenant_view(update_profile(services.tenant_profiles(ctx), body(request(), TenantPatch))))


@route("/v1/tenant/onboarding-link", methods=["POST"])
def tenant_onboarding_link() -> Response:
    """The tenant's own payout account (the CPO party), opened on first use."""
    from chalicelib.payments.parties import CPO_PARTY_ID

    ctx = tenant_context(request(), admin_only=True)
    tenant = services.tenant_profiles(ctx).profile()
    if tenant is None:
        raise NotFound.of("tenant", ctx.tenant_id)
    url = services.party_service(ctx.tenant_id).cpo_onboarding_link(
        name=tenant.name, email=tenant.email, country=tenant.country)
    return created({"party_id": CPO_PARTY_ID, "url": url})


@route("/v1/api-keys", methods=["POST"])
def create_api_key() -> Response:
    ctx = tenant_context(request(), admin_only=True)
    key, secret = services.api_key_service(ctx).create(body(request(), ApiKeyIn))
    return created({**api_key_view(key), "api_key": secret})


@route("/v1/api-keys", methods=["GET"])
def list_api_keys() -> Response:
    ctx = tenant_context(request(), admin_only=True)
    q = query(request(), ListQuery)
    return page_reply(services.api_key_service(ctx).list(q.limit, q.next), api_key_view)


@route("/v1/api-keys/{key_id}", methods=["DELETE"])
def revoke_api_key(key_id: str) -> Response:
    ctx = tenant_context(request(), admin_only=True)
    services.api_key_service(ctx).revoke(path_id(key_id))
    return no_content()


# -- sites ------------------------------------------------------------------------------------------

@route("/v1/sites", methods=["POST"])
def create_site() -> Response:
    ctx = tenant_context(request())
    return created(site_view(services.site_service(ctx).create(body(request(), SiteIn))))


@route("/v1/sites", methods=["GET"])
def list_sites() -> Response:
    ctx = tenant_context(request())
    q = query(request(), ListQuery)
    return page_reply(services.site_service(ctx).list(q.limit, q.next), site_view)


@route("/v1/sites/{site_id}", methods=["GET"])
def get_site(site_id: str) -> Response:
    ctx = tenant_context(request())
    return json_reply(site_view(services.site_service(ctx).get(path_id(site_id))))


@route("/v1/sites/{site_id}", methods=["PATCH"])
def update_site(site_id: str) -> Response:
    ctx = tenant_context(request())
    patch = body(request(), SitePatch)
    return json_reply(site_view(services.site_service(ctx).update(path_id(site_id), patch)))


@route("/v1/sites/{site_id}", methods=["DELETE"])
def delete_site(site_id: str) -> Response:
    ctx = tenant_context(request())
    services.site_service(ctx).delete(path_id(site_id))
    return no_content()


# -- tariffs and payout parties ---------------------------------------------------------------------

@route("/v1/tariffs", methods=["POST"])
def create_tariff() -> Response:
    from chalicelib.tariffs.models import TariffIn

    ctx = tenant_context(request())
    return created(tariff_view(services.tariff_service(ctx).create(body(request(), TariffIn))))


@route("/v1/tariffs", methods=["GET"])
def list_tariffs() -> Response:
    ctx = tenant_context(request())
    q = query(request(), ListQuery)
    return page_reply(services.tariff_service(ctx).list(q.limit, q.next), tariff_view)


@route("/v1/tariffs/{tariff_id}", methods=["GET"])
def get_tariff(tariff_id: str) -> Response:
    ctx = tenant_context(request())
    return json_reply(tariff_view(services.tariff_service(ctx).get(path_id(tariff_id))))


@route("/v1/tariffs/{tariff_id}", methods=["PATCH"])
def update_tariff(tariff_id: str) -> Response:
    from chalicelib.tariffs.models import TariffPatch

    ctx = tenant_context(request())
    patch = body(request(), TariffPatch)
    return json_reply(tariff_view(services.tariff_service(ctx).update(path_id(tariff_id), patch)))


@route("/v1/tariffs/{tariff_id}", methods=["DELETE"])
def delete_tariff(tariff_id: str) -> Response:
    ctx = tenant_context(request())
    services.tariff_service(ctx).delete(path_id(tariff_id))
    return no_content()


@route("/v1/parties", methods=["POST"])
def create_party() -> Response:
    from chalicelib.payments.parties import PartyIn

    ctx = tenant_context(request(), admin_only=True)
    tenant = services.tenant_profiles(ctx).profile()
    country = tenant.country if tenant is not None else "NL"
    party = services.party_service(ctx.tenant_id).create(body(request(), PartyIn), tenant_country=country)
    return created(party_view(party))


@route("/v1/parties", methods=["GET"])
def list_parties() -> Response:
    ctx = tenant_context(request())
    q = query(request(), ListQuery)
    return page_reply(services.party_service(ctx.tenant_id).list(q.limit, q.next), party_view)


@route("/v1/parties/{party_id}", methods=["GET"])
def get_party(party_id: str) -> Response:
    ctx = tenant_context(request())
    return json_reply(party_view(services.party_service(ctx.tenant_id).get(path_id(party_id))))


@route("/v1/parties/{party_id}/onboarding-link", methods=["POST"])
def party_onboarding_link(party_id: str) -> Response:
    ctx = tenant_context(request(), admin_only=True)
    pid = path_id(party_id)
    return created({"party_id": pid, "url": services.party_service(ctx.tenant_id).onboarding_link(pid)})


# -- chargers ---------------------------------------------------------------------------------------

@route("/v1/chargers", methods=["POST"])
def register_charger() -> Response:
    ctx = tenant_context(request())
    chargers = services.charger_service(ctx)
    charger, password = chargers.register(body(request(), ChargerIn))
    return created({
        "charger": charger_view(charger, chargers),
        "ocpp_url": chargers.ocpp_url(charger.id),
        "password": password,
    })


@route("/v1/chargers", methods=["GET"])
def list_chargers() -> Response:
    ctx = tenant_context(request())
    q = query(request(), ChargerListQuery)
    chargers = services.charger_service(ctx)
    page = chargers.list(q.limit, q.next, q.site_id)
    live = chargers.live_of([c.id for c in page.items])
    return page_reply(page, lambda c: charger_view(c, chargers, live[c.id]))


@route("/v1/chargers/{charger_id}", methods=["GET"])
def get_charger(charger_id: str) -> Response:
    ctx = tenant_context(request())
    chargers = services.charger_service(ctx)
    charger = chargers.get(path_id(charger_id))
    return json_reply(charger_view(charger, chargers, chargers.live(charger.id)))


@route("/v1/chargers/{charger_id}/events", methods=["GET"])
def list_charger_events(charger_id: str) -> Response:
    ctx = tenant_context(request())
    q = query(request(), ChargerEventQuery)
    charger = services.charger_service(ctx).get(path_id(charger_id))
    return page_reply(services.charger_events(ctx).list(charger.id, q.limit, q.next, q.type), charger_event_view)


@route("/v1/chargers/{charger_id}", methods=["PATCH"])
def update_charger(charger_id: str) -> Response:
    ctx = tenant_context(request())
    chargers = services.charger_service(ctx)
    patch = body(request(), ChargerPatch)
    charger = chargers.update(path_id(charger_id), patch)
    return json_reply(charger_view(charger, chargers, chargers.live(charger.id)))


@route("/v1/chargers/{charger_id}", methods=["DELETE"])
def delete_charger(charger_id: str) -> Response:
    ctx = tenant_context(request())
    services.charger_service(ctx).delete(path_id(charger_id))
    return no_content()


@route("/v1/chargers/{charger_id}/password", methods=["POST"])
def rotate_charger_password(charger_id: str) -> Response:
    ctx = tenant_context(request())
    chargers = services.charger_service(ctx)
    cp_id = path_id(charger_id)
    password = chargers.rotate_password(cp_id)
    return json_reply({"charger_id": cp_id, "ocpp_url": chargers.ocpp_url(cp_id), "password": password})


# -- tokens -----------------------------------------------------------------------------------------

@route("/v1/tokens", methods=["POST"])
def create_token() -> Response:
    ctx = tenant_context(request())
    return created(token_view(services.token_service(ctx).create(body(request(), TokenIn))))


@route("/v1/tokens", methods=["GET"])
def list_tokens() -> Response:
    ctx = tenant_context(request())
    q = query(request(), ListQuery)
    return page_reply(services.token_service(ctx).list(q.limit, q.next), token_view)


@route("/v1/tokens/{uid}", methods=["GET"])
def get_token(uid: str) -> Response:
    ctx = tenant_context(request())
    return json_reply(token_view(services.token_service(ctx).get(path_id(uid))))


@route("/v1/tokens/{uid}", methods=["PATCH"])
def update_token(uid: str) -> Response:
    ctx = tenant_context(request())
    patch = body(request(), TokenPatch)
    return json_reply(token_view(services.token_service(ctx).update(path_id(uid), patch)))


@route("/v1/tokens/{uid}", methods=["DELETE"])
def delete_token(uid: str) -> Response:
    ctx = tenant_context(request())
    services.token_service(ctx).delete(path_id(uid))
    return no_content()


# -- commands to chargers ---------------------------------------------------------------------------

@route("/v1/chargers/{charger_id}/commands", methods=["POST"])
def send_command(charger_id: str) -> Response:
    ctx = tenant_context(request())
    wait = query(request(), WaitQuery).wait
    commands = services.command_service(ctx.tenant_id, services.rest_sender)
    command = commands.send(path_id(charger_id), body(request(), CommandIn))
    if wait:
        command = commands.get(command.id, wait)
    return json_reply(command_view(command), status=202)


@route("/v1/commands/{command_id}", methods=["GET"])
def get_command(command_id: str) -> Response:
    ctx = tenant_context(request())
    wait = query(request(), WaitQuery).wait
    return json_reply(command_view(services.command_service(ctx.tenant_id).get(path_id(command_id), wait)))


# -- sessions ---------------------------------------------------------------------------------------

@route("/v1/sessions", methods=["GET"])
def list_sessions() -> Response:
    ctx = tenant_context(request())
    q = query(request(), SessionListQuery)
    return page_reply(services.session_reports(ctx).list(q.limit, q.next, q.where()), session_view)


@route("/v1/sessions/{session_id}", methods=["GET"])
def get_session(session_id: str) -> Response:
    ctx = tenant_context(request())
    return json_reply(session_detail_view(services.session_reports(ctx).get(path_id(session_id))))


@route("/v1/sessions/{session_id}/billing", methods=["POST"])
def rerun_billing(session_id: str) -> Response:
    """Run a session's failed billing again (202; the ledger and the session show the outcome)."""
    ctx = tenant_context(request(), admin_only=True)
    return json_reply(session_view(services.billing_runs(ctx.tenant_id).rerun(path_id(session_id))), status=202)


# -- CDRs and the ledger ---------------------------------------------------------------------------

class CdrQuery(ListQuery):
    format: str = Field(default="json", pattern="^(json|csv)$")


@route("/v1/cdrs", methods=["GET"])
def list_cdrs() -> Response:
    ctx = tenant_context(request())
    q = query(request(), CdrQuery)
    page = services.cdr_repository(ctx.tenant_id).list(q.limit, q.next)
    if q.format == "csv":
        from chalicelib.billing.cdrs import cdr_csv

        return csv_reply(cdr_csv(page.items), page.next)
    return page_reply(page, lambda cdr: cdr)


@route("/v1/cdrs/{cdr_id}", methods=["GET"])
def get_cdr(cdr_id: str) -> Response:
    ctx = tenant_context(request())
    q = query(request(), CdrQuery)
    cdr = services.cdr_repository(ctx.tenant_id).get(path_id(cdr_id))
    if cdr is None:
        raise NotFound.of("cdr", cdr_id)
    if q.format == "csv":
        from chalicelib.billing.cdrs import cdr_csv

        return csv_reply(cdr_csv([cdr]), None)
    return json_reply(cdr)


@route("/v1/ledger", methods=["GET"])
def list_ledger() -> Response:
    ctx = tenant_context(request())
    q = query(request(), ListQuery)
    return page_reply(services.ledger_repository(ctx.tenant_id).list(q.limit, q.next), ledger_view)


class PayoutQuery(InputModel):
    from_: AwareDatetime | None = Field(default=None, alias="from")
    to: AwareDatetime | None = None


@route("/v1/ledger/payouts", methods=["GET"])
def ledger_payouts() -> Response:
    """Per party and currency, what billed sessions in the period paid out or hold."""
    ctx = tenant_context(request())
    q = query(request(), PayoutQuery)
    summary = services.ledger_service(ctx.tenant_id).payouts(q.from_, q.to)
    return json_reply({"from": q.from_ and rfc3339(q.from_), "to": q.to and rfc3339(q.to),
                       "parties": [p.model_dump(mode="json") for p in summary]})


# -- drivers: connector pages, checkout, session pages; Stripe's webhook; QR codes -----------------

@route("/pay/{slug}/{charger_id}/{connector}", methods=["GET"])
def pay_page(slug: str, charger_id: str, connector: str) -> Response:
    from chalicelib.payments import driver, pages

    _, offer = driver.connector_offer(path_id(slug), path_id(charger_id), connector_number(connector))
    return html_reply(pages.connector_page(offer, driver.tariff_words(offer)))


@route("/pay/{slug}/{charger_id}/{connector}", methods=["POST"],
       content_types=["application/x-www-form-urlencoded", "application/json", "multipart/form-data"])
def pay(slug: str, charger_id: str, connector: str) -> Response:
    from chalicelib.payments import driver

    page_url = f"{settings().public_base_url}/pay/{slug}/{charger_id}/{connector}"
    payment = driver.begin_checkout(path_id(slug), path_id(charger_id), connector_number(connector), page_url)
    return Response(body="", status_code=303, headers={"Location": str(payment.checkout_url)})


@route("/pay/sessions/{payment_id}", methods=["GET"])
def pay_session(payment_id: str) -> Response:
    from chalicelib.payments import driver, pages

    view = driver.payment_view(path_id(payment_id))
    if "application/json" in (request().headers.get("accept") or ""):
        return json_reply(view)
    return html_reply(pages.session_page(view))


@route("/onboarding/{outcome}", methods=["GET"])
def onboarding_done(outcome: str) -> Response:
    from chalicelib.payments import pages

    if outcome == "complete":
        return html_reply(pages.message_page("Thank you", "Your payout details are with Stripe. "
                                                            "You can close this page."))
    return html_reply(pages.message_page("Link expired", "Ask the operator for a new onboarding link."))


@route("/webhooks/stripe", methods=["POST"], content_types=["application/json"])
def stripe_webhook() -> Response:
    from chalicelib.payments.webhooks import handle_event, verified_event

    raw = request().raw_body
    event = verified_event(raw.encode() if isinstance(raw, str) else raw, request().headers.get("stripe-signature"))
    return json_reply({"received": event.id, "outcome": handle_event(event)})


@route("/v1/chargers/{charger_id}/connectors/{connector}/qr.svg", methods=["GET"])
def connector_qr(charger_id: str, connector: str) -> Response:
    ctx = tenant_context(request())
    from chalicelib.payments.qr import pay_link, qr_svg

    charger = services.charger_service(ctx).get(path_id(charger_id))
    number = connector_number(connector)
    from chalicelib.payments.checkout import connector_position

    if connector_position(charger, number) is None:
        raise NotFound.of("connector", connector)
    link = pay_link(settings().public_base_url, ctx.slug, charger.id, number)
    return Response(body=qr_svg(link), status_code=200,
                    headers={"Content-Type": "image/svg+xml", "X-Pay-Link": link})


@app.schedule(Rate(2, unit=Rate.MINUTES), name="sweep_payments")
def sweep_payments(event: CloudWatchEvent) -> dict[str, int]:
    """Holds whose charge never began are released; paid sessions past their hold are stopped."""
    report = services.payment_sweeper().sweep()
    return {"released": len(report.released), "stopped": len(report.stopped), "finished": len(report.finished)}


# -- the billing workflow's steps (Lambda functions run by chalicelib/workflows/billing.asl.json) ------

@app.lambda_function(name="bill_price")
def bill_price(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return services.billing_steps(event["tenant_id"]).price(event["session_id"])


@app.lambda_function(name="bill_collect")
def bill_collect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return services.billing_steps(event["tenant_id"]).collect(event["session_id"])


@app.lambda_function(name="bill_split")
def bill_split(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return services.billing_steps(event["tenant_id"]).split(event["session_id"])


@app.lambda_function(name="bill_ledger")
def bill_ledger(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return services.billing_steps(event["tenant_id"]).record_ledger(event["session_id"])


@app.lambda_function(name="bill_receipt")
def bill_receipt(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return services.billing_steps(event["tenant_id"]).send_receipt(event["session_id"])


@app.lambda_function(name="bill_fail")
def bill_fail(event: dict[str, Any], context: Any) -> dict[str, Any]:
    error = event.get("error") or {}
    return services.billing_steps(event["tenant_id"]).fail(
        event["session_id"], f"{error.get('Error', 'unknown')}: {error.get('Cause', '')}")
