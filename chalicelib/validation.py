"""Validating client input with pydantic, and turning its errors into one clear InvalidInput."""
from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from chalicelib.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)

_CODES = {"missing": "missing_field", "extra_forbidden": "unknown_field"}


class InputModel(BaseModel):
    """What clients send: unknown fields are an error, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def field_path(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location)


def invalid_input(error: ValidationError) -> InvalidInput:
    """The first problem, named by its dotted field path (e.g. `evses.0.connectors.0.max_power_kw`)."""
    first = error.errors(include_url=False, include_context=False, include_input=False)[0]
    field = field_path(first["loc"]) or None
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    elif first["type"] == "missing":
        message = "field required"
    # pydantic prefixes custom validator messages with "Value error, "
    message = message.removeprefix("Value error, ")
    return InvalidInput(f"{field}: {message}" if field else message,
                        code=_CODES.get(first["type"], "invalid_field"), field=field)


def validated(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def patched(entity: M, changes: dict[str, Any]) -> M:
    """The entity with a PATCH's fields applied, validated whole: a required field set to null (or
    any other impossible result) is an InvalidInput naming the field, and nothing is written."""
    return validated(type(entity), {**entity.model_dump(), **changes})


def _email_address(value: str) -> str:
    # email_validator (what pydantic's EmailStr uses) is imported on first use: pydantic's EmailStr
    # imports it when a model is defined, and every Lambda would pay ~15 ms for it at cold start.
    from email_validator import EmailNotValidError, validate_email

    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError as error:
        raise ValueError(f"value is not a valid email address: {error}") from None


EmailAddress = Annotated[str, AfterValidator(_email_address)]
