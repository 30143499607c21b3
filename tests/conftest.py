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
for leaked in ("DYNAMODB_ENDPOINT", "AWS_PROFILE", "STRIPE_SECRET_KEY", "WS_MANAGEMENT_URL"):
    os.environ.pop(leaked, None)
