from django.conf import settings
from django.urls import reverse

from pqa import permissions


def navigation(request):
    """The menu, by role: each person sees only what they may open."""
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        items.append(("My evaluations", reverse("evaluations:mine")))
        items.append(("Evaluations", reverse("evaluations:list")))
        if permissions.can_manage_cycles(user):
            items.append(("Cycles", reverse("evaluations:cycle_list")))
            items.append(("Import", reverse("evaluations:import")))
        if permissions.can_see_reports(user):
            items.append(("Grade distribution", reverse("reporting:distribution")))
        if user.is_staff:
            items.append(("Admin", reverse("admin:index")))
    path = request.path
    menu = [
        {
            "label": label,
            "url": url,
            "active": path == url or (url != "/" and path.startswith(url) and url != reverse("evaluations:list")),
        }
        for label, url in items
    ]
    return {"navigation": menu, "trust_name": settings.PQA_TRUST_NAME}
