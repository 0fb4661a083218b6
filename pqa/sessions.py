"""The idle timeout, written cheaply.

A session ends SESSION_COOKIE_AGE seconds after the person's last request. Saving the session
on every request (SESSION_SAVE_EVERY_REQUEST) would do that exactly, at the price of a database
write on every page, autosave and ping. Instead the session keeps the time it was last started
again (ACTIVE_AT) and is written only when that is more than a refresh interval old, or when it
is being written anyway. Everything that tells the browser how long is left
(the page's data attribute, the ping, the X-PQA-Session-Expires-In header on every answer)
counts from that time, so the countdown in session-timeout.js never outlives the server's.

On top of it, an absolute lifetime: PQA_SESSION_MAX_SECONDS (12 hours) after sign-in the
session ends whatever the activity, so a session left running on a shared or stolen machine
does not live for ever. The time of sign-in (SIGNED_IN_AT) is written with the first ACTIVE_AT
of the session; the countdown counts to whichever end comes first, so the warning, the
sign-out and the typed work kept in the tab behave exactly as for the idle timeout.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser

ACTIVE_AT = "pqa_active_at"
SIGNED_IN_AT = "pqa_signed_in_at"
HEADER = "X-PQA-Session-Expires-In"
# Its companion: which end that is, "idle" or "absolute". Near the absolute end "Stay signed
# in" cannot help, so the warning says why the person will be signed out instead of offering it.
ENDS_HEADER = "X-PQA-Session-Ends"
IDLE = "idle"
ABSOLUTE = "absolute"


def refresh_seconds() -> int:
    """How stale ACTIVE_AT may get before a request writes it: a minute, or a tenth of a short
    period (tests use periods of seconds)."""
    return max(1, min(settings.PQA_SESSION_REFRESH_SECONDS, settings.SESSION_COOKIE_AGE // 10))


def session_touch(session, *, force: bool = False) -> bool:
    """Start the idle period again if ACTIVE_AT is stale (or `force`); True if it did. Setting
    the key marks the session modified, so SessionMiddleware saves it with a new expiry date."""
    now = int(time.time())
    if SIGNED_IN_AT not in session:
        session[SIGNED_IN_AT] = now
    active_at = session.get(ACTIVE_AT)
    if force or active_at is None or now - active_at >= refresh_seconds():
        session[ACTIVE_AT] = now
        return True
    return False


def session_seconds_left(session) -> int:
    """Seconds until the server ends this session if no request starts the period again: the
    idle period's end, or the absolute lifetime's if that comes first."""
    now = int(time.time())
    active_at = session.get(ACTIVE_AT)
    age = settings.SESSION_COOKIE_AGE
    idle_left = age if active_at is None else age - (now - active_at)
    return max(0, min(idle_left, absolute_seconds_left(session, now=now)))


def session_end_kind(session) -> str:
    """Which end session_seconds_left counts to: ABSOLUTE when the lifetime since signing in
    ends no later than the idle period, else IDLE."""
    now = int(time.time())
    active_at = session.get(ACTIVE_AT)
    age = settings.SESSION_COOKIE_AGE
    idle_left = age if active_at is None else age - (now - active_at)
    return ABSOLUTE if absolute_seconds_left(session, now=now) <= idle_left else IDLE


def lifetime_words() -> str:
    """The absolute lifetime in words, for the warning: "12 hours", "90 minutes"."""
    seconds = settings.PQA_SESSION_MAX_SECONDS
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def absolute_seconds_left(session, *, now: int | None = None) -> int:
    """Seconds until the session's absolute lifetime ends, however active the person is."""
    now = int(time.time()) if now is None else now
    signed_in_at = session.get(SIGNED_IN_AT, now)
    return settings.PQA_SESSION_MAX_SECONDS - (now - signed_in_at)


class IdleTimeoutMiddleware:
    """After AuthenticationMiddleware, inside SessionMiddleware (which saves what this marks).
    Before the view: a stale ACTIVE_AT is renewed, so the page rendered says the whole period.
    After it: a session about to be saved anyway gets a fresh ACTIVE_AT to match its new expiry,
    and every signed-in answer says how long is left."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _signed_in(request) and absolute_seconds_left(request.session) <= 0:
            # The absolute lifetime is over: ended as an idle session ends (deleted, the person
            # now signed out), so the request goes on as anyone's who is not signed in.
            request.session.flush()
            request.user = AnonymousUser()
        if _signed_in(request):
            session_touch(request.session)
        response = self.get_response(request)
        # Signed out by the view (logout) or never signed in: nothing to count down.
        if _signed_in(request):
            if request.session.modified:
                session_touch(request.session, force=True)
            response.headers[HEADER] = str(session_seconds_left(request.session))
            response.headers[ENDS_HEADER] = session_end_kind(request.session)
        return response


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and hasattr(request, "session")
