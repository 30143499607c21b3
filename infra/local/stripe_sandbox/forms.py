"""Stripe's form encoding, as the SDK sends it: `a[b][c]=1`, lists as `a[0][b]=1` (the SDK) or `a[]=1`
(curl, Stripe's docs), booleans as `true`/`false`; everything arrives as a string."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from infra.local.stripe_sandbox.errors import invalid_param

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_form(encoded: str) -> dict[str, Any]:
    """Nested dicts from bracketed keys; a dict whose keys are all indexes becomes a list, in index order."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(encoded, keep_blank_values=True):
        match = _KEY.match(key)
        if match is None:
            raise invalid_param(f"Invalid parameter name: {key}", key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node: dict[str, Any] = root
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if part == "":  # `a[]=x` appends
                part = str(sum(1 for k in node if k.isdigit()))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid_param(f"Invalid parameter name: {key}", key)
                node = child
    return _lists(root)  # type: ignore[no-any-return]


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted
