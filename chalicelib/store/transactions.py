"""Writing several items all or nothing, and retrying when DynamoDB is busy."""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import lru_cache

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.contract import ConcurrentModification
from chalicelib.store.table import TableItem


def failed_conditions(error: TransactWriteError) -> set[int]:
    """Positions of the transaction's items whose condition failed."""
    return {
        position for position, reason in enumerate(error.cancellation_reasons or [])
        if reason is not None and reason.code == "ConditionalCheckFailed"
    }


# DynamoDB refuses a write to an item another transaction is writing, and cancels a transaction that
# collides with another or is throttled; botocore retries none of these. All are safe to retry.
BUSY = {"TransactionConflictException", "ThrottlingException", "ProvisionedThroughputExceededException"}
BUSY_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
# A plain conditional write that failed is retried after re-reading (optimistic locking).
RETRY_PLAIN = BUSY | {"ConditionalCheckFailedException"}
_BACKOFF_S = 0.01


def busy(error: TransactWriteError) -> bool:
    """The transaction collided with another one or was throttled; retrying it is safe."""
    return any(r is not None and r.code in BUSY_REASONS for r in error.cancellation_reasons or [])


def backoff(attempt: int) -> None:
    """Jittered exponential backoff, so that retries do not land inside the same colliding write."""
    time.sleep(random.uniform(0, _BACKOFF_S * 2**attempt))


def transact(stage: Callable[[TransactWrite], None], *, retries: int = 5) -> None:
    """Write what `stage` adds to a transaction, all or nothing. Retried while DynamoDB reports it
    busy (ConcurrentModification if it stays so); any other cancellation is raised for the caller to
    read (see `failed_conditions`)."""
    for attempt in range(retries):
        try:
            with TransactWrite(connection=connection()) as tx:
                stage(tx)
            return
        except TransactWriteError as exc:
            if failed_conditions(exc) or not busy(exc):
                raise
        backoff(attempt)
    raise ConcurrentModification("transaction")


@lru_cache(maxsize=1)
def connection() -> Connection:
    """The connection transactions use; built once per process (a botocore client is costly)."""
    meta = TableItem.Meta
    return Connection(region=meta.region, host=meta.host)
