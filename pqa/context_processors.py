from django.conf import settings

from pqa import registry
from pqa.sessions import lifetime_words, session_end_kind, session_seconds_left


def _active(path: str, urls: list[str]) -> str | None:
    """The entry the page belongs to: the longest menu URL the path starts with, so that
    /evaluations/mine/ is "My evaluations" and not also "Evaluations"."""
    matches = [url for url in urls if url != "/" and path.startswith(url)] or [url for url in urls if url == path]
    return max(matches, key=len) if matches else None


def navigation(request):
    """The menu, by role, as the apps registered it (pqa.registry): each person sees only what
    they may open."""
    user = getattr(request, "user", None)
    items = []
    # Someone who still owes a second factor sees no menu: nothing in it would open yet.
    pending = getattr(request, "two_factor_pending", False)
    if user is not None and user.is_authenticated and not pending:
        items = [(entry.label, entry.url) for entry in registry.menu_for(user)]
    active = _active(request.path, [url for _, url in items])
    menu = [{"label": label, "url": url, "active": url == active} for label, url in items]
    context = {"navigation": menu, "trust_name": settings.PQA_TRUST_NAME, "two_factor_pending": pending}
    if user is not None and user.is_authenticated and not pending:
        # For the idle-timeout warning (static/pqa/js/session-timeout.js).
        context["session_timeout"] = {
            "expires_in": session_seconds_left(request.session),
            "ends": session_end_kind(request.session),
            "lifetime": lifetime_words(),
            "warning": settings.PQA_SESSION_WARNING_SECONDS,
        }
    return context
