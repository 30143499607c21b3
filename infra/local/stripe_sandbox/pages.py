"""The hosted pages: Checkout (amount, line items, a card form prefilled with 4242 4242 4242 4242) and Connect
onboarding (one button). Plain HTML with inline CSS, readable on a phone; they post back to their own URL."""
from __future__ import annotations

from html import escape
from typing import Any

_SYMBOLS = {"eur": "€", "gbp": "£", "usd": "$", "chf": "CHF ", "sek": "kr ", "nok": "kr ", "dkk": "kr "}
_ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "xof", "xaf", "isk", "ugx", "pyg", "rwf"}

_STYLE = """
body{margin:0;font:16px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f6f8fa;color:#1a1f36}
main{max-width:28rem;margin:0 auto;padding:1.25rem}
.card{background:#fff;border-radius:12px;box-shadow:0 2px 8px rgba(0,0,0,.08);padding:1.25rem;margin-top:1rem}
.test{background:#ffde92;color:#5e4200;font-size:.8rem;text-align:center;padding:.3rem;font-weight:600}
h1{font-size:1.1rem;margin:.2rem 0}.amount{font-size:2rem;font-weight:700;margin:.2rem 0 1rem}
table{width:100%;border-collapse:collapse;font-size:.95rem}td{padding:.3rem 0}td.r{text-align:right}
label{display:block;font-size:.85rem;margin:.8rem 0 .3rem;color:#4f566b}
input{box-sizing:border-box;width:100%;font-size:1rem;padding:.7rem;border:1px solid #cfd7df;border-radius:8px}
.row{display:flex;gap:.6rem}.row>div{flex:1}
button{width:100%;margin-top:1.2rem;padding:.9rem;font-size:1.05rem;font-weight:600;color:#fff;background:#635bff;
border:0;border-radius:8px}
.error{background:#fde8e8;color:#9b1c1c;border-radius:8px;padding:.7rem;margin-top:1rem}
a{color:#635bff}.muted{color:#697386;font-size:.85rem}
"""


def money(amount: int, currency: str) -> str:
    value = f"{amount:,}" if currency in _ZERO_DECIMAL else f"{amount // 100:,}.{amount % 100:02d}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
            f'<body><div class="test">TEST MODE · offline Stripe sandbox</div><main>{body}</main></body></html>')


def checkout_page(session: dict[str, Any], lines: list[dict[str, Any]], *, error: str | None = None,
                  card_number: str = "4242 4242 4242 4242") -> str:
    currency = session["currency"]
    rows = "".join(f'<tr><td>{escape(line["name"])}{" × " + str(line["quantity"]) if line["quantity"] > 1 else ""}'
                   f'</td><td class="r">{money(line["unit_amount"] * line["quantity"], currency)}</td></tr>'
                   for line in lines)
    authorise = session["status"] == "open"
    if not authorise:
        body = (f'<div class="card"><h1>This checkout is {escape(session["status"])}</h1>'
                f'<p class="muted">Nothing more to pay here.</p></div>')
        return _page("Checkout", body)
    cancel = (f'<p class="muted"><a href="{escape(session["cancel_url"])}">Cancel and go back</a></p>'
              if session.get("cancel_url") else "")
    problem = f'<div class="error" role="alert">{escape(error)}</div>' if error else ""
    body = f"""
<div class="card"><h1>Pay</h1><div class="amount">{money(session["amount_total"], currency)}</div>
<table>{rows}</table></div>
<form class="card" method="post" autocomplete="off">{problem}
<label for="email">Email</label>
<input id="email" name="email" type="email" value="{escape(session.get("customer_email") or "driver@example.com")}">
<label for="cardnumber">Card number</label>
<input id="cardnumber" name="cardnumber" inputmode="numeric" value="{escape(card_number)}">
<div class="row"><div><label for="exp">Expiry</label><input id="exp" name="exp" value="12 / 34"></div>
<div><label for="cvc">CVC</label><input id="cvc" name="cvc" inputmode="numeric" value="123"></div></div>
<label for="name">Name on card</label><input id="name" name="name" value="Test Driver">
<button type="submit">Pay {money(session["amount_total"], currency)}</button>
<p class="muted">4242 4242 4242 4242 authorises; 4000 0000 0000 0002 is declined.</p>
</form>{cancel}"""
    return _page("Checkout", body)


def message_page(title: str, message: str) -> str:
    return _page(title, f'<div class="card"><h1>{escape(title)}</h1><p>{escape(message)}</p></div>')


def onboarding_page(account: dict[str, Any]) -> str:
    body = f"""
<div class="card"><h1>Set up payouts</h1>
<p>Account <code>{escape(account["id"])}</code>{" · " + escape(account["email"]) if account.get("email") else ""}</p>
<p class="muted">In the sandbox no identity or bank details are needed: the button completes onboarding
(details submitted, charges and payouts enabled, requested capabilities active).</p>
<form method="post"><button type="submit">Complete onboarding</button></form></div>"""
    return _page("Connect onboarding", body)
