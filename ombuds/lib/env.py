"""Read settings from environment variables, refusing bad values loudly.

Every helper names the variable in its error, so an operator who mistyped a value
learns which one at start-up instead of meeting odd behaviour later. Each variable
read here must be documented in docs/configuration.md (a test checks this).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def env_optional(name: str) -> str | None:
    return _raw(name)


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, not {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(item == "" for item in items):
        raise ImproperlyConfigured(f"{name} is a comma-separated list and must not contain empty items: {value!r}")
    return items


def env_networks(name: str) -> list[str]:
    """A comma-separated list of IP addresses or networks (10.0.0.5, 10.0.0.0/24, ::1); empty if unset.

    "*" is refused: trust must name the addresses it is given to.
    """
    items = env_list(name, [])
    for item in items:
        try:
            ipaddress.ip_network(item)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks such as 10.0.0.0/24, not {item!r}"
            ) from None
    return items


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(sorted(choices))}, not {value!r}")
    return value


def env_secret(name: str) -> str | None:
    """A secret from NAME or from the file named by NAME_FILE (not both).

    The *_FILE form lets systemd credentials and container secrets stay out of the
    process environment.
    """
    direct = _raw(name)
    file_name = _raw(f"{name}_FILE")
    if direct is not None and file_name is not None:
        raise ImproperlyConfigured(f"set {name} or {name}_FILE, not both")
    if file_name is not None:
        path = Path(file_name)
        try:
            content = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_name}: {exc.strerror}") from None
        if not content:
            raise ImproperlyConfigured(f"{name}_FILE: {file_name} is empty")
        return content
    return direct


def env_duration(name: str, default: str, *, exact: bool = False, longest: str | None = None) -> str:
    """An ISO 8601 duration such as P7D, P3M or PT24H (validated; returned as written).

    `exact` refuses months and years, for durations that are subtracted from a moment;
    `longest` refuses a duration that can end later than it.
    """
    from ombuds.lib.durations import Duration, InvalidDuration, longer_than

    value = env_str(name, default)
    try:
        duration = Duration.parse(value)
    except InvalidDuration as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None
    if exact and duration.months:
        raise ImproperlyConfigured(f"{name} must be given in weeks, days, hours, minutes or seconds, not months")
    if longest is not None and longer_than(duration, Duration.parse(longest)):
        raise ImproperlyConfigured(f"{name} may be at most {longest}")
    return value
