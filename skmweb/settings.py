"""Typed settings: each declared once with its name, default, type, allowed range or choices, and help.

Values come from the instance file (Python objects), the environment (text) and the mapping given to the
app factory; each is converted and checked at start, so a bad value stops the app with its name, the value
and what is allowed, instead of failing a citizen's request later (SecureDrop ``sdconfig.py``).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Mapping

TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}


class SettingError(ValueError):
    """A setting has a value its declaration does not allow; the message names both."""


@dataclass(frozen=True)
class Setting:
    """One setting. ``kind`` is int, float, bool or str; left out, it is the default's type (str when the
    default is None). A None default means the setting may stay unset. ``minimum``/``maximum`` bound a
    number; ``choices`` lists the allowed texts (compared without case, stored as declared)."""
    name: str
    default: Any
    help: str
    kind: type | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None

    @property
    def type(self) -> type:
        if self.kind is not None:
            return self.kind
        return str if self.default is None else type(self.default)

    def allowed(self) -> str:
        """What this setting accepts, in words for the operator."""
        if self.choices:
            text = "one of " + ", ".join(self.choices)
        elif self.type is bool:
            text = "true or false (also yes/no, 1/0)"
        elif self.type in (int, float):
            text = ("a whole number" if self.type is int else "a number") + bounds_text(self.minimum, self.maximum)
        else:
            text = "a text"
        return text + (", or unset" if self.default is None else "")

    def convert(self, value: Any) -> Any:
        """The value as this setting's type, checked against its range; raises ``ValueError``."""
        if value is None or (self.default is None and value == ""):
            if self.default is None:
                return None
            raise ValueError("missing")
        converted: Any = CONVERTERS[self.type](value)
        if self.choices:
            converted = next((c for c in self.choices if c.lower() == str(converted).lower()), None)
            if converted is None:
                raise ValueError("not a choice")
        if self.minimum is not None and converted < self.minimum:
            raise ValueError("too small")
        if self.maximum is not None and converted > self.maximum:
            raise ValueError("too large")
        return converted


def bounds_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {number_text(minimum)} to {number_text(maximum)}"
    if minimum is not None:
        return f" of at least {number_text(minimum)}"
    return f" of at most {number_text(maximum)}" if maximum is not None else ""


def number_text(value: float) -> str:
    """A bound as written: every digit of a whole number (67108864, not 6.71089e+07)."""
    return str(value) if isinstance(value, int) else f"{value:g}"


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValueError("not a boolean")


def to_int(value: Any) -> int:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("not a whole number")
    return int(str(value).strip()) if not isinstance(value, int) else value


def to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("not a number")
    number = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def to_str(value: Any) -> str:
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # an API key of digits, read from the environment as a number
    raise ValueError("not a text")


CONVERTERS = {bool: to_bool, int: to_int, float: to_float, str: to_str}


def checked_values(prefix: str, settings: tuple[Setting, ...], values: Mapping[str, Any],
                   source: str) -> dict[str, Any]:
    """The declared settings found in ``values`` (keys ``<PREFIX>_<NAME>``), converted; ``source`` says
    where they came from for the error message. Raises ``SettingError`` at the first bad value."""
    checked = {}
    for setting in settings:
        key = f"{prefix}_{setting.name}"
        if key in values:
            checked[key] = check(setting, values[key], f"{key}={values[key]!r}{source}")
    return checked


def environment_values(prefix: str, settings: tuple[Setting, ...]) -> dict[str, Any]:
    """The declared settings set as ``SKM_<PREFIX>_<NAME>`` environment variables, converted."""
    checked = {}
    for setting in settings:
        variable = f"SKM_{prefix}_{setting.name}"
        if variable in os.environ:
            checked[f"{prefix}_{setting.name}"] = check(setting, os.environ[variable],
                                                        f"{variable}={os.environ[variable]!r}")
    return checked


def check(setting: Setting, value: Any, shown: str) -> Any:
    try:
        return setting.convert(value)
    except (ValueError, TypeError):
        raise SettingError(f"{shown} is not valid: {setting.allowed()} is needed") from None


def describe_settings(prefix: str, settings: tuple[Setting, ...]) -> str:
    return "\n".join(f"{prefix}_{s.name} ({s.type.__name__}: {s.allowed()}; default {s.default!r})\n    {s.help}"
                     for s in settings)
