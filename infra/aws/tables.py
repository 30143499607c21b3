"""The platform's DynamoDB tables, built from the definitions the code itself uses
(`chalicelib.store.table.table_schema()`, `chalicelib.store.idempotency.idempotency_table_schema()`), so a key,
index or TTL attribute renamed in the code is renamed here too.
"""
from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from chalicelib.store.idempotency import idempotency_table_schema
from chalicelib.store.table import table_schema

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}

def _keys(key_schema: list[dict[str, str]],
          attribute_definitions: list[dict[str, str]]) -> tuple[dynamodb.Attribute, dynamodb.Attribute | None]:
    """The partition key and the sort key (if any) of a DynamoDB KeySchema."""
    types = {a["AttributeName"]: a["AttributeType"] for a in attribute_definitions}
    by_role = {
        key["KeyType"]: dynamodb.Attribute(
            name=key["AttributeName"], type=_ATTRIBUTE_TYPES[types[key["AttributeName"]]],
        )
        for key in key_schema
    }
    return by_role["HASH"], by_role.get("RANGE")


def platform_table(scope: Construct, schema: dict[str, Any] | None = None) -> dynamodb.Table:
    """The single, tenant-keyed table: on demand, point-in-time recovery, TTL, the GSIs. Kept on stack deletion."""
    schema = schema or table_schema()
    definitions = schema["attribute_definitions"]
    if schema["local_secondary_indexes"]:
        raise ValueError("the table definition has local secondary indexes, which this stack does not build")
    partition_key, sort_key = _keys(schema["key_schema"], definitions)
    table = dynamodb.Table(
        scope, "Table",
        partition_key=partition_key,
        sort_key=sort_key,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True,
        ),
        time_to_live_attribute=schema["ttl_attribute"],
        removal_policy=RemovalPolicy.RETAIN,
    )
    for index in schema["global_secondary_indexes"]:
        projection = index["projection"]
        index_partition_key, index_sort_key = _keys(index["key_schema"], definitions)
        table.add_global_secondary_index(
            index_name=index["index_name"],
            partition_key=index_partition_key,
            sort_key=index_sort_key,
            projection_type=_PROJECTIONS[projection["ProjectionType"]],
            non_key_attributes=projection.get("NonKeyAttributes"),
        )
    return table


def idempotency_table(scope: Construct) -> dynamodb.Table:
    """Powertools idempotency records. They expire by TTL and can be rebuilt, so the table goes with the stack."""
    schema = idempotency_table_schema()
    partition_key, sort_key = _keys(schema["key_schema"], schema["attribute_definitions"])
    return dynamodb.Table(
        scope, "IdempotencyTable",
        partition_key=partition_key,
        sort_key=sort_key,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        time_to_live_attribute=schema["ttl_attribute"],
        removal_policy=RemovalPolicy.DESTROY,
    )
