"""Pagination cursors: opaque `next` tokens carrying only sort keys, never partition keys, so a
repository re-anchors them to its own tenant's partition."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence

from chalicelib.store.contract import InvalidCursor

MAX_PART_LENGTH = 400


def encode_cursor(parts: Sequence[str]) -> str:
    raw = json.dumps(list(parts), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, expected_parts: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc
    if (
        not isinstance(parts, list)
        or len(parts) != expected_parts
        or not all(isinstance(p, str) and 0 < len(p) <= MAX_PART_LENGTH for p in parts)
        or not all(p.isprintable() and _encodes(p) for p in parts)
    ):
        raise InvalidCursor()
    return parts


def _encodes(text: str) -> bool:
    """Whether the text is valid Unicode (JSON escapes can smuggle lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
