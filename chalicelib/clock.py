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


def charger_time(text: str) -> str:
    """A charger's timestamp as the platform stores it (RFC 3339 UTC, milliseconds). Chargers that
    leave out the offset mean UTC (OCPP requires UTC). ValueError when it is not a date-time."""
    text = text.strip().upper()  # RFC 3339 allows "t" and "z"
    if "T" not in text:
        raise ValueError("a date-time needs a time")  # a bare date is not a moment
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return rfc3339(moment)


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text)
