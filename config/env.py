"""Read Practica's configuration from the environment: the one place that does."""

import os
import re

from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_request_header(name: str, default: str) -> tuple[str, str] | None:
    """Read ``HEADER,VALUE`` as Django's (``HTTP_*`` key, value) pair; empty means None."""
    raw = os.environ.get(name, default).strip()
    if not raw:
        return None
    parts = [part.strip() for part in raw.split(",")]
    key = parts[0].upper().replace("-", "_")
    if len(parts) != 2 or not parts[1] or not re.fullmatch(r"[A-Z0-9_]+", key):
        raise ImproperlyConfigured(
            f"{name} must be HEADER,VALUE (for example X-Forwarded-Proto,https) or empty, "
            f"not {raw!r}."
        )
    return key if key.startswith("HTTP_") else f"HTTP_{key}", parts[1]
