"""The test cards the hosted checkout page knows, as in Stripe's test mode: 4242 4242 4242 4242 (and any other
number that passes the Luhn check) authorises; the numbers below decline with Stripe's reason."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decline:
    code: str
    decline_code: str
    message: str


DECLINES: dict[str, Decline] = {
    "4000000000000002": Decline("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": Decline("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": Decline("card_declined", "lost_card", "Your card was declined."),
    "4000000000000069": Decline("expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
}
INVALID_NUMBER = Decline("incorrect_number", "incorrect_number", "Your card number is invalid.")


def card_outcome(number: str) -> Decline | None:
    """None when the card authorises."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) < 12 or not passes_luhn(digits):
        return INVALID_NUMBER
    return DECLINES.get(digits)


def card_brand(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    if digits.startswith("4"):
        return "visa"
    if digits[:2] in {"51", "52", "53", "54", "55"} or (digits[:4].isdigit() and 2221 <= int(digits[:4]) <= 2720):
        return "mastercard"
    if digits[:2] in {"34", "37"}:
        return "amex"
    return "unknown"


def passes_luhn(digits: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0
