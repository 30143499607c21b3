"""The driver's HTML pages: small, mobile-first, no script (the session page refreshes itself)."""
from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.payments.checkout import ConnectorOffer

_STYLE = """body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b1f23}
main{max-width:28rem;margin:0 auto;padding:1.25rem}h1{font-size:1.4rem;margin:.2rem 0 1rem}
.card{background:#fff;border-radius:.75rem;padding:1rem 1.2rem;margin:.8rem 0;box-shadow:0 1px 3px #0002}
.status{font-weight:600}.ok{color:#137333}.bad{color:#b3261e}ul{padding-left:1.1rem}
table{width:100%;border-collapse:collapse}td{padding:.3rem 0}td.n{text-align:right}
button{width:100%;font-size:1.1rem;padding:.9rem;border:0;border-radius:.6rem;background:#1a73e8;color:#fff}
small{color:#5f6368}"""


def money(amount: int, currency: str) -> str:
    from chalicelib.money import from_minor

    value: Decimal = from_minor(amount, currency)
    return f"{value} {currency}"


def _page(title: str, body: str, *, refresh_s: int | None = None) -> str:
    refresh = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">{refresh}'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body><main>{body}</main></body></html>")


def connector_page(offer: ConnectorOffer, tariff_lines: list[str]) -> str:
    status = offer.status.status if offer.status is not None else ("Available" if offer.online else "Offline")
    ok = offer.can_start
    prices = "".join(f"<li>{escape(line)}</li>" for line in tariff_lines) or "<li>No price set</li>"
    action = (
        f'<form method="post"><button type="submit">Pay and start charging</button></form>'
        f"<p><small>We hold {escape(money(offer.hold_amount, offer.currency))} on your card. You pay only what you "
        f"charge; the rest of the hold is released when the session ends.</small></p>"
        if ok else f'<p class="bad">{escape(offer.reason or "This connector cannot start now.")}</p>'
    )
    body = (f"<h1>{escape(offer.charger.name or offer.charger.id)} · connector {offer.connector}</h1>"
            f'<div class="card"><div>Status: <span class="status {"ok" if ok else "bad"}">{escape(status)}</span>'
            f"</div><div><small>Operated by {escape(offer.tenant_name)}</small></div></div>"
            f'<div class="card"><strong>Price</strong><ul>{prices}</ul></div>'
            f'<div class="card">{action}</div>')
    return _page(f"Charge at {offer.charger.id}", body)


_STATUS_WORDS = {
    "open": "Waiting for your payment.",
    "authorized": "Payment held. Asking the charger to start…",
    "starting": "The charger is starting. Plug in your car if you have not yet.",
    "charging": "Charging.",
    "captured": "Done. Thank you!",
    "cancelled": "Cancelled: nothing was charged and the hold on your card is released.",
    "failed": "We could not complete billing; the operator has been told.",
}


def session_page(view: dict[str, Any]) -> str:
    currency = view["currency"]
    words = _STATUS_WORDS.get(view["status"], view["status"])
    parts = [f"<h1>Charging at {escape(view['charger_id'])} · connector {view['connector']}</h1>",
             f'<div class="card"><span class="status">{escape(words)}</span>'
             + (f"<div><small>Reason: {escape(view['cancel_reason'].replace('_', ' '))}</small></div>"
                if view.get("cancel_reason") else "") + "</div>"]
    session = view.get("session")
    if session is not None:
        energy = Decimal(session.get("energy_wh") or 0) / 1000
        cost = session.get("cost") or {}
        parts.append(f'<div class="card"><table><tr><td>Energy</td><td class="n">{energy:.3f} kWh</td></tr>'
                     f'<tr><td>Cost so far</td><td class="n">{escape(money(cost.get("incl_vat", 0), currency))}'
                     f"</td></tr></table></div>")
    receipt = view.get("receipt")
    if receipt is not None:
        rows = "".join(
            f"<tr><td>{escape(line['label'])}"
            + (f" <small>{line['volume']} {escape(line['unit'])} × {line['unit_price']}</small>"
               if line["unit"] else "")
            + f'</td><td class="n">{escape(money(line["amount_incl_vat"], currency))}</td></tr>'
            for line in receipt["lines"])
        parts.append(
            f'<div class="card"><strong>Receipt</strong><table>{rows}'
            f'<tr><td>Total excl. VAT</td><td class="n">{escape(money(receipt["total_excl_vat"], currency))}</td></tr>'
            f'<tr><td>VAT</td><td class="n">{escape(money(receipt["vat"], currency))}</td></tr>'
            f'<tr><td><strong>Total</strong></td><td class="n"><strong>'
            f'{escape(money(receipt["total_incl_vat"], currency))}</strong></td></tr>'
            f'<tr><td>Charged to your card</td><td class="n">{escape(money(receipt["paid"], currency))}</td></tr>'
            f"</table><p><small>{escape(str(receipt['started_at']))} – {escape(str(receipt['stopped_at']))}"
            f"</small></p></div>")
    final = view["status"] in ("captured", "cancelled", "failed")
    return _page("Your charging session", "".join(parts), refresh_s=None if final else 10)


def message_page(title: str, message: str) -> str:
    return _page(title, f"<h1>{escape(title)}</h1><div class=\"card\">{escape(message)}</div>")
