"""The receipt a driver gets by email once billed: what the session page shows, in plain text."""
from __future__ import annotations

from chalicelib.billing.ledger import LedgerEntry


def _money(amount: int, currency: str) -> str:
    from chalicelib.money import from_minor

    return f"{from_minor(amount, currency)} {currency}"


def receipt_email(entry: LedgerEntry, *, operator: str, started_at: str | None, stopped_at: str | None,
                  page_url: str) -> tuple[str, str]:
    """(subject, body) of the receipt."""
    currency = entry.currency
    lines = [f"Your charging session at {entry.charger_id}, operated by {operator}", ""]
    if started_at and stopped_at:
        lines.append(f"From {started_at} to {stopped_at}")
    if entry.energy_wh is not None:
        lines.append(f"Energy: {entry.energy_wh / 1000:.3f} kWh")
    lines.append("")
    for item in entry.receipt:
        detail = f" ({item.volume:g} {item.unit} x {item.unit_price:g} {currency})" if item.unit else ""
        vat = f", VAT {item.vat_percent:g}%" if item.vat_percent is not None else ""
        lines.append(f"{item.label}{detail}{vat}: {_money(item.amount_incl_vat, currency)}")
    lines += [
        "",
        f"Total excl. VAT: {_money(entry.cost_excl_vat, currency)}",
        f"VAT: {_money(entry.vat, currency)}",
        f"Total: {_money(entry.cost_incl_vat, currency)}",
        f"Charged to your card: {_money(entry.gross or 0, currency)}",
        "",
        f"The receipt online: {page_url}",
    ]
    return f"Receipt: {_money(entry.gross or 0, currency)} for charging at {entry.charger_id}", "\n".join(lines)
