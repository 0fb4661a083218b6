from django.conf import settings
from django.urls import reverse

from pqa import permissions
from pqa.sessions import session_seconds_left


def navigation(request):
    """The menu, by role: each person sees only what they may open."""
    user = getattr(request, "user", None)
    items = []
    # Someone who still owes a second factor sees no menu: nothing in it would open yet.
    pending = getattr(request, "two_factor_pending", False)
    if user is not None and user.is_authenticated and not pending:
        items.append(("My evaluations", reverse("evaluations:mine")))
        items.append(("Evaluations", reverse("evaluations:list")))
        if permissions.can_manage_cycles(user):
            items.append(("Cycles", reverse("evaluations:cycle_list")))
            items.append(("Import", reverse("evaluations:import")))
        if permissions.can_see_reports(user):
            items.append(("Grade distribution", reverse("reporting:distribution")))
        if user.is_staff:
            items.append(("Admin", reverse("admin:index")))
        items.append(("Two-factor authentication", reverse("two_factor_setup")))
    path = request.path
    menu = [
        {
            "label": label,
            "url": url,
            "active": path == url or (url != "/" and path.startswith(url) and url != reverse("evaluations:list")),
        }
        for label, url in items
    ]
    context = {"navigation": menu, "trust_name": settings.PQA_TRUST_NAME, "two_factor_pending": pending}
    if user is not None and user.is_authenticated and not pending:
        # For the idle-timeout warning (static/pqa/js/session-timeout.js).
        context["session_timeout"] = {
            "expires_in": session_seconds_left(request.session),
            "warning": settings.PQA_SESSION_WARNING_SECONDS,
        }
    return context
