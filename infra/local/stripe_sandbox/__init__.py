"""An offline Stripe that the official SDK talks to over HTTP, for `make dev` and the tests: Connect accounts and
onboarding, Checkout with a hosted card page, PaymentIntents with manual capture, charges, balance transactions,
transfers, events and signed webhooks, with Stripe's form encoding, errors and idempotency."""
from infra.local.stripe_sandbox.faults import When
from infra.local.stripe_sandbox.objects import FEE_FIXED_MINOR_UNITS, FEE_PERCENT_BASIS_POINTS, stripe_fee
from infra.local.stripe_sandbox.server import LocalStripe
from infra.local.stripe_sandbox.webhooks import DEFAULT_SECRET, Delivery, signature_header

__all__ = ["DEFAULT_SECRET", "FEE_FIXED_MINOR_UNITS", "FEE_PERCENT_BASIS_POINTS", "Delivery", "LocalStripe", "When",
           "signature_header", "stripe_fee"]
