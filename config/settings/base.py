"""Base settings. Every value that varies between deployments is read from the environment here."""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_oidc_apps,
    env_saml_apps,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (production refuses to start "
            "without one), or set DEBUG=1 for a local development server."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-used-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    # Single sign-on through an organisation's OpenID Connect or SAML provider (README,
    # "Privacy and sign-in"); the button shows only when a provider is configured.
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "taggit",
    "csp",
    "core",
    "accounts",
    "communities",
    "notifications",
    "practice",
    "knowledge",
    "search",
    "metrics",
    "importers",
    "api",
    "demo",
    # django-ninja: its templates and static files serve the API docs page (no CDN).
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, which answers static files itself with its precompressed .gz files;
    # before everything that reads or writes the body. BREACH: README, "Running in production".
    # File downloads (attachments) pass uncompressed: core/compression.py says why.
    "core.compression.RenderedGZipMiddleware",
    "core.middleware.RejectUnstorableInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Inside CSPMiddleware: the sign-in pages may post to the single sign-on provider.
    "accounts.middleware.SingleSignOnFormActionMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffTwoFactorRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "core.context_processors.site",
                "notifications.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite waits for a writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Transactions take the write lock when they begin: two deferred transactions that both
    # read and then write would deadlock, and SQLite fails one at once without waiting.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# `make run` serves at once and seeds the demo in a second process, which writes how far it is
# to this file; every page then shows it (demo.context_processors). Unset (production, tests):
# the context processor is not even listed, so a page pays nothing for it.
DEMO_SEED_PROGRESS_FILE = env_str("DEMO_SEED_PROGRESS_FILE", "") or None
if DEMO_SEED_PROGRESS_FILE:
    TEMPLATES[0]["OPTIONS"]["context_processors"].append(
        "demo.context_processors.demo_seed_progress"
    )
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # WAL: pages read the last commit while the seed writes, instead of waiting for it. A
        # write waits for the seed's current transaction, which the seed keeps to about a second
        # of work (demo.timeline's chunks, pausing after each commit): about a second measured.
        # The long timeout is margin for a loaded machine, where a chunk or one community's
        # metrics run can take many times that; a visitor's write then waits, it does not fail.
        DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL;"
        DATABASES["default"]["OPTIONS"]["timeout"] = 120
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's and allauth's backends, loading the user with their profile (core/auth_backends.py).
AUTHENTICATION_BACKENDS = [
    "core.auth_backends.ProfileLoadingModelBackend",
    "core.auth_backends.ProfileLoadingAllauthBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "communities:directory"
LOGOUT_REDIRECT_URL = "communities:directory"

# django-allauth
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "ACCOUNT_EMAIL_VERIFICATION", "mandatory", ("mandatory", "optional", "none")
)
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Practica] "
ACCOUNT_ADAPTER = "core.accounts.PracticaAccountAdapter"
# Practica's account forms: visible labels without placeholders (see core/accounts.py).
ACCOUNT_FORMS = {
    "login": "core.accounts.LoginForm",
    "signup": "core.accounts.SignupForm",
    "add_email": "core.accounts.AddEmailForm",
    "change_password": "core.accounts.ChangePasswordForm",
    "set_password": "core.accounts.SetPasswordForm",
    "reset_password": "core.accounts.ResetPasswordForm",
    "reset_password_from_key": "core.accounts.ResetPasswordKeyForm",
}
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, spelled out so that they are visibly on.
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_PREVENT_ENUMERATION = True
# allauth emails the member when their password, email addresses or two-factor methods change;
# accounts.services emails what allauth does not know about (API tokens).
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Two-factor sign-in (allauth.mfa): authenticator apps, recovery codes, security keys.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Practica"
# Security keys need HTTPS, but for the embedded demo on http://127.0.0.1.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Staff accounts (the Django admin) work only with a second factor (accounts/middleware.py).
# On by default but for the embedded demo; PRACTICA_REQUIRE_STAFF_MFA=0 turns it off.
PRACTICA_REQUIRE_STAFF_MFA = env_bool("PRACTICA_REQUIRE_STAFF_MFA", default=not DEBUG)
# Members see where they are signed in and can sign out everywhere else (allauth.usersessions).
# Sessions are recorded at sign-in; tracking every request would cost a write per page.
USERSESSIONS_TRACK_ACTIVITY = False
# Single sign-on (allauth.socialaccount, OpenID Connect and SAML). One provider of each from
# PRACTICA_OIDC_* and PRACTICA_SAML_* (config/env.py); more, or changes without a restart, as
# "Social applications" in the admin.
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {"APPS": env_oidc_apps()},
    "saml": {"APPS": env_saml_apps()},
}
# A member who signs in through the provider with an address that an existing account has is
# that account (and the provider is linked to it), but only when the provider says it verified
# the address (its email_verified claim): allauth ignores unverified addresses here, so nobody
# takes over an account by claiming its address at a provider that does not check.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# A new member from the provider is created at once; their address needs no confirmation email
# when the provider verified it (ACCOUNT_EMAIL_VERIFICATION applies otherwise).
SOCIALACCOUNT_AUTO_SIGNUP = True
# Leaving for the provider takes a POST (the login page's button), never a plain link.
SOCIALACCOUNT_LOGIN_ON_GET = False

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Email: the console backend unless configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Practica <noreply@practica.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Redis and Celery. Without REDIS_URL, tasks run in-process once the transaction commits.
REDIS_URL = env_str("REDIS_URL")
# Short timeouts: a down or silent broker must not hold a web request (see core.tasks.enqueue).
BROKER_TIMEOUT_SECONDS = 0.5
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_SECONDS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that lost Redis reconnects for as long as Redis is away (the default gives up after
# 100 attempts, about 47 minutes, and the worker exits), and lets a task it is running finish:
# a metrics run needs only the database; its acknowledgement may fail, and then the message is
# delivered again after the visibility timeout, which a run survives (it is idempotent).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Celery 5.7.0's own consumer exits instead of reconnecting when Redis drops while it holds an
# unacknowledged task (config/celery_worker.py says why).
CELERY_WORKER_CONSUMER = "config.celery_worker:Consumer"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": BROKER_TIMEOUT_SECONDS,
    "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
    "max_retries": 0,
    "visibility_timeout": 3600,
}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # A Redis that is down or silent costs one short timeout per process every few seconds; in
    # between, the cache answers from process memory, so login and its rate limits keep working.
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
else:
    # Eager tasks still take a producer from kombu's pool: a URL without a host made kombu warn
    # "No hostname was supplied" on the first task of every process (issue #13, item 11).
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = False
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The hour (in TIME_ZONE) at which the daily digests go out; the weekly ones on Mondays.
PRACTICA_DIGEST_HOUR = env_int("PRACTICA_DIGEST_HOUR", 7)
CELERY_BEAT_SCHEDULE = {
    "flush-email-outbox": {
        "task": "core.flush_email_outbox",
        "schedule": env_int("OUTBOX_FLUSH_SECONDS", 300),
    },
    "practice-missed-notification-emails": {
        "task": "practice.send_missed_notification_emails",
        "schedule": crontab(minute="*/15"),
    },
    "practice-daily-digests": {
        "task": "practice.send_daily_digests",
        "schedule": crontab(minute=0, hour=PRACTICA_DIGEST_HOUR),
    },
    "practice-weekly-digests": {
        "task": "practice.send_weekly_digests",
        "schedule": crontab(minute=30, hour=PRACTICA_DIGEST_HOUR, day_of_week="mon"),
    },
}
# Emails not sent after this many seconds are picked up by the periodic flush.
OUTBOX_RETRY_AFTER_SECONDS = 120

# Metrics.
# Definitions (weights, half-life, thresholds, windows): each field of
# metrics.compute.config.MetricsConfig is the setting METRICS_<FIELD> with the default documented
# in docs/METRICS.md; the environment variable of the same name overrides it, e.g.
# METRICS_HALF_LIFE_DAYS=60 or METRICS_WINDOWS=7,30,90 (metrics.conf coerces the types).
from metrics.compute.config import setting_names as _metrics_setting_names  # noqa: E402 (pure)

for _metrics_setting in _metrics_setting_names().values():
    if env_str(_metrics_setting):
        globals()[_metrics_setting] = env_str(_metrics_setting)
# Pipeline: how often celery beat recomputes every community, how long a request waits so that
# a burst of posts causes one recompute, when a request left pending (a lost message, a broker
# that was down) is enqueued again, and how often a run rebuilds the tie table from the whole
# log instead of folding in only the new interactions.
METRICS_SCHEDULE_SECONDS = env_int("METRICS_SCHEDULE_SECONDS", 3600)
METRICS_DEBOUNCE_SECONDS = env_int("METRICS_DEBOUNCE_SECONDS", 30)
METRICS_REQUEST_STALE_SECONDS = env_int("METRICS_REQUEST_STALE_SECONDS", 900)
# The sweep (beat, every METRICS_REQUEST_SWEEP_EVERY_SECONDS) enqueues again a request pending
# longer than METRICS_REQUEST_SWEEP_AFTER_SECONDS (at least twice the debounce): its message was
# lost, or its enqueue failed while the broker was down.
METRICS_REQUEST_SWEEP_AFTER_SECONDS = env_int("METRICS_REQUEST_SWEEP_AFTER_SECONDS", 120)
METRICS_REQUEST_SWEEP_EVERY_SECONDS = env_int("METRICS_REQUEST_SWEEP_EVERY_SECONDS", 60)
METRICS_FULL_EVERY_SECONDS = env_int("METRICS_FULL_EVERY_SECONDS", 86400)
# History: keep every snapshot for this many days, then the last one of each day up to
# METRICS_KEEP_DAILY_DAYS, then the last one of each month for ever.
METRICS_KEEP_ALL_DAYS = env_int("METRICS_KEEP_ALL_DAYS", 2)
METRICS_KEEP_DAILY_DAYS = env_int("METRICS_KEEP_DAILY_DAYS", 90)
# Months of monthly snapshots that seed_demo computes for every demo community.
METRICS_DEMO_HISTORY_MONTHS = env_int("METRICS_DEMO_HISTORY_MONTHS", 6)
CELERY_BEAT_SCHEDULE["metrics-hourly"] = {
    "task": "metrics.recompute_all",
    "schedule": METRICS_SCHEDULE_SECONDS,
}
CELERY_BEAT_SCHEDULE["metrics-request-sweep"] = {
    "task": "metrics.sweep_requests",
    "schedule": METRICS_REQUEST_SWEEP_EVERY_SECONDS,
}
# Webhook deliveries whose message was lost (api.webhooks.deliveries_sweep).
CELERY_BEAT_SCHEDULE["webhook-deliveries-sweep"] = {
    "task": "api.webhook_deliveries_sweep",
    "schedule": 600,
}
# Metrics runs have a queue of their own, so an email never waits behind an hourly cycle of
# community recomputes: workers started with "-Q celery" send email, workers with "-Q metrics"
# compute (docker-compose.yml runs one of each; add metrics workers, on any machine that reaches
# Redis and the database, to scale out). Eager mode (no REDIS_URL) ignores routes.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"metrics.*": {"queue": "metrics"}}

# Content-Security-Policy: no inline script anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# Practica's own knobs.
PRACTICA_PAGE_SIZE = 25
PRACTICA_INVITATION_DAYS = env_int("PRACTICA_INVITATION_DAYS", 14)
PRACTICA_MAX_QUERY_LENGTH = 200
# New members (joined fewer than this many days ago) are rate-limited.
PRACTICA_NEW_MEMBER_DAYS = env_int("PRACTICA_NEW_MEMBER_DAYS", 7)
# Calls per caller (a token, a signed-in member, an anonymous address) to the JSON API; a
# 429 with Retry-After beyond it. "<count>/<s|m|h|d>".
PRACTICA_API_RATE = env_str("PRACTICA_API_RATE", "600/m")
PRACTICA_NEW_MEMBER_THREADS_PER_HOUR = env_int("PRACTICA_NEW_MEMBER_THREADS_PER_HOUR", 3)
PRACTICA_NEW_MEMBER_POSTS_PER_HOUR = env_int("PRACTICA_NEW_MEMBER_POSTS_PER_HOUR", 10)

# Members' data exports (accounts): archives wait here, outside MEDIA_ROOT and with no URL, for
# this many days after they are ready.
PRACTICA_EXPORT_ROOT = Path(
    env_str("PRACTICA_EXPORT_ROOT", str(BASE_DIR / "private_media" / "exports"))
)
PRACTICA_EXPORT_DAYS = env_int("PRACTICA_EXPORT_DAYS", 7)
CELERY_BEAT_SCHEDULE["accounts-expire-data-exports"] = {
    "task": "accounts.expire_data_exports",
    "schedule": crontab(minute=45),
}

# The interaction log's retention (communities.retention): rows older than this many days (to
# the start of that month) are counted per month and kind, then deleted, daily. 0 keeps them all
# (the default: an imported community's history would otherwise be pruned at once).
PRACTICA_INTERACTION_RETENTION_DAYS = env_int("PRACTICA_INTERACTION_RETENTION_DAYS", 0)
CELERY_BEAT_SCHEDULE["communities-prune-interactions"] = {
    "task": "communities.prune_interactions",
    "schedule": crontab(minute=5, hour=3),
}

# Closing an account (accounts): the days a member can take it back before their identity is
# erased, and what happens to their posts: "member_chooses", "keep" (shown as "A former member"'s)
# or "remove" (their text removed).
PRACTICA_ACCOUNT_GRACE_DAYS = env_int("PRACTICA_ACCOUNT_GRACE_DAYS", 14)
PRACTICA_CLOSED_ACCOUNT_POSTS = env_choice(
    "PRACTICA_CLOSED_ACCOUNT_POSTS", "member_chooses", ("member_chooses", "keep", "remove")
)
CELERY_BEAT_SCHEDULE["accounts-erase-closed-accounts"] = {
    "task": "accounts.erase_closed_accounts",
    "schedule": crontab(minute=15),
}

# Importers: the largest file the admin's import page takes (a zipped dump or an mbox), and
# where uploads wait for their import (no URL; removed once imported).
PRACTICA_IMPORT_MAX_UPLOAD_MB = env_int("PRACTICA_IMPORT_MAX_UPLOAD_MB", 500)
PRACTICA_IMPORT_ROOT = Path(
    env_str("PRACTICA_IMPORT_ROOT", str(BASE_DIR / "private_media" / "imports"))
)

# Knowledge.
# Uploaded files live outside MEDIA_ROOT and have no URL: only the permission-checked download
# view serves them, as attachments that cannot run script in our origin.
KNOWLEDGE_ATTACHMENT_ROOT = Path(
    env_str("KNOWLEDGE_ATTACHMENT_ROOT", str(BASE_DIR / "private_media" / "attachments"))
)
KNOWLEDGE_ATTACHMENT_MAX_BYTES = env_int("KNOWLEDGE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
KNOWLEDGE_ATTACHMENTS_PER_ITEM = env_int("KNOWLEDGE_ATTACHMENTS_PER_ITEM", 20)
# Allowed extensions and the type each is served as (never what the browser claimed).
KNOWLEDGE_ATTACHMENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "txt": "text/plain",
    "md": "text/markdown",
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
# Published items nobody has reviewed for this many months show in the content-health queue.
KNOWLEDGE_REVIEW_AFTER_MONTHS = env_int("KNOWLEDGE_REVIEW_AFTER_MONTHS", 12)

# Search.
# The PostgreSQL text-search configuration (a language: english, german, simple...) used to
# index and to query. Changing it needs `manage.py rebuild_search_index`.
SEARCH_LANGUAGE = env_str("SEARCH_LANGUAGE", "english")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# WhiteNoise serves from the finders (no collectstatic needed) while developing and testing.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
