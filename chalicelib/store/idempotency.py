"""The idempotency table: Powertools' record of answers already given, so a retried OCPP CALL (same
charger, same message id, same payload) gets the first answer again and changes nothing more.
Defined here once for the local runtime, the tests and the CDK app."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

KEY_ATTRIBUTE = "id"
TTL_ATTRIBUTE = "expiration"


def idempotency_table_schema() -> dict[str, Any]:
    return {
        "table_name": settings().idempotency_table_name,
        "key_schema": [{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}],
        "attribute_definitions": [{"AttributeName": KEY_ATTRIBUTE, "AttributeType": "S"}],
        "ttl_attribute": TTL_ATTRIBUTE,
    }


def _client() -> Any:
    import boto3

    return boto3.client("dynamodb", region_name=settings().region, endpoint_url=settings().dynamodb_endpoint)


def create_idempotency_table() -> None:
    """Create the table if it is missing (local runtime and tests; AWS uses the CDK app)."""
    client = _client()
    schema = idempotency_table_schema()
    if schema["table_name"] in client.list_tables()["TableNames"]:
        return
    client.create_table(
        TableName=schema["table_name"], KeySchema=schema["key_schema"],
        AttributeDefinitions=schema["attribute_definitions"], BillingMode="PAY_PER_REQUEST",
    )


@lru_cache(maxsize=1)
def persistence_layer() -> DynamoDBPersistenceLayer:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=settings().idempotency_table_name, key_attr=KEY_ATTRIBUTE,
        expiry_attr=TTL_ATTRIBUTE, boto3_client=_client(),
    )
