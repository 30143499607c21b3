"""Validating payloads against the `ocpp` package's JSON schemas (never a copy of them).

Schema errors become the CALLERROR the specification names for them, with a one-line description and
the offending field, never a dump of the schema or the payload.
"""
from __future__ import annotations

import decimal
import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

from chalicelib.ocpp.frames import CallRejected, Rpc

_VERSION = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}
# 1.6 schemas with decimal fields (multipleOf 0.1) that binary floats fail: parse those as Decimal,
# as the `ocpp` package itself does.
_DECIMAL_ACTIONS_16 = {"SetChargingProfile", "RemoteStartTransaction", "GetCompositeScheduleResponse"}


@lru_cache(maxsize=256)
def _validator(protocol: str, schema_name: str) -> Draft4Validator | None:
    from ocpp.messages import get_validator

    version = _VERSION[protocol]
    decimal_floats = protocol == "ocpp1.6" and schema_name in _DECIMAL_ACTIONS_16
    action, response = (schema_name[:-8], True) if schema_name.endswith("Response") else (schema_name, False)
    try:
        return get_validator(
            3 if response else 2, action, version, parse_float=decimal.Decimal if decimal_floats else float,
        )
    except OSError:
        return None


def has_schema(protocol: str, action: str) -> bool:
    return _validator(protocol, action) is not None


def validate_request(protocol: str, action: str, payload: dict[str, Any]) -> None:
    _validate(protocol, action, payload)


def validate_response(protocol: str, action: str, payload: dict[str, Any]) -> None:
    _validate(protocol, f"{action}Response", payload)


def _validate(protocol: str, schema_name: str, payload: dict[str, Any]) -> None:
    validator = _validator(protocol, schema_name)
    if validator is None:
        raise CallRejected(Rpc.NOT_IMPLEMENTED, f"unknown action {schema_name}")
    if protocol == "ocpp1.6" and schema_name in _DECIMAL_ACTIONS_16:
        payload = json.loads(json.dumps(payload), parse_float=decimal.Decimal)
    error = next(iter(sorted(validator.iter_errors(payload), key=_error_order)), None)
    if error is not None:
        raise _rejection(error)


def _error_order(error: ValidationError) -> tuple[int, int]:
    return (len(error.path), _PRIORITY.get(str(error.validator), 9))


# Which CALLERROR a schema keyword's violation is (OCPP-J 1.6 section 4.2.3, 2.0.1 part 4 section 4.3).
_ERROR_OF = {
    "required": Rpc.OCCURRENCE_CONSTRAINT_VIOLATION,
    "minItems": Rpc.OCCURRENCE_CONSTRAINT_VIOLATION,
    "maxItems": Rpc.OCCURRENCE_CONSTRAINT_VIOLATION,
    "type": Rpc.TYPE_CONSTRAINT_VIOLATION,
    "maxLength": Rpc.TYPE_CONSTRAINT_VIOLATION,
    "minLength": Rpc.TYPE_CONSTRAINT_VIOLATION,
    "enum": Rpc.PROPERTY_CONSTRAINT_VIOLATION,
    "minimum": Rpc.PROPERTY_CONSTRAINT_VIOLATION,
    "maximum": Rpc.PROPERTY_CONSTRAINT_VIOLATION,
    "multipleOf": Rpc.PROPERTY_CONSTRAINT_VIOLATION,
    "pattern": Rpc.PROPERTY_CONSTRAINT_VIOLATION,
    "format": Rpc.PROPERTY_CONSTRAINT_VIOLATION,
    "additionalProperties": Rpc.FORMAT_VIOLATION,
}
_PRIORITY = {"required": 0, "additionalProperties": 1, "type": 2}


def _rejection(error: ValidationError) -> CallRejected:
    field = ".".join(str(p) for p in error.absolute_path)
    keyword = str(error.validator)
    kind = _ERROR_OF.get(keyword, Rpc.FORMAT_VIOLATION)
    if keyword == "required":
        missing = str(error.message).split("'")[1] if "'" in str(error.message) else ""
        field = f"{field}.{missing}" if field else missing
        return CallRejected(kind, f"{field} is required", {"field": field})
    if keyword == "additionalProperties":
        unexpected = str(error.message).split("'")[1] if "'" in str(error.message) else ""
        field = f"{field}.{unexpected}" if field else unexpected
        return CallRejected(kind, f"{field} is not a field of this message", {"field": field})
    reasons = {
        "type": f"must be of type {error.validator_value}",
        "maxLength": f"must be at most {error.validator_value} characters",
        "minLength": f"must be at least {error.validator_value} characters",
        "enum": "is not one of the allowed values",
        "minimum": f"must be at least {error.validator_value}",
        "maximum": f"must be at most {error.validator_value}",
        "minItems": f"must have at least {error.validator_value} items",
        "maxItems": f"must have at most {error.validator_value} items",
    }
    reason = reasons.get(keyword, f"violates {keyword}")
    return CallRejected(kind, f"{field or 'payload'} {reason}", {"field": field or "payload"})
