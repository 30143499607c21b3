"""Each endpoint's parameters, checked as strictly as Stripe does: an unknown parameter, a missing required one,
a value outside an enum or not an integer is refused with Stripe's message, `param` naming the parameter in its
bracketed form (`line_items[0][price_data][currency]`). Values arrive as strings and leave typed."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.local.stripe_sandbox.errors import invalid_param


class Param(ABC):
    """One parameter's kind: `check` refuses a value Stripe would refuse and answers it typed."""

    @abstractmethod
    def check(self, value: Any, path: str) -> Any: ...


class Str(Param):
    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise invalid_param(f"Invalid string: {_shown(value)}", path, "parameter_invalid_string")
        return value


class Int(Param):
    def __init__(self, minimum: int | None = None) -> None:
        self.minimum = minimum

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str) or not value.lstrip("-").isdigit():
            raise invalid_param(f"Invalid integer: {_shown(value)}", path, "parameter_invalid_integer")
        number = int(value)
        if self.minimum is not None and number < self.minimum:
            raise invalid_param(f"This value must be greater than or equal to {self.minimum}.", path,
                                "parameter_invalid_integer")
        return number


class Bool(Param):
    def check(self, value: Any, path: str) -> Any:
        if value not in ("true", "false"):
            raise invalid_param(f"Invalid boolean: {_shown(value)}", path)
        return value == "true"


class Enum(Param):
    def __init__(self, *values: str) -> None:
        self.values = values

    def check(self, value: Any, path: str) -> Any:
        if value not in self.values:
            *head, tail = self.values
            choices = f"{', '.join(head)}, or {tail}" if head else tail
            name = path.rsplit("[", 1)[-1].rstrip("]")
            raise invalid_param(f"Invalid {name}: must be one of {choices}", path)
        return value


class Metadata(Param):
    """Free keys with string values; an empty string unsets (the object's code merges)."""

    def check(self, value: Any, path: str) -> Any:
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid_param("Invalid object", path)
        for key, item in value.items():
            if not isinstance(item, str):
                raise invalid_param("Invalid string: {...}", f"{path}[{key}]", "parameter_invalid_string")
            if len(key) > 40:
                raise invalid_param("Metadata keys must be at most 40 characters.", f"{path}[{key}]")
            if len(item) > 500:
                raise invalid_param("Metadata values must be at most 500 characters.", f"{path}[{key}]")
        return dict(value)


@dataclass
class Obj(Param):
    fields: Mapping[str, Param]
    required: Sequence[str] = ()

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise invalid_param("Invalid object", path)
        return check_params(value, self, prefix=path)


@dataclass
class Arr(Param):
    item: Param
    min_items: int = 0

    def check(self, value: Any, path: str) -> Any:
        if value == "" and self.min_items == 0:
            return []
        if not isinstance(value, list):
            raise invalid_param("Invalid array", path)
        if len(value) < self.min_items:
            raise invalid_param(f"Missing required param: {path}.", path, "parameter_missing")
        return [self.item.check(item, f"{path}[{index}]") for index, item in enumerate(value)]


@dataclass
class Capabilities(Param):
    """`capabilities[transfers][requested]=true`: a fixed set of names, each `{requested: bool}`."""

    names: Sequence[str] = field(default_factory=lambda: ("card_payments", "transfers"))

    def check(self, value: Any, path: str) -> Any:
        return Obj({name: Obj({"requested": Bool()}) for name in self.names}).check(value, path)


EXPAND = Arr(Str())


def check_params(values: Mapping[str, Any], spec: Obj, *, prefix: str = "") -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for name, value in values.items():
        path = f"{prefix}[{name}]" if prefix else name
        param = spec.fields.get(name)
        if param is None:
            raise invalid_param(f"Received unknown parameter: {path}", path, "parameter_unknown")
        if value == "" and not isinstance(param, (Str, Metadata, Arr)):
            continue  # an empty value unsets an optional parameter, as in Stripe
        checked[name] = param.check(value, path)
    for name in spec.required:
        if name not in checked:
            path = f"{prefix}[{name}]" if prefix else name
            raise invalid_param(f"Missing required param: {path}.", path, "parameter_missing")
    return checked


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else "{...}" if isinstance(value, dict) else "[...]"
