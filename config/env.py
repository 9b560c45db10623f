"""Read Practica's configuration from the environment: the one place that does."""

import os
import re
from pathlib import Path

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


SAML_VARIABLES = (
    "PRACTICA_SAML_IDP_ENTITY_ID",
    "PRACTICA_SAML_IDP_SSO_URL",
    "PRACTICA_SAML_IDP_CERT",
)
# The attributes Practica reads from a SAML assertion, by the names IdPs commonly give them:
# the LDAP/eduPerson OIDs (Shibboleth, SimpleSAMLphp, Keycloak with URI names), Microsoft Entra
# ID's and ADFS's claim URIs, and plain names. The first one present wins.
SAML_ATTRIBUTE_MAPPING = {
    # Without a subject-id the persistent NameID is the member's identifier at the IdP.
    "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "mail",
        "email",
    ],
    "username": [
        "urn:oid:0.9.2342.19200300.100.1.1",
        "http://schemas.auth0.com/nickname",
        "uid",
    ],
    "first_name": [
        "urn:oid:2.5.4.42",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "givenName",
    ],
    "last_name": [
        "urn:oid:2.5.4.4",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "sn",
    ],
    "email_verified": ["http://schemas.auth0.com/email_verified", "email_verified"],
}


def _pem_body(raw: str, name: str) -> str:
    """A certificate given as PEM text (newlines or literal \\n), bare base64, or the path of
    a PEM file, as the bare base64 python3-saml takes."""
    text = raw.strip()
    if not text.startswith("-----BEGIN"):
        try:
            path = Path(text)
            if path.is_file():
                text = path.read_text().strip()
        except OSError:  # base64 too long to be a file name: it is the certificate itself
            pass
    body = re.sub(r"-----(BEGIN|END) CERTIFICATE-----|\\n|\s+", "", text)
    if not re.fullmatch(r"[A-Za-z0-9+/]{100,}={0,2}", body):
        raise ImproperlyConfigured(
            f"{name} must be the IdP's signing certificate: PEM text, or the path of a PEM file."
        )
    return body


def env_saml_apps() -> list[dict]:
    """The SAML identity provider set by ``PRACTICA_SAML_*``, as allauth's APPS list: empty when
    none is set; the IdP's entity ID, sign-in URL and certificate, or a refusal to start."""
    given = {name: os.environ.get(name, "").strip() for name in SAML_VARIABLES}
    if not any(given.values()):
        return []
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise ImproperlyConfigured(
            f"SAML sign-in needs {', '.join(SAML_VARIABLES)}; {', '.join(missing)} not set."
        )
    slug = os.environ.get("PRACTICA_SAML_ID", "").strip() or "saml"
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", slug):
        raise ImproperlyConfigured(
            "PRACTICA_SAML_ID must be lowercase letters, digits, - and _ (it is part of the "
            f"service provider's URLs), not {slug!r}."
        )
    domains = [d.lower().lstrip("@") for d in env_list("PRACTICA_SAML_VERIFIED_EMAIL_DOMAINS")]
    return [
        {
            # allauth names a SAML app by its client_id: the slug in /accounts/saml/<slug>/.
            "client_id": slug,
            "name": os.environ.get("PRACTICA_SAML_NAME", "").strip() or "single sign-on (SAML)",
            "settings": {
                "idp": {
                    "entity_id": given["PRACTICA_SAML_IDP_ENTITY_ID"],
                    "sso_url": given["PRACTICA_SAML_IDP_SSO_URL"],
                    "x509cert": _pem_body(
                        given["PRACTICA_SAML_IDP_CERT"], "PRACTICA_SAML_IDP_CERT"
                    ),
                },
                "attribute_mapping": SAML_ATTRIBUTE_MAPPING,
                # SAML has no standard "address verified" claim: the IdP vouches only for the
                # addresses of the organisation's own domains (an email_verified attribute, if
                # the IdP sends one, counts too). Linking to an existing account needs it.
                "verified_email": domains or False,
                "advanced": {
                    # Refuse what is not signed by the IdP's key (python3-saml refuses an
                    # unsigned response anyway; the assertion must carry its own signature).
                    "want_assertion_signed": True,
                    "strict": True,
                    # Only answers to a sign-in this browser started (InResponseTo matches a
                    # request kept in its session, once): no IdP-initiated sign-in, no replay.
                    "reject_idp_initiated_sso": True,
                },
            },
        }
    ]
