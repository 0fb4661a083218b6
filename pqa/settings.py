"""Settings for PQA, read from the environment (see docs/contracts/configuration.md).

One module serves development, CI and production: the environment alone decides.
"""

import datetime as dt
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG=0. "
            "Set it to a long random value (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    # Development only: a fixed, obviously-unsafe key so sessions survive restarts.
    SECRET_KEY = "dev-insecure-key-only-for-local-debug-never-in-production"  # noqa: S105 - DEBUG only  # nosec B105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "django.contrib.admin",
    "pqa.app_names.PermissionGroupsConfig",  # django.contrib.auth, named in words
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_gds",
    "django_filters",
    "simple_history",
    "pqa.app_names.SignInLockoutsConfig",  # axes
    "django_otp",
    "pqa.app_names.AuthenticatorsConfig",  # django_otp.plugins.otp_totp
    "django_celery_beat",
    "pqa.apps.PQAConfig",
    "pqa.feed",
    "evaluations",
    "feedback",
    "pqa.reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # No caching of any page, and a Permissions-Policy, on everything after the static files.
    "pqa.middleware.ResponseHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A body larger than PQA takes is a 413 (413 JSON for scripts), before anything reads it.
    "pqa.middleware.RequestSizeMiddleware",
    # A control character in any query or form parameter is a 400 naming the field, before
    # any view (or the CSRF check) reads it.
    "pqa.middleware.ControlCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Starts the idle period again, writing the session at most once a minute.
    "pqa.sessions.IdleTimeoutMiddleware",
    # Logs every 403 and 404 given to a signed-in person (after OTP so it sees the user).
    "pqa.middleware.DeniedAccessAuditMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # After OTPMiddleware: a role that needs a second factor reaches nothing without it.
    "pqa.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so it turns a lockout flagged during sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "pqa.urls"

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
                "pqa.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "pqa.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")),
    )
}


def sqlite_options() -> dict:
    """SQLite as a web server needs it (`make run`, small pilots). Requests are answered in
    several threads, each with its own connection: write-ahead logging lets them read while one
    writes; a write transaction takes its lock when it begins (IMMEDIATE), so two never both
    read and then fail to upgrade to a write ("database is locked" at once, whatever the
    timeout); and a writer waits up to 20 seconds for the lock instead of failing."""
    return {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }


if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(sqlite_options())

AUTH_USER_MODEL = "pqa.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# govuk-frontend is installed by npm (see package.json); its compiled assets are served as-is.
_GOVUK_DIST = BASE_DIR / "node_modules" / "govuk-frontend" / "dist"
if _GOVUK_DIST.exists():
    STATICFILES_DIRS.append(("govuk-frontend", _GOVUK_DIST / "govuk"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("PQA_PLAIN_STATIC", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Browser features PQA never uses, turned off for its pages (pqa.middleware.ResponseHeadersMiddleware)
# and its static files (below).
PQA_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)


def _static_file_headers(headers, path, url):
    headers["Permissions-Policy"] = PQA_PERMISSIONS_POLICY


WHITENOISE_ADD_HEADERS_FUNCTION = _static_file_headers

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# --- How much one request may carry (docs/security.md, "Bounded input") -----------------
# The whole body: an import file at the most pqa.spreadsheets reads (MAX_BYTES, 20 MB) and
# the form around it. Anything larger is a 413 before a byte of it is read
# (pqa.middleware.RequestSizeMiddleware).
PQA_MAX_REQUEST_BYTES = 21 * 1024 * 1024

# The BI feed (pqa/feed, docs/feed.md): rows per JSON page, at most the contract's 10,000.
PQA_FEED_PAGE_SIZE = 10_000
# A form's fields, files apart: every text field has a limit (evaluations/limits.py), and the
# largest form at its limits (a pasted list of 300,000 characters, or the sit-alongside form)
# fits many times over, even percent-encoded. More is refused with a 413 naming the limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
# Uploaded files above this are kept in a temporary file rather than in the worker's memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The sit-alongside form posts about 120 fields; an admin page with a long list a few hundred.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# No form takes more than one file.
DATA_UPLOAD_MAX_NUMBER_FILES = 5

# --- E-mail -----------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if os.environ.get("EMAIL_URL"):
    # EMAIL_URL wins over the EMAIL_* variables: smtp://user:password@host:587 (STARTTLS),
    # smtps://...:465 (TLS), or console:// for the console backend.
    _email = urlsplit(os.environ["EMAIL_URL"])
    if _email.scheme == "console":
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    elif _email.scheme in {"smtp", "smtps", "submission"}:
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        EMAIL_HOST = _email.hostname or "localhost"
        EMAIL_PORT = _email.port or {"smtps": 465, "submission": 587}.get(_email.scheme, 25)
        EMAIL_HOST_USER = unquote(_email.username or "")
        EMAIL_HOST_PASSWORD = unquote(_email.password or "")
        EMAIL_USE_SSL = _email.scheme == "smtps"
        EMAIL_USE_TLS = _email.scheme == "submission" or EMAIL_PORT == 587
    else:
        raise ImproperlyConfigured(f"EMAIL_URL scheme '{_email.scheme}' is not one of smtp, smtps, submission, console")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "pqa@localhost")

# --- Celery -----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # No broker: tasks run in-process at once, so `make run` needs nothing else started.
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A task is acknowledged only once it has run, so a worker that dies mid-task leaves it
# queued for another; tasks are idempotent (see pqa.services.notification_deliver), so a
# second run is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# With Redis, an unacknowledged task is redelivered after the visibility timeout; it must be
# longer than the slowest task (e-mail delivery: seconds), and short enough to recover soon.
# max_retries 0: publishing a task with the broker down fails at once (the outbox keeps the
# row for the sweep) instead of kombu retrying for about 6 s while the user's request waits.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600, "max_retries": 0}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    # Safety net for the outbox: anything whose enqueue failed (broker down) is sent later.
    "deliver-pending-notifications": {
        "task": "pqa.tasks.deliver_pending_notifications",
        # Seconds between sweeps; the broker-outage test shortens it to prove delivery quickly.
        "schedule": float(os.environ.get("PQA_OUTBOX_SWEEP_SECONDS", "60")),
    },
    # Safety net for background jobs (pqa.jobs: imports, reports): a job whose task was never
    # enqueued runs; one whose worker died is marked failed.
    "sweep-background-jobs": {"task": "pqa.tasks.sweep_jobs", "schedule": 60.0},
    # Expired sessions and old sign-in records (pqa.services.housekeeping_run), at a quiet hour.
    "housekeeping": {"task": "pqa.tasks.housekeeping", "schedule": crontab(hour=3, minute=17)},
    # The recommendations register's daily reminders (shared contract recommendations.md),
    # early enough to be read at the start of the working day.
    "recommendation-reminders": {
        "task": "evaluations.tasks.send_recommendation_reminders",
        "schedule": crontab(hour=6, minute=30),
    },
    # Customer relations' morning e-mail of complaints due soon or overdue (once a day).
    "complaints-digest": {"task": "feedback.tasks.complaints_digest", "schedule": crontab(hour=7, minute=5)},
}
# Beat keeps its schedule in the database (django-celery-beat), so the times can be changed in
# the admin without a deployment. The entries above are written into it each time beat starts
# (DatabaseScheduler reads CELERY_BEAT_SCHEDULE), so they keep running; tasks added in the
# admin run alongside them.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Sessions and security ---------------------------------------------------
# Idle timeout: a session ends 30 minutes after the last request. Every request (an autosave
# included) starts the 30 minutes again, but the session row is written at most once a minute
# (pqa/sessions.py), not on every request; the page warns two minutes before the end
# (static/pqa/js/session-timeout.js) and the cookie dies with the browser.
SESSION_COOKIE_AGE = int(os.environ.get("PQA_SESSION_SECONDS", str(30 * 60)))
# Absolute lifetime: 12 hours after sign-in a session ends whatever the activity (pqa/sessions.py).
PQA_SESSION_MAX_SECONDS = int(os.environ.get("PQA_SESSION_MAX_SECONDS", str(12 * 3600)))
SESSION_SAVE_EVERY_REQUEST = False
PQA_SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
PQA_SESSION_WARNING_SECONDS = int(os.environ.get("PQA_SESSION_WARNING_SECONDS", "120"))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the autosave script reads the token from the form, not the cookie
X_FRAME_OPTIONS = "DENY"
# A refused form token gets the trust's 403 page, saying nothing was changed (pqa/errors.py).
CSRF_FAILURE_VIEW = "pqa.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("PQA_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("PQA_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("PQA_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("PQA_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Sign-in: lockout (django-axes) -------------------------------------------
# Five wrong passwords for one account lock that account for 15 minutes; a success resets
# the count. Locked by username only, never by IP address: behind the trust's proxy or NAT
# every member of staff arrives from one address, so an IP lock would let one person's
# mistyping (or one attacker) lock everyone out. The username is made canonical first
# (pqa.audit.lockout_username), so "Eve", "eve" and eve's e-mail address share one count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# Attempts while locked out do not push the end of the lockout further away, so the time the
# lockout page gives is the time it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "pqa.audit.lockout_username"
AXES_LOCKOUT_CALLABLE = "pqa.views.locked_out"
# axes' own log lines name the account by a keyed hash, never the typed username.
AXES_CLIENT_STR_CALLABLE = "pqa.audit.axes_client_str"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "code"]
# Its start-up banner on every command is noise; lockouts themselves are still logged.
AXES_VERBOSE = False
# axes records every sign-in and sign-out (username, IP address, browser): kept this many days
# for investigating misuse, then deleted by the daily housekeeping (docs/security.md).
PQA_SIGN_IN_LOG_DAYS = int(os.environ.get("PQA_SIGN_IN_LOG_DAYS", "90"))
# axes warns when the IP address is not a lockout parameter (its worry: a lock by user agent or
# cookie alone is easy to dodge). Ours is by username, which rotating those does not dodge; the
# IP lock is left out on purpose, for the reason above. Many usernames tried from one address
# (password spraying) is for the reverse proxy's rate limit (docs/security.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# --- Two-factor authentication (django-otp, TOTP) -----------------------------
# Required for everyone (pqa.permissions.role_requires_two_factor), with single-use recovery
# codes (pqa.models.RecoveryCodeDevice). See docs/security.md.
OTP_TOTP_ISSUER = os.environ.get("PQA_TRUST_NAME", "Children's Trust") + " PQA"
# An administrator can delete (reset) someone's device in the admin but never read its secret.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Content Security Policy (django-csp 4) -----------------------------------
# Scripts only from our own origin and with the page's nonce: no inline script or inline
# event handler runs. Images may be data: URIs (the two-factor QR code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # Style attributes: none of ours; only this one in django-simple-history's admin history
        # page (`style="border-top: 0"`), allowed by its hash and nothing else.
        # tests/test_security.py checks every style attribute in the installed templates.
        "style-src-attr": ["'unsafe-hashes'", "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"],
        "img-src": [SELF, "data:"],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

PQA_TRUST_NAME = os.environ.get("PQA_TRUST_NAME", "Children's Trust")
# Where people reach PQA, for links in e-mails.
PQA_BASE_URL = os.environ.get("PQA_BASE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PQA_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Security events without personal data (pqa/audit.py); see docs/security.md.
        "pqa.audit": {"level": "INFO"},
    },
}
# The audit lines also go to a file of their own when PQA_AUDIT_LOG_FILE names one.
if os.environ.get("PQA_AUDIT_LOG_FILE"):
    LOGGING["formatters"]["audit"] = {"()": "pqa.audit.UTCFormatter"}
    LOGGING["handlers"]["audit_file"] = {
        "class": "logging.handlers.WatchedFileHandler",
        "filename": os.environ["PQA_AUDIT_LOG_FILE"],
        "formatter": "audit",
    }
    LOGGING["loggers"]["pqa.audit"]["handlers"] = ["audit_file"]
