"""What a repository promises its callers, free of PynamoDB so domain services can depend on it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, Protocol, TypeVar

from chalicelib.errors import InvalidInput

E = TypeVar("E")
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[E]):
    items: list[E]
    next: str | None


class AlreadyExists(Exception):
    """An item with this id already exists for the tenant."""


class MissingReference(Exception):
    """A referenced item (e.g. the site of a charger) does not exist for the tenant."""

    def __init__(self, kind: str, item_id: str) -> None:
        super().__init__(f"{kind} {item_id} does not exist")
        self.kind = kind
        self.item_id = item_id


class StillReferenced(Exception):
    """The item cannot be deleted while other items point at it (a site with chargers)."""

    def __init__(self, kind: str, item_id: str) -> None:
        super().__init__(f"{kind} {item_id} is still referenced")
        self.kind = kind
        self.item_id = item_id


class ConcurrentModification(Exception):
    """Optimistic locking lost repeatedly; the caller may retry."""


class InvalidCursor(InvalidInput):
    """A `next` token that this API did not issue."""

    def __init__(self) -> None:
        super().__init__("next is not a cursor this API issued", code="invalid_cursor", field="next")


class Repository(Protocol[E]):  # pragma: no cover - a typing contract
    def get(self, item_id: str) -> E | None: ...
    def list(self, limit: int, cursor: str | None = None) -> Page[E]: ...
    def add(self, entity: E) -> None: ...
    def update(self, item_id: str, change: Callable[[E], E]) -> E | None: ...
    def delete(self, item_id: str) -> bool: ...


class StartOutcome(Enum):
    """What writing a new session came to (see SessionRepository.start)."""

    WRITTEN = "written"
    DUPLICATE = "duplicate"  # the same start, or another session of the transaction, was recorded first
    TOKEN_TAKEN = "token_taken"  # another session took the token's lock first
