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


OIDC_VARIABLES = (
    "PRACTICA_OIDC_SERVER_URL",
    "PRACTICA_OIDC_CLIENT_ID",
    "PRACTICA_OIDC_CLIENT_SECRET",
)


def env_oidc_apps() -> list[dict]:
    """The OpenID Connect provider set by ``PRACTICA_OIDC_*``, as allauth's APPS list: empty
    when none is set; all three of server URL, client id and secret, or a refusal to start."""
    given = {name: os.environ.get(name, "").strip() for name in OIDC_VARIABLES}
    if not any(given.values()):
        return []
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise ImproperlyConfigured(
            f"Single sign-on needs {', '.join(OIDC_VARIABLES)}; {', '.join(missing)} not set."
        )
    provider_id = os.environ.get("PRACTICA_OIDC_PROVIDER_ID", "").strip() or "sso"
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", provider_id):
        raise ImproperlyConfigured(
            "PRACTICA_OIDC_PROVIDER_ID must be lowercase letters, digits, - and _ (it is part "
            f"of the callback URL), not {provider_id!r}."
        )
    return [
        {
            "provider_id": provider_id,
            "name": os.environ.get("PRACTICA_OIDC_NAME", "").strip() or "single sign-on",
            "client_id": given["PRACTICA_OIDC_CLIENT_ID"],
            "secret": given["PRACTICA_OIDC_CLIENT_SECRET"],
            "settings": {
                "server_url": given["PRACTICA_OIDC_SERVER_URL"].rstrip("/"),
                # PKCE as well as the client secret: a stolen code is worth nothing.
                "oauth_pkce_enabled": True,
            },
        }
    ]
