"""The platform's single DynamoDB table, defined once.

The local runtime, the tests and the CDK app all build the table from `TableItem`
(`create_table()` here, `table_schema()` for infrastructure code), so there is one definition.

Key layout (pooled multi-tenancy):
- tenant-owned items: PK = `T#{tenant_id}#{KIND}`, SK = the item's id within that kind;
- global lookups used only at the edge to resolve a tenant (slug, API key digest, OCPI party):
  PK = `{LOOKUP}#{value}`, SK = `{LOOKUP}`;
- GSI1 serves secondary access patterns (e.g. the chargers of a site), with keys built the same way.
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.settings import settings

GSI1_NAME = "GSI1"
TTL_ATTRIBUTE = "expires_at_epoch"


class ByGsi1(GlobalSecondaryIndex["TableItem"]):
    class Meta:
        index_name = GSI1_NAME
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class TableItem(Model):
    """One row of the table. `data` holds the entity as its pydantic model dumps it (JSON types)."""

    class Meta:
        table_name = settings().table_name
        region = settings().region
        host = settings().dynamodb_endpoint
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    kind = UnicodeAttribute()
    data: MapAttribute[str, Any] = MapAttribute()
    version = VersionAttribute()
    # Random per creation: a delete and re-create restarts `version` at 1, so the version alone cannot
    # tell two items that had the same id apart.
    incarnation = UnicodeAttribute(null=True)
    # How many items reference this one (e.g. a site's chargers); kept in the referrers' transactions.
    referrers = NumberAttribute(null=True)
    # Epoch seconds; DynamoDB's TTL deletes the item after it (idempotency records, pending calls).
    expires_at_epoch = NumberAttribute(null=True, attr_name=TTL_ATTRIBUTE)

    by_gsi1 = ByGsi1()


class TableView(Model):
    """The same table seen through other attributes: each view names only what it reads and writes, so
    its updates touch nothing else in the item."""

    class Meta:
        table_name = TableItem.Meta.table_name
        region = TableItem.Meta.region
        host = TableItem.Meta.host

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")


class CounterItem(TableView):
    """Keys and counters only. Counter updates go through it so that the version moves by one
    (PynamoDB's own version handling would reset the version of an item it has not read)."""

    version = NumberAttribute(null=True)
    referrers = NumberAttribute(null=True)
    sequence = NumberAttribute(null=True)  # sequence counters (e.g. a tenant's OCPP transaction ids)


class RecordItem(TableView):
    """Without optimistic locking, for records that are written once and written over, identically,
    when the message that made them is replayed (meter values, charger events, lookups): no version
    to check, so a replay costs one write and no read."""

    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    kind = UnicodeAttribute()
    data: MapAttribute[str, Any] = MapAttribute()
    expires_at_epoch = NumberAttribute(null=True, attr_name=TTL_ATTRIBUTE)


def create_table(wait: bool = True) -> None:
    """Create the table, and the idempotency table, if missing (local runtime and tests; AWS uses the CDK app)."""
    from chalicelib.store.idempotency import create_idempotency_table

    if not TableItem.exists():
        TableItem.create_table(wait=wait)
    create_idempotency_table()


def table_schema() -> dict[str, Any]:
    """Key schema, attribute definitions and GSIs, for infrastructure code to build the same table."""
    schema: dict[str, Any] = dict(TableItem._get_schema())
    schema["ttl_attribute"] = TTL_ATTRIBUTE
    return schema
