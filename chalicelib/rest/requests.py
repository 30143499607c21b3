"""Reading a Chalice request: JSON body, query parameters and path ids, validated with pydantic."""
from __future__ import annotations

import json
from typing import Any, TypeVar
from urllib.parse import unquote

from chalice.app import Request
from pydantic import BaseModel, Field

from chalicelib.errors import InvalidInput
from chalicelib.store.contract import MAX_PAGE_SIZE
from chalicelib.validation import InputModel, validated

M = TypeVar("M", bound=BaseModel)


class ListQuery(InputModel):
    limit: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)
    next: str | None = Field(default=None, min_length=1, max_length=1024)


def body(request: Request, model: type[M]) -> M:
    raw = request.raw_body
    if not raw:
        raise InvalidInput("the request needs a JSON object body", code="invalid_json")
    try:
        data: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the request body is not valid JSON", code="invalid_json") from None
    except RecursionError:
        raise InvalidInput("the request body is nested too deeply", code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object", code="invalid_json")
    return validated(model, data)


def query(request: Request, model: type[M]) -> M:
    return validated(model, dict(request.query_params or {}))


def path_id(value: str) -> str:
    """A path parameter as the client meant it (API Gateway may or may not have decoded it)."""
    return unquote(value)


def connector_number(value: str) -> int:
    """A connector's number in a path (1-based, as stickers and OCPP 1.6 count them)."""
    text = unquote(value)
    if not text.isdigit() or not 1 <= int(text) <= 999:
        raise InvalidInput("the connector is a number from 1", code="invalid_connector", field="connector")
    return int(text)
