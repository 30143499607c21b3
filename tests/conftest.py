"""Test environment: fake AWS credentials and no endpoint, so nothing can reach a real account."""
import os

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="eu-west-1",
    AWS_REGION="eu-west-1",
    TABLE_NAME="evcharge-test",
    OCPP_BASE_URL="ws://127.0.0.1:9000/ocpp",
    POWERTOOLS_SERVICE_NAME="evcharge",
    POWERTOOLS_METRICS_NAMESPACE="evcharge-test",
    IDEMPOTENCY_TABLE_NAME="evcharge-idempotency-test",
)
# A real Stripe test key, if the developer has one, is kept for the tests marked live_stripe only.
LIVE_STRIPE_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
for leaked in ("DYNAMODB_ENDPOINT", "AWS_PROFILE", "STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET",
               "WS_MANAGEMENT_URL", "BILLING_STATE_MACHINE_ARN", "PLATFORM_FEE_BPS"):
    os.environ.pop(leaked, None)
