"""Platform-generated identifiers: a type prefix and a time-ordered random part.

The time prefix makes ids sort by creation, so a tenant's lists page in the order things were made.
"""
from __future__ import annotations

import re
import secrets
import time

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _base32(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))


def id_pattern(prefix: str) -> re.Pattern[str]:
    """What `new_id(prefix)` produces, to recognise well-formed ids arriving in requests."""
    return re.compile(rf"^{re.escape(prefix)}_[{_CROCKFORD}]{{26}}$")


def new_id(prefix: str) -> str:
    """`{prefix}_` + 10 chars of milliseconds + 16 chars (80 bits) of randomness, like a ULID."""
    millis = int(time.time() * 1000)
    return f"{prefix}_{_base32(millis, 10)}{_base32(secrets.randbits(80), 16)}"


def derived_id(prefix: str, millis: int, *parts: str) -> str:
    """An id in `new_id`'s shape whose time part is `millis` and whose random part is derived from
    `parts`: the same parts always give the same id, so a record made from a replayed message is
    written over, not duplicated."""
    import hashlib

    digest = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:10], "big")
    return f"{prefix}_{_base32(millis, 10)}{_base32(digest, 16)}"
