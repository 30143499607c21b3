"""URL-safe tenant slugs: they appear in charger URLs, OCPI paths and driver pages."""
from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterator

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_MAX_BASE = 32
# Path words the platform uses next to slugs, kept free to avoid confusing URLs.
RESERVED = frozenset({"admin", "api", "ocpi", "ocpp", "pay", "sessions", "v1", "versions", "webhooks", "www"})


def slug_base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:_MAX_BASE].strip("-")
    if len(slug) < 3 or slug in RESERVED:
        slug = f"{slug}-cpo".strip("-") if slug else "cpo"
    return slug


def slug_candidates(name: str) -> Iterator[str]:
    """The plain slug first, then the same with a short random suffix."""
    base = slug_base(name)
    yield base
    while True:
        yield f"{base}-{secrets.token_hex(2)}"
