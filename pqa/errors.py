"""The error pages: 400, 403 (a refused form token too), 404, 413 (too large) and 500, in the
trust's look.

Rendered from the template and the trust's name alone, never with the request's context
processors: those read the session and the signed-in person, which is the database, and a 500
is often the database being down. So these pages make no query, and the 500 page renders
whatever broke (tests/pqa/test_error_pages.py)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):g} MB"


# What a person is told when a request is refused for its size (never echoing what was sent).
def request_too_large_message() -> str:
    return (
        f"What this page sent is larger than PQA takes at once ({megabytes(settings.PQA_MAX_REQUEST_BYTES)}). "
        "Nothing was saved. Split a large spreadsheet into smaller files, and keep each answer within the "
        "limit shown under its box."
    )


def form_too_large_message() -> str:
    return (
        "The answers sent from this page are far longer than PQA keeps (more than "
        f"{megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)} of text). Nothing was saved: shorten the longest "
        "answers (each box shows its limit) and send again."
    )


TOO_MANY_FIELDS = (
    "This page sent more fields or files than any PQA form has. Nothing was saved: reload it and try again."
)


def error_page(template_name: str, status: int, **context) -> HttpResponse:
    """Render an error page with no request context (so no database) and the given status."""
    body = loader.get_template(template_name).render({"trust_name": settings.PQA_TRUST_NAME, **context})
    return HttpResponse(body, status=status)


def bad_request_page(message: str = "") -> HttpResponse:
    """A 400 page; `message` says what to put right (never echo raw input in it)."""
    return error_page("400.html", 400, message=message)


def too_large_page(message: str) -> HttpResponse:
    """A 413 page: what was sent is more than PQA takes (pqa.middleware.RequestSizeMiddleware)."""
    return error_page("413.html", 413, message=message)


# Django calls these (handler400... in pqa/urls.py). requires_csrf_token as Django's own
# handlers have it: harmless here, and it keeps a template that needs the token working.
@requires_csrf_token
def bad_request(request, exception=None):
    # A body too large for a view that reads it itself: say so (RequestSizeMiddleware catches
    # every form before this).
    if isinstance(exception, RequestDataTooBig):
        return too_large_page(form_too_large_message())
    return bad_request_page()


@requires_csrf_token
def permission_denied(request, exception=None):
    return error_page("403.html", 403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return error_page("404.html", 404)


@requires_csrf_token
def server_error(request):
    return error_page("500.html", 500)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent with a token that no longer matches (an old tab, or a
    sign-in since the page was opened). Nothing was changed; say so and how to go on."""
    return error_page("403.html", 403, csrf_failure=True)
