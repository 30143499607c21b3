"""The sandbox over HTTP (werkzeug, on a thread, loopback by default): Stripe's v1 API paths the platform calls,
the hosted Checkout and Connect onboarding pages, and control endpoints (under /_sandbox/) for injected faults,
redelivering an event and listing webhook deliveries.

Point the official SDK at it:

    client = stripe.StripeClient("sk_test_local", base_addresses={"api": sandbox.url})
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from infra.local.serving import ServerThread
from infra.local.stripe_sandbox import pages
from infra.local.stripe_sandbox.errors import StripeError, invalid_param
from infra.local.stripe_sandbox.faults import Faults, When
from infra.local.stripe_sandbox.forms import decode_form
from infra.local.stripe_sandbox.idempotency import IdempotencyKeys
from infra.local.stripe_sandbox.objects import (
    DEFAULT_API_VERSION,
    PaymentOutcome,
    RequestInfo,
    StripeObjects,
    current_request,
    new_id,
)
from infra.local.stripe_sandbox.params import (
    EXPAND,
    Arr,
    Bool,
    Capabilities,
    Enum,
    Int,
    Metadata,
    Obj,
    Str,
    check_params,
)
from infra.local.stripe_sandbox.webhooks import DEFAULT_SECRET, Delivery, WebhookSender

_BUSINESS_PROFILE = Obj({name: Str() for name in ("name", "url", "mcc", "product_description", "support_email",
                                                  "support_phone", "support_url")})
_ACCOUNT_FIELDS = {"email": Str(), "capabilities": Capabilities(), "business_profile": _BUSINESS_PROFILE,
                   "business_type": Enum("individual", "company", "non_profit", "government_entity"),
                   "default_currency": Str(), "metadata": Metadata(), "expand": EXPAND}
ACCOUNT_CREATE = Obj({"type": Enum("custom", "express", "standard"), "country": Str(), **_ACCOUNT_FIELDS})
ACCOUNT_UPDATE = Obj(_ACCOUNT_FIELDS)
ACCOUNT_LINK = Obj({"account": Str(), "refresh_url": Str(), "return_url": Str(),
                    "type": Enum("account_onboarding", "account_update"),
                    "collect": Enum("currently_due", "eventually_due"), "expand": EXPAND},
                   required=("account", "type"))
_PRICE_DATA = Obj({"currency": Str(), "unit_amount": Int(0),
                   "product_data": Obj({"name": Str(), "description": Str(), "metadata": Metadata(),
                                        "images": Arr(Str())}, required=("name",)),
                   "tax_behavior": Enum("exclusive", "inclusive", "unspecified")},
                  required=("currency", "unit_amount", "product_data"))
CHECKOUT_CREATE = Obj({
    "mode": Enum("payment", "setup", "subscription"),
    "line_items": Arr(Obj({"price_data": _PRICE_DATA, "price": Str(), "quantity": Int(1)}, required=("quantity",)),
                      min_items=1),
    "payment_intent_data": Obj({"capture_method": Enum("automatic", "automatic_async", "manual"),
                                "metadata": Metadata(), "transfer_group": Str(), "description": Str(),
                                "receipt_email": Str(), "statement_descriptor": Str(),
                                "statement_descriptor_suffix": Str()}),
    "metadata": Metadata(), "client_reference_id": Str(), "success_url": Str(), "cancel_url": Str(),
    "customer_email": Str(), "expires_at": Int(), "payment_method_types": Arr(Enum("card")), "locale": Str(),
    "submit_type": Enum("auto", "book", "donate", "pay", "subscribe"), "expand": EXPAND,
}, required=("mode", "line_items"))
RETRIEVE = Obj({"expand": EXPAND})
CAPTURE = Obj({"amount_to_capture": Int(1), "metadata": Metadata(), "expand": EXPAND})
CANCEL = Obj({"cancellation_reason": Enum("abandoned", "duplicate", "fraudulent", "requested_by_customer"),
              "expand": EXPAND})
TRANSFER_CREATE = Obj({"amount": Int(1), "currency": Str(), "destination": Str(), "transfer_group": Str(),
                       "source_transaction": Str(), "description": Str(), "metadata": Metadata(), "expand": EXPAND},
                      required=("amount", "currency", "destination"))
_PAGING = {"limit": Int(1), "starting_after": Str(), "ending_before": Str(), "expand": EXPAND}
TRANSFER_LIST = Obj({"transfer_group": Str(), "destination": Str(), **_PAGING})
EVENT_LIST = Obj({"type": Str(), "types": Arr(Str()), "delivery_success": Bool(), **_PAGING})

Handler = Callable[[dict[str, str], dict[str, Any]], dict[str, Any]]
_REDELIVER = re.compile(r"^/_sandbox/events/(?P<id>[^/]+)/redeliver$")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    params: Obj
    handler: Handler


class LocalStripe:
    """An offline Stripe for `make dev` and the tests. State lives in memory; requests may come concurrently."""

    def __init__(self, port: int = 0, *, webhook_url: str | None = None, webhook_secret: str = DEFAULT_SECRET,
                 host: str = "127.0.0.1", public_url: str | None = None, api_key: str | None = None,
                 now: Callable[[], float] = time.time) -> None:
        self._port = port
        self._host = host
        self._public_url = public_url
        self._api_key = api_key
        self._server: BaseWSGIServer | None = None
        self._serving: ServerThread | None = None
        self._webhooks = WebhookSender(webhook_url, webhook_secret)
        self._webhook_secret = webhook_secret
        self.objects = StripeObjects(lambda: self.public_url, self._webhooks.send,
                                     has_webhook=lambda: self._webhooks.is_configured, now=now)
        self._idempotency = IdempotencyKeys()
        self._faults = Faults()
        self._routes = self._route_table()

    # ---------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def public_url(self) -> str:
        """Where the hosted pages' links point (the phone that pays may need a LAN address)."""
        return self._public_url or self.url

    def start(self) -> LocalStripe:
        self._server = make_server(self._host, self._port, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self._webhooks.start()
        self._serving = ServerThread(self._server, "stripe-sandbox")
        return self

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
            self._server = None
        self._webhooks.stop()

    def __enter__(self) -> LocalStripe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- webhooks

    def set_webhook(self, url: str | None, secret: str = DEFAULT_SECRET) -> None:
        self._webhook_secret = secret
        self._webhooks.configure(url, secret)

    @property
    def webhook_secret(self) -> str:
        return self._webhook_secret

    def redeliver(self, event_id: str) -> None:
        """Sends the event again (as it was when it happened) to the webhook URL now configured."""
        event = self.objects.get_kind(event_id, "event")
        self._webhooks.send(json.loads(json.dumps(event)))

    def wait_for_deliveries(self, timeout: float = 5.0) -> bool:
        """Whether every event so far was delivered (or gave up) within the timeout."""
        return self._webhooks.wait_until_idle(timeout)

    @property
    def deliveries(self) -> list[Delivery]:
        return list(self._webhooks.deliveries)

    # ---------------------------------------------------------------- faults

    def fail_next(self, path: str, times: int = 1, *, when: When = "before", method: str = "POST") -> None:
        """The next `times` requests to `path` (fnmatch pattern) answer 500; see faults.py for `before`/`after`."""
        self._faults.add(path, times, when, method)

    def clear_faults(self) -> None:
        self._faults.clear()

    # ---------------------------------------------------------------- inspection for tests

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        return [event for event in self.objects.all_of("event") if type is None or event["type"] == type]

    def accounts(self) -> list[dict[str, Any]]:
        return self.objects.all_of("account")

    def payment_intents(self) -> list[dict[str, Any]]:
        return self.objects.all_of("payment_intent")

    def charges(self) -> list[dict[str, Any]]:
        return self.objects.all_of("charge")

    def transfers(self) -> list[dict[str, Any]]:
        return self.objects.all_of("transfer")

    def checkout_sessions(self) -> list[dict[str, Any]]:
        return self.objects.all_of("checkout.session")

    def pay_checkout(self, session_id: str, card_number: str = "4242424242424242",
                     email: str | None = "driver@example.com") -> PaymentOutcome:
        """What submitting the hosted checkout page does, without the page."""
        return self.objects.pay_checkout_session(session_id, card_number, email)

    # ---------------------------------------------------------------- HTTP

    def _route_table(self) -> list[Route]:
        o = self.objects

        def retrieve(kind: str) -> Handler:
            return lambda args, params: o.get_kind(args["id"], kind)

        table: list[tuple[str, str, Obj, Handler]] = [
            ("POST", "/v1/accounts", ACCOUNT_CREATE, lambda a, p: o.create_account(p)),
            ("GET", "/v1/accounts/{id}", RETRIEVE, lambda a, p: o.get_kind(a["id"], "account", "account")),
            ("POST", "/v1/accounts/{id}", ACCOUNT_UPDATE, lambda a, p: o.update_account(a["id"], p)),
            ("POST", "/v1/account_links", ACCOUNT_LINK, lambda a, p: o.create_account_link(p)),
            ("POST", "/v1/checkout/sessions", CHECKOUT_CREATE, lambda a, p: o.create_checkout_session(p)),
            ("GET", "/v1/checkout/sessions/{id}", RETRIEVE,
             lambda a, p: o.get_kind(a["id"], "checkout.session", "session")),
            ("POST", "/v1/checkout/sessions/{id}/expire", RETRIEVE,
             lambda a, p: o.expire_checkout_session(a["id"])),
            ("GET", "/v1/payment_intents/{id}", RETRIEVE,
             lambda a, p: o.get_kind(a["id"], "payment_intent", "intent")),
            ("POST", "/v1/payment_intents/{id}/capture", CAPTURE, lambda a, p: o.capture(a["id"], p)),
            ("POST", "/v1/payment_intents/{id}/cancel", CANCEL, lambda a, p: o.cancel(a["id"], p)),
            ("GET", "/v1/charges/{id}", RETRIEVE, lambda a, p: o.get_kind(a["id"], "charge", "charge")),
            ("GET", "/v1/balance_transactions/{id}", RETRIEVE, retrieve("balance_transaction")),
            ("POST", "/v1/transfers", TRANSFER_CREATE, lambda a, p: o.create_transfer(p)),
            ("GET", "/v1/transfers", TRANSFER_LIST, lambda a, p: self._list_transfers(p)),
            ("GET", "/v1/transfers/{id}", RETRIEVE, lambda a, p: o.get_kind(a["id"], "transfer", "transfer")),
            ("GET", "/v1/events", EVENT_LIST, lambda a, p: self._list_events(p)),
            ("GET", "/v1/events/{id}", RETRIEVE, lambda a, p: o.get_kind(a["id"], "event", "id")),
        ]
        return [Route(method, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"), spec, handler)
                for method, path, spec, handler in table]

    def _list_transfers(self, params: dict[str, Any]) -> dict[str, Any]:
        def keep(transfer: dict[str, Any]) -> bool:
            return all(transfer[name] == params[name] for name in ("transfer_group", "destination") if name in params)

        return self.objects.page("transfer", keep, **_paging(params), url="/v1/transfers")

    def _list_events(self, params: dict[str, Any]) -> dict[str, Any]:
        types = set(params.get("types", [])) | ({params["type"]} if "type" in params else set())

        def keep(event: dict[str, Any]) -> bool:
            return not types or event["type"] in types

        return self.objects.page("event", keep, **_paging(params), url="/v1/events")

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        path = request.path
        if path.startswith("/v1/"):
            response = self._api(request)
        elif path.startswith("/c/pay/"):
            response = self._checkout_page(request, path.removeprefix("/c/pay/"))
        elif path.startswith("/connect/onboarding/"):
            response = self._onboarding_page(request, path.removeprefix("/connect/onboarding/"))
        elif path == "/_sandbox/faults":
            response = self._fault_control(request)
        elif path == "/_sandbox/deliveries":
            response = self._deliveries_control(request)
        elif (redeliver := _REDELIVER.match(path)) is not None:
            response = self._redeliver_control(request, redeliver["id"])
        else:
            response = Response(pages.message_page("Not found", "The sandbox serves no page here."), 404,
                                content_type="text/html; charset=utf-8")
        return response(environ, start_response)

    def _api(self, request: Request) -> Response:
        request_id = new_id("req_", 14)
        version = request.headers.get("Stripe-Version") or DEFAULT_API_VERSION
        headers = Headers({"Request-Id": request_id, "Stripe-Version": version})
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if key:
            headers["Idempotency-Key"] = key

        def answer(status: int, body: bytes) -> Response:
            return Response(body, status, headers=headers, content_type="application/json")

        try:
            api_key = self._authenticate(request)
            route, args = self._route(request)
            params = decode_form(request.get_data(as_text=True) if request.method == "POST"
                                 else request.query_string.decode())
        except StripeError as error:
            return answer(error.status, _json(error.body()))
        if self._faults.take(request.method, request.path, "before"):
            return answer(500, _json(_injected()))
        scope = f"{api_key}|{request.headers.get('Stripe-Account', '')}"
        if key:
            try:
                saved = self._idempotency.claim(scope, key, f"{request.method} {request.path}", params)
            except StripeError as error:
                return answer(error.status, _json(error.body()))
            if saved is not None:
                headers["Idempotent-Replayed"] = "true"
                if self._faults.take(request.method, request.path, "after"):
                    return answer(500, _json(_injected()))
                return answer(saved.status or 500, saved.body)
        status, body, is_saved = self._execute(route, args, params, RequestInfo(request_id, key, version))
        if key:
            if is_saved:
                self._idempotency.save(scope, key, status, body)
            else:
                self._idempotency.release(scope, key)
        if self._faults.take(request.method, request.path, "after"):
            return answer(500, _json(_injected()))
        return answer(status, body)

    def _execute(self, route: Route, args: dict[str, str], params: dict[str, Any],
                 info: RequestInfo) -> tuple[int, bytes, bool]:
        token = current_request.set(info)
        try:
            checked = check_params(params, route.params)
            if "limit" in checked and checked["limit"] > 100:
                raise invalid_param("This value must be less than or equal to 100.", "limit",
                                    "parameter_invalid_integer")
            with self.objects.lock:
                result = route.handler(args, checked)
                return 200, _json(self.objects.render(result, checked.get("expand", []))), True
        except StripeError as error:
            return error.status, _json(error.body()), error.saved
        finally:
            current_request.reset(token)

    def _authenticate(self, request: Request) -> str:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            api_key = header.removeprefix("Bearer ").strip()
        elif request.authorization is not None and request.authorization.type == "basic":
            api_key = request.authorization.username or ""  # curl -u sk_test_...:
        else:
            raise StripeError(401, "You did not provide an API key. You need to provide your API key in the "
                              "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                              "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we "
                              "can help at https://support.stripe.com/.", saved=False)
        is_test_key = api_key.startswith(("sk_test_", "rk_test_")) and len(api_key) > len("sk_test_")
        if not is_test_key or (self._api_key is not None and api_key != self._api_key):
            raise StripeError(401, f"Invalid API Key provided: {_redact(api_key)}", saved=False)
        if request.headers.get("Stripe-Account"):
            raise StripeError(400, "The offline Stripe sandbox does not model requests made as a connected account "
                              "(the Stripe-Account header).", saved=False)
        return api_key

    def _route(self, request: Request) -> tuple[Route, dict[str, str]]:
        for route in self._routes:
            match = route.pattern.match(request.path)
            if match and route.method == request.method:
                return route, match.groupdict()
        raise StripeError(404, f"Unrecognized request URL ({request.method}: {request.path}). Please see "
                          "https://stripe.com/docs or we can help at https://support.stripe.com/.", saved=False)

    def _checkout_page(self, request: Request, session_id: str) -> Response:
        try:
            session = self.objects.get_kind(session_id, "checkout.session", "session")
        except StripeError:
            return _html(pages.message_page("Not found", "No such checkout session."), 404)
        lines = self.objects.line_items(session_id)
        if request.method != "POST":
            return _html(pages.checkout_page(session, lines))
        card = request.form.get("cardnumber", "")
        outcome = self.objects.pay_checkout_session(session_id, card, request.form.get("email") or None)
        if outcome.redirect_to:
            return Response(status=303, headers={"Location": outcome.redirect_to})
        if outcome.done_message:
            return _html(pages.message_page("Thank you", outcome.done_message))
        session = self.objects.get_kind(session_id, "checkout.session", "session")
        return _html(pages.checkout_page(session, lines, error=outcome.error, card_number=card), 402)

    def _onboarding_page(self, request: Request, token: str) -> Response:
        found = self.objects.onboarding_link(token)
        if found is None:
            return _html(pages.message_page("Not found", "No such onboarding link."), 404)
        link, account = found
        if not self.objects.is_link_usable(link):  # as in Stripe: a used or expired link sends to refresh_url
            if link["refresh_url"]:
                return Response(status=303, headers={"Location": link["refresh_url"]})
            return _html(pages.message_page("Link expired", "This onboarding link was used or has expired."), 410)
        if request.method != "POST":
            return _html(pages.onboarding_page(account))
        self.objects.complete_onboarding(token)
        if link["return_url"]:
            return Response(status=303, headers={"Location": link["return_url"]})
        return _html(pages.message_page("Onboarding complete", "You can close this page."))

    def _fault_control(self, request: Request) -> Response:
        """POST path=<pattern>&times=1&when=before|after&method=POST adds a fault; DELETE clears them."""
        if request.method == "DELETE":
            self._faults.clear()
            return Response(_json({"deleted": True}), 200, content_type="application/json")
        if request.method != "POST" or "path" not in request.form:
            return Response(_json({"error": {"message": "POST path, times, when, method"}}), 400,
                            content_type="application/json")
        when = request.form.get("when", "before")
        if when not in ("before", "after"):
            return Response(_json({"error": {"message": "when must be before or after"}}), 400,
                            content_type="application/json")
        self._faults.add(request.form["path"], int(request.form.get("times", "1")),
                         "before" if when == "before" else "after", request.form.get("method", "POST"))
        return Response(_json({"added": True}), 200, content_type="application/json")


    def _redeliver_control(self, request: Request, event_id: str) -> Response:
        """POST /_sandbox/events/{id}/redeliver sends the event again (as `redeliver` does), for a test or a
        developer replaying a webhook from another process; answers 202 once it is queued."""
        if request.method != "POST":
            return Response(_json({"error": {"message": "POST to redeliver"}}), 405,
                            content_type="application/json", headers={"Allow": "POST"})
        if not self._webhooks.is_configured:
            return Response(_json({"error": {"message": "no webhook URL is configured"}}), 409,
                            content_type="application/json")
        try:
            self.redeliver(event_id)
        except StripeError as error:
            return Response(_json(error.body()), error.status, content_type="application/json")
        return Response(_json({"redelivered": event_id}), 202, content_type="application/json")


    def _deliveries_control(self, request: Request) -> Response:
        """GET /_sandbox/deliveries[?event_id=evt_...]: each webhook delivery attempt so far, oldest first, with
        the endpoint's status (null: unreachable), so another process can tell when an event was answered."""
        if request.method != "GET":
            return Response(_json({"error": {"message": "GET the deliveries"}}), 405,
                            content_type="application/json", headers={"Allow": "GET"})
        wanted = request.args.get("event_id")
        data = [{"event_id": d.event_id, "event_type": d.event_type, "attempt": d.attempt, "status": d.status,
                 "url": d.url} for d in self.deliveries if wanted is None or d.event_id == wanted]
        return Response(_json({"data": data}), 200, content_type="application/json")


class _QuietHandler(WSGIRequestHandler):
    """No line per request: the tests and `make dev` output stay readable."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _paging(params: dict[str, Any]) -> dict[str, Any]:
    return {"limit": params.get("limit", 10), "starting_after": params.get("starting_after"),
            "ending_before": params.get("ending_before")}


def _injected() -> dict[str, Any]:
    return {"error": {"type": "api_error", "message": "An unknown error occurred (injected by the offline Stripe "
                      "sandbox)."}}


def _json(body: Any) -> bytes:
    return json.dumps(body, indent=2).encode()


def _html(text: str, status: int = 200) -> Response:
    return Response(text, status, content_type="text/html; charset=utf-8")


def _redact(api_key: str) -> str:
    return api_key[:8] + "*" * max(len(api_key) - 12, 0) + api_key[-4:] if len(api_key) > 12 else api_key
