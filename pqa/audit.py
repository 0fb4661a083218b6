"""Security audit log without personal data: one logger, "pqa.audit", one line per event.

A line is `<event> key=value ...`. People are named by their user id, never by username,
e-mail address or name; what someone typed at the sign-in page is only ever kept as a short
keyed hash (HMAC with SECRET_KEY), so repeated attempts on one account can be correlated
without the log holding what was typed. URLs are logged by their name, never with the query
string. Where the lines go: docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from django.conf import settings

logger = logging.getLogger("pqa.audit")

# The events, in one place (docs/security.md lists them with their fields).
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
LOCKED_OUT = "locked_out"
TWO_FACTOR_ENROLLED = "two_factor_enrolled"
TWO_FACTOR_VERIFIED = "two_factor_verified"
TWO_FACTOR_FAILED = "two_factor_failed"
TWO_FACTOR_RESET = "two_factor_reset"
RECOVERY_CODE_USED = "recovery_code_used"
RECOVERY_CODES_GENERATED = "recovery_codes_generated"
ACCOUNT_DEACTIVATED = "account_deactivated"
ACCESS_DENIED = "access_denied"
EXPORT = "export"
IMPORT = "import"
FEED = "feed"
FEED_REFUSED = "feed_refused"
FEED_TOKEN_ISSUED = "feed_token_issued"  # noqa: S105 # nosec B105 - an event name, not a secret
FEED_TOKEN_REVOKED = "feed_token_revoked"  # noqa: S105 # nosec B105 - an event name, not a secret


class UTCFormatter(logging.Formatter):
    """ISO 8601 times in UTC, for the audit file."""

    converter = time.gmtime

    def __init__(self):
        super().__init__(fmt="%(asctime)sZ %(name)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S")


def _clean(value) -> str:
    if value is None or value == "":
        return "-"
    # One token per value: no spaces or line breaks that could forge another line or field.
    return "".join(char if char.isprintable() and not char.isspace() else "_" for char in str(value))[:120]


def event(name: str, **fields) -> None:
    """Write one audit line. Callers pass ids and names of things, never personal data."""
    details = " ".join(f"{key}={_clean(value)}" for key, value in fields.items())
    logger.info("%s %s", name, details, extra={"audit_event": name, "audit_fields": fields})


def user_id(user) -> int | None:
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


def account_hash(typed: str | None) -> str:
    """A short keyed hash of a typed username: the same account gives the same value, and
    the value cannot be turned back into what was typed without the secret key."""
    canonical = (typed or "").strip().lower()
    digest = hmac.new(settings.SECRET_KEY.encode(), canonical.encode(), hashlib.sha256).hexdigest()
    return digest[:16]


def _known_user(typed: str | None):
    from pqa.models import User

    if not typed or not typed.strip():
        return None
    try:
        return User.objects.get_by_natural_key(typed.strip())
    except User.DoesNotExist:
        return None


def _canonical(typed: str | None):
    """(key, user): the account's username in lower case when the typed value names one
    account (by username or e-mail, any case), else what was typed in lower case."""
    if not typed or not typed.strip():
        return None, None
    user = _known_user(typed)
    return (user.username if user else typed.strip()).lower()[:150], user


# --- django-axes hooks (named in settings) -----------------------------------------------


def lockout_username(request, credentials=None) -> str | None:
    """The key axes counts failures under (see _canonical), so "Eve", "eve" and her e-mail
    address share one count. Unknown names are counted and locked the same way, so the
    lockout page never tells whether an account exists."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username")
    return _canonical(typed)[0]


def axes_client_str(username, ip_address, user_agent, path_info, request) -> str:
    """How axes names a client in its own log lines: the keyed hash, not the username."""
    return f"account={account_hash(username)} path={_clean(path_info)}"


# --- Signal receivers (connected in PQAConfig.ready) -------------------------------------


def _logged_in(sender, request, user, **kwargs):
    event(LOGIN, user=user.pk)


def _logged_out(sender, request, user, **kwargs):
    event(LOGOUT, user=user_id(user))


def _login_failed(sender, credentials, request=None, **kwargs):
    key, user = _canonical(credentials.get("username"))
    event(LOGIN_FAILED, account=account_hash(key), user=user.pk if user else None)


def _locked_out(sender, request, username, ip_address, **kwargs):
    # `username` is already the canonical key from lockout_username.
    key, user = _canonical(username)
    event(LOCKED_OUT, account=account_hash(key), user=user.pk if user else None)


def connect_signals() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(_logged_in, dispatch_uid="pqa.audit.login")
    user_logged_out.connect(_logged_out, dispatch_uid="pqa.audit.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="pqa.audit.login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="pqa.audit.locked_out")
