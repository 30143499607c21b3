"""The sandbox's Stripe objects and everything that changes them: Connect accounts and their onboarding, Checkout
Sessions and their payment, PaymentIntents (authorise, capture, cancel), charges, balance transactions,
transfers and events. Objects are kept as the JSON Stripe returns; one lock makes every operation atomic, since
the server answers requests on several threads.

The simulated Stripe fee on a captured charge (a deterministic stand-in for Stripe's EEA card pricing):
    fee = round_half_up(amount × 1.5 %) + 25        (minor units, the charge's currency)
and the balance transaction's net is amount − fee.
"""
from __future__ import annotations

import copy
import secrets
import string
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from infra.local.stripe_sandbox.cards import card_brand, card_outcome
from infra.local.stripe_sandbox.errors import StripeError, invalid_param, no_such

FEE_PERCENT_BASIS_POINTS = 150
FEE_FIXED_MINOR_UNITS = 25
CANCELLABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action",
               "processing")
DEFAULT_API_VERSION = "2026-10-28.endive"  # the version stripe-python 16.1 pins; events carry the caller's when given

_ALPHABET = string.ascii_letters + string.digits
_KINDS = {  # id prefix -> the name Stripe uses in "No such ..." and the `object` field
    "acct_": "account", "cs_test_": "checkout.session", "pi_": "payment_intent", "ch_": "charge",
    "txn_": "balance_transaction", "tr_": "transfer", "evt_": "event", "pm_": "payment_method",
}


def stripe_fee(amount: int) -> int:
    return (amount * FEE_PERCENT_BASIS_POINTS + 5_000) // 10_000 + FEE_FIXED_MINOR_UNITS


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class RequestInfo:
    """What an event's `request` field says: the API request that caused it, or none (a customer's action)."""

    id: str | None = None
    idempotency_key: str | None = None
    api_version: str | None = None


current_request: ContextVar[RequestInfo | None] = ContextVar("current_request", default=None)


@dataclass(frozen=True)
class PaymentOutcome:
    """What the hosted checkout page shows after a submit: a redirect, or the decline it shows in the form."""

    redirect_to: str | None = None
    error: str | None = None
    done_message: str | None = None


class StripeObjects:
    def __init__(self, public_url: Callable[[], str], on_event: Callable[[dict[str, Any]], None],
                 *, has_webhook: Callable[[], bool], now: Callable[[], float] = time.time) -> None:
        self._public_url = public_url
        self._on_event = on_event
        self._has_webhook = has_webhook
        self._now = now
        self.lock = threading.RLock()
        self._objects: dict[str, dict[str, Any]] = {}
        self._order: list[str] = []  # creation order, for lists (newest first)
        self._links: dict[str, dict[str, Any]] = {}  # onboarding token -> link
        self._line_items: dict[str, list[dict[str, Any]]] = {}  # checkout session -> line items
        self._session_pi_data: dict[str, dict[str, Any]] = {}

    # ---------------------------------------------------------------- reading

    def get(self, object_id: str, param: str = "id") -> dict[str, Any]:
        with self.lock:
            found = self._objects.get(object_id)
            if found is None:
                kind = next((k for p, k in _KINDS.items() if object_id.startswith(p)), "object")
                raise _missing(kind, object_id, param)
            if found["object"] == "checkout.session":
                self._expire_if_due(found)
            return found

    def get_kind(self, object_id: str, kind: str, param: str = "id") -> dict[str, Any]:
        with self.lock:
            found = self._objects.get(object_id)
            if found is None or found["object"] != kind:
                raise _missing(kind, object_id, param)
            return self.get(object_id, param)

    def render(self, obj: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        """A copy of the object with `expand` paths (dotted, `data.` for lists) replaced by the objects."""
        with self.lock:
            rendered = copy.deepcopy(obj)
            for path in expand:
                self._expand(rendered, path.split("."), path)
            return rendered

    def _expand(self, node: dict[str, Any], parts: list[str], full: str) -> None:
        head, rest = parts[0], parts[1:]
        if node.get("object") == "list" and head == "data" and rest:
            for item in node["data"]:
                self._expand(item, rest, full)
            return
        value = node.get(head)
        if isinstance(value, str) and value in self._objects:
            node[head] = copy.deepcopy(self._objects[value])
            value = node[head]
        elif value is None and head in node:
            return
        elif not isinstance(value, dict):
            raise invalid_param(f"This property cannot be expanded ({full}).", None)
        if rest:
            self._expand(value, rest, full)

    def page(self, kind: str, keep: Callable[[dict[str, Any]], bool], *, limit: int = 10,
             starting_after: str | None = None, ending_before: str | None = None, url: str) -> dict[str, Any]:
        with self.lock:
            items = [self._objects[i] for i in reversed(self._order) if self._objects[i]["object"] == kind]
            items = [item for item in items if keep(item)]
            ids = [item["id"] for item in items]
            if starting_after is not None:
                if starting_after not in ids:
                    raise no_such(kind, starting_after, "starting_after")
                items = items[ids.index(starting_after) + 1:]
            elif ending_before is not None:
                if ending_before not in ids:
                    raise no_such(kind, ending_before, "ending_before")
                items = items[:ids.index(ending_before)][-limit:]
            return {"object": "list", "data": copy.deepcopy(items[:limit]), "has_more": len(items) > limit,
                    "url": url}

    # ---------------------------------------------------------------- connect

    def create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            capabilities = {name: "inactive" for name, wanted in params.get("capabilities", {}).items()
                            if wanted.get("requested")}
            account = {
                "id": new_id("acct_", 16), "object": "account",
                "business_profile": {"mcc": None, "name": None, "product_description": None, "support_email": None,
                                     "url": None, **params.get("business_profile", {})},
                "business_type": params.get("business_type"), "capabilities": capabilities,
                "charges_enabled": False, "country": params.get("country", "DE").upper(),
                "created": self._stamp(), "default_currency": params.get("default_currency", "eur").lower(),
                "details_submitted": False, "email": params.get("email"),
                "external_accounts": {"object": "list", "data": [], "has_more": False, "url": ""},
                "metadata": params.get("metadata", {}), "payouts_enabled": False,
                "requirements": _requirements(due=True), "settings": {}, "tos_acceptance": {"date": None},
                "type": params.get("type", "express"),
            }
            account["external_accounts"]["url"] = f"/v1/accounts/{account['id']}/external_accounts"
            self._add(account)
            return account

    def update_account(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            account = self.get_kind(account_id, "account", "account")
            before = copy.deepcopy(account)
            for name in ("email", "business_type"):
                if name in params:
                    account[name] = params[name]
            account["business_profile"].update(params.get("business_profile", {}))
            _merge_metadata(account, params.get("metadata"))
            for name, wanted in params.get("capabilities", {}).items():
                if wanted.get("requested") and name not in account["capabilities"]:
                    account["capabilities"][name] = "active" if account["details_submitted"] else "inactive"
                elif wanted.get("requested") is False:
                    account["capabilities"].pop(name, None)
            self._emit_update("account.updated", account, before, account=account["id"])
            return account

    def create_account_link(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            account = self.get_kind(params["account"], "account", "account")
            token = new_id("", 32)
            created = self._stamp()
            self._links[token] = {"account": account["id"], "refresh_url": params.get("refresh_url"),
                                  "return_url": params.get("return_url"), "type": params["type"],
                                  "expires_at": created + 300, "used": False}
            return {"object": "account_link", "created": created, "expires_at": created + 300,
                    "url": f"{self._public_url()}/connect/onboarding/{token}"}

    def onboarding_link(self, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The link and its account, or None when the link is unknown."""
        with self.lock:
            link = self._links.get(token)
            return None if link is None else (link, self._objects[link["account"]])

    def is_link_usable(self, link: dict[str, Any]) -> bool:
        return not link["used"] and self._now() < link["expires_at"]

    def complete_onboarding(self, token: str) -> dict[str, Any]:
        """The account becomes able to take charges and receive transfers; `account.updated` (a Connect event)."""
        with self.lock:
            link = self._links[token]
            link["used"] = True
            account = self._objects[link["account"]]
            before = copy.deepcopy(account)
            account.update(details_submitted=True, charges_enabled=True, payouts_enabled=True,
                           requirements=_requirements(due=False), tos_acceptance={"date": self._stamp()})
            account["capabilities"] = {name: "active" for name in account["capabilities"]}
            token_request = current_request.set(RequestInfo())
            try:
                self._emit_update("account.updated", account, before, account=account["id"])
            finally:
                current_request.reset(token_request)
            return link

    # ---------------------------------------------------------------- checkout

    def create_checkout_session(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if params["mode"] != "payment":
                raise invalid_param("The offline Stripe sandbox supports only mode=payment.", "mode")
            lines = []
            for index, item in enumerate(params["line_items"]):
                path = f"line_items[{index}]"
                if "price" in item:
                    raise no_such("price", item["price"], f"{path}[price]")
                if "price_data" not in item:
                    raise invalid_param(f"Missing required param: {path}[price_data].", f"{path}[price_data]",
                                        "parameter_missing")
                price = item["price_data"]
                lines.append({"name": price["product_data"]["name"], "currency": price["currency"].lower(),
                              "unit_amount": price["unit_amount"], "quantity": item["quantity"]})
            currencies = {line["currency"] for line in lines}
            if len(currencies) > 1:
                raise invalid_param("All line_items must use the same currency.", "line_items")
            currency = currencies.pop()
            created = self._stamp()
            expires_at = params.get("expires_at", created + 24 * 3600)
            if expires_at < created + 30 * 60:
                raise invalid_param("The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
                                    "creation.", "expires_at")
            if expires_at > created + 24 * 3600:
                raise invalid_param("The `expires_at` timestamp must be less than 24 hours from Checkout Session "
                                    "creation.", "expires_at")
            total = sum(line["unit_amount"] * line["quantity"] for line in lines)
            session_id = new_id("cs_test_", 58)
            session = {
                "id": session_id, "object": "checkout.session", "after_expiration": None,
                "allow_promotion_codes": None, "amount_subtotal": total, "amount_total": total,
                "automatic_tax": {"enabled": False, "liability": None, "status": None},
                "billing_address_collection": None, "cancel_url": params.get("cancel_url"),
                "client_reference_id": params.get("client_reference_id"), "client_secret": None,
                "created": created, "currency": currency, "custom_fields": [], "customer": None,
                "customer_creation": "if_required", "customer_details": None,
                "customer_email": params.get("customer_email"), "expires_at": expires_at, "invoice": None,
                "livemode": False, "locale": params.get("locale"), "metadata": params.get("metadata", {}),
                "mode": "payment", "payment_intent": None, "payment_method_types": ["card"],
                "payment_status": "unpaid", "status": "open", "submit_type": params.get("submit_type"),
                "success_url": params.get("success_url"),
                "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
                "ui_mode": "hosted", "url": f"{self._public_url()}/c/pay/{session_id}",
            }
            self._add(session)
            self._line_items[session_id] = lines
            self._session_pi_data[session_id] = params.get("payment_intent_data", {})
            return session

    def line_items(self, session_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._line_items[session_id])

    def expire_checkout_session(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            session = self.get_kind(session_id, "checkout.session", "session")
            if session["status"] != "open":
                raise StripeError(400, f"This Checkout Session is not in an expirable state (its status is "
                                  f"{session['status']}): only Checkout Sessions with a status of open can be "
                                  "expired.", code="checkout_session_unexpected_state")  # sandbox wording
            self._expire(session)
            return session

    def _expire_if_due(self, session: dict[str, Any]) -> None:
        if session["status"] == "open" and self._now() >= session["expires_at"]:
            token = current_request.set(RequestInfo())
            try:
                self._expire(session)
            finally:
                current_request.reset(token)

    def _expire(self, session: dict[str, Any]) -> None:
        session.update(status="expired", url=None)
        self._emit("checkout.session.expired", session)

    def pay_checkout_session(self, session_id: str, card_number: str, email: str | None) -> PaymentOutcome:
        """The customer submits the hosted page: authorise (or capture, for automatic capture) a card payment and
        complete the session, or decline with nothing authorised."""
        with self.lock:
            session = self.get_kind(session_id, "checkout.session", "session")
            if session["status"] != "open":
                return PaymentOutcome(error="This Checkout Session is no longer active.")
            decline = card_outcome(card_number)
            if decline is not None:
                return PaymentOutcome(error=decline.message)
            token = current_request.set(RequestInfo())
            try:
                return self._pay(session, card_number, email)
            finally:
                current_request.reset(token)

    def _pay(self, session: dict[str, Any], card_number: str, email: str | None) -> PaymentOutcome:
        digits = "".join(ch for ch in card_number if ch.isdigit())
        intent_data = self._session_pi_data[session["id"]]
        amount, currency, created = session["amount_total"], session["currency"], self._stamp()
        card = {"brand": card_brand(digits), "country": "US", "exp_month": 12, "exp_year": 2034,
                "funding": "credit", "last4": digits[-4:]}
        method = {"id": new_id("pm_"), "object": "payment_method", "billing_details": {"email": email},
                  "card": card, "created": created, "customer": None, "livemode": False, "metadata": {},
                  "type": "card"}
        intent_id, charge_id = new_id("pi_"), new_id("ch_")
        manual = intent_data.get("capture_method") == "manual"
        intent = {
            "id": intent_id, "object": "payment_intent", "amount": amount, "amount_capturable": amount,
            "amount_received": 0, "application": None, "application_fee_amount": None, "canceled_at": None,
            "cancellation_reason": None, "capture_method": intent_data.get("capture_method", "automatic_async"),
            "client_secret": f"{intent_id}_secret_{new_id('', 25)}", "confirmation_method": "automatic",
            "created": created, "currency": currency, "customer": None,
            "description": intent_data.get("description"), "last_payment_error": None,
            "latest_charge": charge_id, "livemode": False, "metadata": intent_data.get("metadata", {}),
            "next_action": None, "on_behalf_of": None, "payment_method": method["id"],
            "payment_method_types": ["card"], "receipt_email": intent_data.get("receipt_email"),
            "status": "requires_capture", "transfer_data": None,
            "transfer_group": intent_data.get("transfer_group"),
        }
        charge = {
            "id": charge_id, "object": "charge", "amount": amount, "amount_captured": 0, "amount_refunded": 0,
            "application_fee_amount": None, "balance_transaction": None,
            "billing_details": {"email": email, "name": None}, "captured": False, "created": created,
            "currency": currency, "customer": None, "description": intent["description"], "disputed": False,
            "failure_code": None, "failure_message": None, "livemode": False, "metadata": dict(intent["metadata"]),
            "outcome": {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                        "seller_message": "Payment complete.", "type": "authorized"},
            "paid": True, "payment_intent": intent_id, "payment_method": method["id"],
            "payment_method_details": {"card": card, "type": "card"}, "receipt_email": email, "refunded": False,
            "source_transfer": None, "status": "succeeded", "transfer_group": intent["transfer_group"],
        }
        for obj in (method, intent, charge):
            self._add(obj)
        session.update(status="complete", payment_intent=intent_id, url=None,
                       customer_details={"email": email, "name": None, "phone": None, "tax_exempt": "none"})
        if manual:
            self._emit("payment_intent.amount_capturable_updated", intent)
        else:
            self._capture(intent, amount, {})
            session["payment_status"] = "paid"
        self._emit("checkout.session.completed", session)
        if session["success_url"]:
            return PaymentOutcome(redirect_to=session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))
        return PaymentOutcome(done_message="Payment authorised." if manual else "Payment complete.")

    # ---------------------------------------------------------------- payment intents

    def capture(self, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            intent = self.get_kind(intent_id, "payment_intent", "intent")
            if intent["status"] != "requires_capture":
                raise StripeError(400, f"This PaymentIntent could not be captured because it has a status of "
                                  f"{intent['status']}. Only a PaymentIntent with one of the following statuses may "
                                  "be captured: requires_capture.", code="payment_intent_unexpected_state",
                                  extra={"payment_intent": copy.deepcopy(intent)})
            amount = params.get("amount_to_capture", intent["amount_capturable"])
            if amount > intent["amount_capturable"]:
                raise StripeError(400, f"The amount_to_capture ({amount}) must be less than or equal to the "
                                  f"PaymentIntent's amount_capturable ({intent['amount_capturable']}).",
                                  param="amount_to_capture", code="amount_too_large")  # sandbox wording
            self._capture(intent, amount, params.get("metadata"))
            return intent

    def _capture(self, intent: dict[str, Any], amount: int, metadata: dict[str, str] | None) -> None:
        charge = self._objects[intent["latest_charge"]]
        fee = stripe_fee(amount)
        txn = {
            "id": new_id("txn_"), "object": "balance_transaction", "amount": amount,
            "available_on": self._stamp() + 2 * 86400, "created": self._stamp(), "currency": intent["currency"],
            "description": intent["description"], "exchange_rate": None, "fee": fee,
            "fee_details": [{"amount": fee, "application": None, "currency": intent["currency"],
                             "description": "Stripe processing fees", "type": "stripe_fee"}],
            "net": amount - fee, "reporting_category": "charge", "source": charge["id"], "status": "pending",
            "type": "charge",
        }
        self._add(txn)
        released = intent["amount"] - amount
        charge.update(captured=True, amount_captured=amount, amount_refunded=released, balance_transaction=txn["id"])
        _merge_metadata(intent, metadata)
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        self._emit("charge.captured", charge)
        self._emit("payment_intent.succeeded", intent)

    def cancel(self, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            intent = self.get_kind(intent_id, "payment_intent", "intent")
            if intent["status"] not in CANCELLABLE:
                raise StripeError(400, f"You cannot cancel this PaymentIntent because it has a status of "
                                  f"{intent['status']}. Only a PaymentIntent with one of the following statuses may "
                                  f"be canceled: {', '.join(CANCELLABLE)}.", code="payment_intent_unexpected_state",
                                  extra={"payment_intent": copy.deepcopy(intent)})
            charge = self._objects.get(intent["latest_charge"] or "")
            if charge is not None:  # the hold is released: the uncaptured charge is refunded in full
                charge.update(refunded=True, amount_refunded=charge["amount"])
            intent.update(status="canceled", amount_capturable=0, canceled_at=self._stamp(),
                          cancellation_reason=params.get("cancellation_reason"))
            self._emit("payment_intent.canceled", intent)
            return intent

    # ---------------------------------------------------------------- transfers

    def create_transfer(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            amount, currency = params["amount"], params["currency"].lower()
            destination = self._objects.get(params["destination"])
            if destination is None or destination["object"] != "account":
                raise StripeError(400, f"No such destination: '{params['destination']}'", param="destination",
                                  code="resource_missing")
            if destination["capabilities"].get("transfers") != "active":
                raise StripeError(400, "Your destination account needs to have at least one of the following "
                                  "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                                  param="destination", code="insufficient_capabilities_for_transfer")
            source_id = params.get("source_transaction")
            if source_id is not None:
                self._check_source(source_id, amount, currency)
            elif amount > self._available(currency):
                raise StripeError(400, "You have insufficient funds in your Stripe account. One likely reason you "
                                  "have insufficient funds is that your funds are automatically being paid out; try "
                                  "enabling manual payouts by going to https://dashboard.stripe.com/account/payouts.",
                                  code="balance_insufficient")
            created = self._stamp()
            txn = {"id": new_id("txn_"), "object": "balance_transaction", "amount": -amount,
                   "available_on": created, "created": created, "currency": currency,
                   "description": params.get("description"), "exchange_rate": None, "fee": 0, "fee_details": [],
                   "net": -amount, "reporting_category": "transfer", "source": None, "status": "available",
                   "type": "transfer"}
            transfer = {
                "id": new_id("tr_"), "object": "transfer", "amount": amount, "amount_reversed": 0,
                "balance_transaction": txn["id"], "created": created, "currency": currency,
                "description": params.get("description"), "destination": destination["id"],
                "destination_payment": new_id("py_"), "livemode": False, "metadata": params.get("metadata", {}),
                "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0, "url": ""},
                "reversed": False, "source_transaction": source_id, "source_type": "card",
                "transfer_group": params.get("transfer_group"),
            }
            transfer["reversals"]["url"] = f"/v1/transfers/{transfer['id']}/reversals"
            txn["source"] = transfer["id"]
            self._add(txn)
            self._add(transfer)
            self._emit("transfer.created", transfer)
            return transfer

    def _check_source(self, source_id: str, amount: int, currency: str) -> None:
        source = self._objects.get(source_id)
        if source is None or source["object"] != "charge":
            raise no_such("charge", source_id, "source_transaction")
        if source["currency"] != currency:
            raise invalid_param(f"The currency of source_transaction's balance transaction ({source['currency']}) "
                                f"must be the same as the transfer currency ({currency})", "currency")
        left = source["amount_captured"] - sum(
            item["amount"] for item in self._objects.values()
            if item["object"] == "transfer" and item["source_transaction"] == source_id)
        if amount > left:
            raise StripeError(400, f"The transfer amount ({amount} {currency}) exceeds what is left of the "
                              f"source_transaction {source_id} ({left} {currency} of its captured "
                              f"{source['amount_captured']} {currency}).", param="amount",
                              code="balance_insufficient")  # sandbox wording

    def _available(self, currency: str) -> int:
        return sum(item["net"] for item in self._objects.values()
                   if item["object"] == "balance_transaction" and item["currency"] == currency)

    # ---------------------------------------------------------------- events

    def _emit_update(self, kind: str, obj: dict[str, Any], before: dict[str, Any], *, account: str | None) -> None:
        previous = {key: value for key, value in before.items() if obj.get(key) != value}
        self._emit(kind, obj, previous_attributes=previous, account=account)

    def _emit(self, kind: str, obj: dict[str, Any], *, previous_attributes: dict[str, Any] | None = None,
              account: str | None = None) -> None:
        request = current_request.get() or RequestInfo()
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous_attributes:
            data["previous_attributes"] = previous_attributes
        event: dict[str, Any] = {"id": new_id("evt_"), "object": "event"}
        if account is not None:
            event["account"] = account
        event.update({"api_version": request.api_version or DEFAULT_API_VERSION, "created": self._stamp(),
                      "data": data, "livemode": False, "pending_webhooks": 1 if self._has_webhook() else 0,
                      "request": {"id": request.id, "idempotency_key": request.idempotency_key}, "type": kind})
        self._add(event)
        self._on_event(copy.deepcopy(event))

    # ---------------------------------------------------------------- inspection

    def all_of(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [copy.deepcopy(self._objects[i]) for i in self._order if self._objects[i]["object"] == kind]

    def _add(self, obj: dict[str, Any]) -> None:
        self._objects[obj["id"]] = obj
        self._order.append(obj["id"])

    def _stamp(self) -> int:
        return int(self._now())


def _missing(kind: str, object_id: str, param: str) -> StripeError:
    if kind == "account":  # Stripe does not say whether the account exists
        return StripeError(403, f"The provided key does not have access to account '{object_id}' (or that account "
                           "does not exist). Application access may have been revoked.", type="invalid_request_error",
                           code="account_invalid", saved=False)
    return no_such(kind.replace("_", " ") if kind == "balance_transaction" else kind, object_id, param)


def _requirements(*, due: bool) -> dict[str, Any]:
    fields = ["business_profile.url", "external_account", "tos_acceptance.date", "tos_acceptance.ip"] if due else []
    return {"alternatives": [], "current_deadline": None, "currently_due": list(fields),
            "disabled_reason": "requirements.past_due" if due else None, "errors": [],
            "eventually_due": list(fields), "past_due": list(fields), "pending_verification": []}


def _merge_metadata(obj: dict[str, Any], metadata: dict[str, str] | None) -> None:
    """Stripe's rules: an empty `metadata` clears it, an empty value removes that key."""
    if metadata is None:
        return
    if not metadata:
        obj["metadata"] = {}
        return
    for key, value in metadata.items():
        if value == "":
            obj["metadata"].pop(key, None)
        else:
            obj["metadata"][key] = value
