"""Billing: OCPI CDRs and the revenue split (pure)."""
