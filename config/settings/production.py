"""Production tightening, applied whenever DEBUG is off. It only tightens, never loosens."""

from config.env import env_bool, env_int, env_request_header

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# The request came over HTTPS when the TLS-terminating proxy says so in this header. Trusted by
# default because the documented deployment sits behind such a proxy (docker-compose's health
# check relies on it); set it empty when clients can reach gunicorn without the proxy, which
# must overwrite the header (README, "Running in production").
SECURE_PROXY_SSL_HEADER = env_request_header("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto,https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
