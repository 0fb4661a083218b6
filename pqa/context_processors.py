from django.conf import settings

from pqa import registry
from pqa.sessions import lifetime_words, session_end_kind, session_seconds_left


def _as_dict(item: registry.MenuItem) -> dict:
    return {
        "label": item.label,
        "url": item.url,
        "active": item.active,
        "entries": [_as_dict(entry) for entry in item.entries],
        "id": item.id,
    }


def navigation(request):
    """The menu, by role, as the apps registered it (pqa.registry): each person sees only what
    they may open, a long menu folded into its groups (`registry.navigation_for`). Each item is
    {label, url, active, entries, id}: an item with entries is a group, which opens them."""
    user = getattr(request, "user", None)
    menu = []
    # Someone who still owes a second factor sees no menu: nothing in it would open yet.
    pending = getattr(request, "two_factor_pending", False)
    if user is not None and user.is_authenticated and not pending:
        menu = [_as_dict(item) for item in registry.navigation_for(user, request.path)]
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
