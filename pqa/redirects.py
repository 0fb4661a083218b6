"""Where a form may send a person back to (`next`): one rule for every view that takes one."""

from django.utils.http import url_has_allowed_host_and_scheme


def local_url(request, candidate: str | None) -> str | None:
    """`candidate` if it is a path on this site (`/…`, not `//host`), else None. A bare word is
    refused too: `redirect("0")` would take it for a view's name and fail with a 500."""
    candidate = candidate or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None
