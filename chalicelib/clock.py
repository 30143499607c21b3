"""Wall-clock time as the platform writes it: timezone-aware UTC, RFC 3339 with a Z."""
from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """RFC 3339 UTC with millisecond precision, e.g. 2026-11-21T05:45:13.120Z."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the platform only stores timezone-aware times")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_rfc3339() -> str:
    return rfc3339(utc_now())
