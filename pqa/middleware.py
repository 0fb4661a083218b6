"""Middleware of the PQA core: the second factor where it is required, and the audit of
denied access."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from pqa import audit, registry
from pqa.errors import (
    TOO_MANY_FIELDS,
    bad_request_page,
    form_too_large_message,
    request_too_large_message,
    too_large_page,
)
from pqa.two_factor import two_factor_required
from pqa.validators import request_control_character_problem

# The only pages a person who owes a second factor may open: to sign in or out, to give or
# set up the code or to give a recovery code instead, and the health check (it shows
# nothing). Static files are served before any of this (WhiteNoise).
TWO_FACTOR_EXEMPT = frozenset({"login", "logout", "healthz", "two_factor", "two_factor_setup", "two_factor_recovery"})


def _view_name(request) -> str:
    return request.resolver_match.view_name if request.resolver_match else ""


def _wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" or (
        "application/json" in accept and "text/html" not in accept
    )


class TwoFactorRequiredMiddleware:
    """After django-otp's OTPMiddleware: a signed-in person whose role requires a second factor
    (or who chose one) and whose session is not yet verified reaches nothing but the exempt
    pages, the Django admin included. Checked in process_view, so it covers every URL that
    resolves, whatever view it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified() or not two_factor_required(user):
            return None
        request.two_factor_pending = True
        name = _view_name(request)
        if registry.is_token_endpoint(name):
            return None  # the session opens nothing there: the view asks for its own token
        if name in TWO_FACTOR_EXEMPT or request.path_info.startswith(settings.STATIC_URL):
            return None
        # Endpoints called by scripts (registered by their apps) get a 403 with JSON, which a
        # script can read, instead of a redirect to a page.
        if registry.is_json_endpoint(name) or _wants_json(request):
            return JsonResponse(
                {"error": "Two-factor authentication is needed: enter a code from your authenticator app."},
                status=403,
            )
        return redirect_to_login(request.get_full_path(), reverse("two_factor"))


class DeniedAccessAuditMiddleware:
    """Logs every 403 and 404 given to a signed-in person: who (user id), the method and the
    URL's name. Never the path's query string, which can carry search terms."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (403, 404):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                match = getattr(request, "resolver_match", None)
                audit.event(
                    audit.ACCESS_DENIED,
                    user=user.pk,
                    status=response.status_code,
                    method=request.method,
                    url=match.view_name if match else "unresolved",
                )
        return response


class ControlCharacterMiddleware:
    """A control character (a NUL above all, which PostgreSQL cannot store) in any query or
    form parameter of any page is refused here with a 400 that names the field, before a view
    can pass it to the database (pqa.validators). Scripts get the message as JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        name = _view_name(request)
        if registry.is_token_endpoint(name):
            return None  # its token first (a 401 and nothing else without one); it checks its own input
        message = request_control_character_problem(request)
        if message is None:
            return None
        if registry.is_json_endpoint(name) or _wants_json(request):
            return JsonResponse({"error": message}, status=400)
        return bad_request_page(message)


class ResponseHeadersMiddleware:
    """On every answer Django gives (static files are WhiteNoise's, before this):
    - no caching: pages show children's records, and a browser's or proxy's cache would keep
      them (and the two-factor secret) after sign-out. Decided without asking who is signed in,
      so it costs no session read and holds on the error pages made without the database;
    - a Permissions-Policy turning off the browser features PQA never uses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        response.headers.setdefault("Permissions-Policy", settings.PQA_PERMISSIONS_POLICY)
        return response


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # as Django reads it: no body


def request_size_problem(request) -> tuple[int, str] | None:
    """(status, message) when the request carries more than PQA takes, else None: a body over
    PQA_MAX_REQUEST_BYTES (by its Content-Length, before any of it is read); form fields over
    DATA_UPLOAD_MAX_MEMORY_SIZE, or more fields or files than DATA_UPLOAD_MAX_NUMBER_FIELDS and
    _FILES (found by parsing the form, which every view would do next)."""
    if _content_length(request) > settings.PQA_MAX_REQUEST_BYTES:
        return 413, request_too_large_message()
    if request.method != "POST":
        return None
    try:
        request.POST  # noqa: B018 - parsed here, once, with Django's limits
        request.FILES  # noqa: B018
    except RequestDataTooBig:
        return 413, form_too_large_message()
    except (TooManyFieldsSent, TooManyFilesSent):
        return 400, TOO_MANY_FIELDS
    return None


class RequestSizeMiddleware:
    """A request larger than PQA takes (settings: PQA_MAX_REQUEST_BYTES and DATA_UPLOAD_*) is
    refused before any view or other middleware reads it: the trust's 413 page (400 for too
    many fields), or the message as JSON for scripts (the autosave shows it, and keeps the
    text on the page). Django alone would answer a bare 400, or read a huge upload to disk."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        name = _view_name(request)
        if registry.is_token_endpoint(name):
            return None  # its token first; it reads no body
        problem = request_size_problem(request)
        if problem is None:
            return None
        status, message = problem
        if registry.is_json_endpoint(name) or _wants_json(request):
            return JsonResponse({"error": message}, status=status)
        return too_large_page(message) if status == 413 else bad_request_page(message)
