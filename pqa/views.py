from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db.models import Max
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator

from pqa import registry
from pqa.audit import lockout_username
from pqa.conflicts import kept_texts_of
from pqa.demo import DEMO_PASSWORD
from pqa.forms import SignInForm
from pqa.models import Role, User
from pqa.permissions import role_of
from pqa.sessions import session_end_kind, session_seconds_left


def home(request):
    """Everyone starts where their work is: the home their role's app registered."""
    return redirect(registry.home_url_for(request.user))


def your_pqa(request):
    """The home of a role no app serves yet (customer relations, until feedback comes): what
    their menu offers, and plainly that their own pages are not in PQA yet."""
    user = request.user
    offered = [entry for entry in registry.menu_for(user) if entry.url_name != registry.FALLBACK_HOME]
    role = role_of(user)
    return render(
        request,
        "pqa/your_pqa.html",
        {
            "offered": [{"label": entry.label, "url": entry.url} for entry in offered],
            "role_label": Role(role).label if role in Role.values else "",
            "own_pages_to_come": not registry.has_home(user),
        },
    )


def menu_page(request):
    """Everything this person's menu offers, under its groups: where a group of the header's
    menu leads when the page's script has not run (the header then shows groups as links)."""
    sections = [
        {
            "group": group,
            "id": registry.group_id(group) if group else "",
            "entries": [{"label": entry.label, "url": entry.url} for entry in entries],
        }
        for group, entries in registry.menu_page_for(request.user)
    ]
    return render(request, "pqa/menu.html", {"sections": sections})


def kept_texts(request):
    """What this person typed that could not be saved where they typed it (a refused version,
    or an evaluation given to someone else meanwhile): theirs alone, so nothing typed is lost."""
    return render(request, "pqa/kept_texts.html", {"kept": kept_texts_of(request.user)})


def session_ping(request):
    """Keeps the session alive and says how long it has left: the idle-timeout warning's
    "stay signed in" calls it. Also the cheapest signed-in page, the ceiling for benchmarks."""
    # IdleTimeoutMiddleware has already started the period again if it was a minute old (the
    # warning comes two minutes before the end, so it always is); no write of its own, so it
    # stays the cheapest signed-in page.
    return JsonResponse(
        {
            "ok": True,
            "expires_in": session_seconds_left(request.session),
            "ends": session_end_kind(request.session),
        }
    )


@login_not_required
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


class PQALoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.DEBUG:
            # Demo accounts are listed in debug mode only, never in production.
            context["demo_accounts"] = list(
                User.objects.filter(is_active=True, username__startswith="demo-")
                .select_related("team")
                .order_by("role", "username")
            )
            context["demo_password"] = DEMO_PASSWORD
        return context


@method_decorator(login_not_required, name="dispatch")
class PQALogoutView(auth_views.LogoutView):
    """Open to a session that has already ended: the idle-timeout script signs out when the
    time is up, and may arrive a moment after the server has ended the session itself."""


def locked_out(request, original_response=None, credentials=None):
    """The page shown after too many failed sign-ins (django-axes calls it). It says when to
    try again and never whether the account exists: unknown names are locked the same way."""
    from axes.models import AccessAttempt

    key = lockout_username(request, credentials)
    last = AccessAttempt.objects.filter(username=key).aggregate(last=Max("attempt_time"))["last"]
    try_again_at = timezone.localtime((last or timezone.now()) + settings.AXES_COOLOFF_TIME)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/locked_out.html",
        {"try_again_at": try_again_at, "minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
