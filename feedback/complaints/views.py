"""The complaints pages. Views are thin: forms validate, services write, selectors read and
scope. A page someone may not use is a 404, as if it did not exist."""

from __future__ import annotations

import datetime as dt
from functools import wraps
from operator import itemgetter

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from feedback.complaints import clock, selectors, services
from feedback.complaints.filters import ComplaintFilter
from feedback.complaints.forms import (
    ComplaintEditForm,
    ComplaintForm,
    EscalateForm,
    ExtendForm,
    LearningForm,
    OmbudsmanForm,
    PanelForm,
    RespondForm,
)
from pqa import audit
from pqa.conflicts import NOT_APPLIED, RefusedVersionPage, form_values, keep_refused_version, settle_kept_version
from pqa.exports import FORMATS, Column, export_response
from pqa.versioning import ConcurrentEditError, history_of

PAGE_SIZE = 25
EXPORT_COLUMNS = (
    "reference",
    "received",
    "complainant",
    "procedure",
    "service_area",
    "team",
    "themes",
    "stage",
    "stage1_due",
    "stage1_status",
    "stage2_due",
    "stage2_status",
    "stage3_panel_due",
    "stage3_response_due",
    "stage3_status",
    "next_stage_by",
)


def _only(rule):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not rule(request.user):
                raise Http404("No such page")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


managers_only = _only(selectors.can_manage_complaints)
readers_only = _only(selectors.can_read_complaints)


def _posted(request):
    return request.POST if request.method == "POST" else None


def _refused(form, error: ValidationError, field: str) -> None:
    if hasattr(error, "error_dict"):
        for name, texts in error.message_dict.items():
            form.add_error(name if name in form.fields else field, texts)
    else:
        form.add_error(field, error.messages)


@readers_only
def complaint_list(request):
    complaints = selectors.complaints_for(request.user)
    filterset = ComplaintFilter(request.GET or None, queryset=complaints)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else complaints
    queryset = queryset.order_by("-received", "reference")
    day = selectors.today()
    export = request.GET.get("export")
    if export in FORMATS:
        filters = {name: value for name, value in request.GET.items() if name in filterset.filters and value}
        audit.event(audit.EXPORT, user=request.user.pk, what="complaints", format=export, **filters)
        listed = selectors.complaints_listed(queryset, day)
        rows = (
            [
                item.complaint.reference,
                item.complaint.received.isoformat(),
                item.complaint.complainant,
                item.complaint.procedure,
                item.complaint.service_area.name,
                item.complaint.team.name if item.complaint.team else "",
                ";".join(theme.theme for theme in item.complaint.themes.all()),
                *[item.register.row()[column] for column in EXPORT_COLUMNS[7:]],
            ]
            for item in listed
        )
        columns = [Column(name, itemgetter(index)) for index, name in enumerate(EXPORT_COLUMNS)]
        return export_response(
            filename="complaints", columns=columns, rows=rows, format=export, sheet_title="Complaints"
        )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_clock(
        page.object_list.select_related("service_area", "team").prefetch_related("stages"), day
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        "feedback/complaints/list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "can_manage": selectors.can_manage_complaints(request.user),
        },
    )


@managers_only
def complaint_home(request):
    """Customer relations' home: due in the next three working days and overdue first, then
    the other open ones by stage."""
    urgent, others = selectors.due_soon_and_overdue(selectors.complaints_for(request.user))
    return render(
        request,
        "feedback/complaints/home.html",
        {"urgent": urgent, "others": others, "today": selectors.today()},
    )


@managers_only
def complaint_create(request):
    form = ComplaintForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.complaint_record(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _refused(form, error, "reference")
        except IntegrityError:
            form.add_error("reference", "A complaint with this reference has just been recorded")
        else:
            messages.success(
                request,
                f"Complaint {complaint.reference} recorded. Stage 1 is due on "
                f"{clock.stage1_due(complaint.received):%d %B %Y}.",
            )
            return redirect("feedback:complaints:detail", pk=complaint.pk)
    return render(request, "feedback/complaints/form.html", {"form": form, "title": "Record a complaint"})


@readers_only
def complaint_detail(request, pk: int):
    complaint = selectors.complaint_for(request.user, pk)
    day = selectors.today()
    facts = services.facts_of(complaint)
    register = clock.register(facts, day)
    stages = {stage.number: stage for stage in complaint.stages.all()}
    return render(
        request,
        "feedback/complaints/detail.html",
        {
            "complaint": complaint,
            "register": register,
            "rows": [(clocked, stages.get(clocked.number)) for clocked in register.stages if clocked.started],
            "can_manage": selectors.can_manage_complaints(request.user),
            "can_escalate": clock.may_ask_next_stage(facts, day) is None and not complaint.ombudsman_referred,
            "latest": clock.latest_stage(facts),
            "today": day,
            "history": history_of(complaint),  # its stages and responses each save the complaint too
        },
    )


# The hidden field that settles a kept copy says nothing about the complaint.
EDIT_NOT_APPLIED = NOT_APPLIED | {"resolves_conflict"}


def _edit_form(complaint, data=None) -> ComplaintEditForm:
    return ComplaintEditForm(data, initial=ComplaintEditForm.initial_for(complaint))


def _edit_page(request, complaint, form, *, conflict=None, status=200):
    return render(
        request,
        "feedback/complaints/edit.html",
        {
            "form": form,
            "complaint": complaint,
            "title": f"Change complaint {complaint.reference}",
            "conflict": conflict,
        },
        status=status,
    )


@managers_only
@require_http_methods(["GET", "POST"])
def complaint_edit(request, pk: int):
    """Change what was recorded about a complaint, from the version the person opened: if someone
    saved it meanwhile, nothing is overwritten and what they typed is kept, on the page and on
    the compare page (pqa.conflicts)."""
    complaint = selectors.complaint_for_manager(request.user, pk)
    if request.method == "GET":
        return _edit_page(request, complaint, _edit_form(complaint))
    form = _edit_form(complaint, request.POST)
    if not form.is_valid():
        return _edit_page(request, complaint, form, status=400)
    try:
        services.complaint_update(actor=request.user, complaint=complaint, **form.changes())
    except ConcurrentEditError as error:
        kept = keep_refused_version(request, complaint, based_on_version=form.cleaned_data["version"], error=error)
        data = request.POST.copy()
        data["version"] = str(error.current_version)  # saving again now keeps this text
        data["resolves_conflict"] = str(kept.pk)  # ...and settles the kept copy
        form = _edit_form(complaint, data)
        form.is_valid()
        form.add_error(None, f"{error} What you typed is below.")
        complaint.refresh_from_db()
        return _edit_page(request, complaint, form, conflict=kept, status=409)
    except ValidationError as error:
        _refused(form, error, "received")
        return _edit_page(request, complaint, form, status=400)
    settle_kept_version(request, complaint, form.cleaned_data["resolves_conflict"])
    messages.success(request, f"Complaint {complaint.reference} saved.")
    return redirect("feedback:complaints:detail", pk=complaint.pk)


def _apply_kept(request, complaint, form: ComplaintEditForm) -> None:
    services.complaint_update(actor=request.user, complaint=complaint, **form.changes())


CONFLICTS = RefusedVersionPage(
    build=_edit_form,
    sections=lambda form: {"complaint": ("", form_values(form, EDIT_NOT_APPLIED))},
    errors=lambda form: [message for messages in form.errors.values() for message in messages],
    apply=_apply_kept,
    form_url=lambda complaint: reverse("feedback:complaints:edit", args=[complaint.pk]),
    not_applied=EDIT_NOT_APPLIED,
    context=lambda complaint: {
        "title": f"complaint {complaint.reference}",
        "caption": f"Complaint {complaint.reference}",
    },
)


@managers_only
@require_http_methods(["GET", "POST"])
def complaint_conflicts(request, pk: int):
    """This person's refused version of a complaint beside the saved one: use theirs, or keep
    the saved one."""
    return CONFLICTS.view(request, selectors.complaint_for_manager(request.user, pk))


def _step(request, pk: int, form, template_title: str, act, success: str, field: str):
    complaint = selectors.complaint_for_manager(request.user, pk)
    if request.method == "POST" and form.is_valid():
        try:
            act(complaint, form.cleaned_data)
        except ValidationError as error:
            _refused(form, error, field)
        except ConcurrentEditError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, success)
            return redirect("feedback:complaints:detail", pk=complaint.pk)
    return render(
        request,
        "feedback/complaints/form.html",
        {"form": form, "title": f"{template_title}: {complaint.reference}", "complaint": complaint},
    )


@managers_only
def complaint_extend(request, pk: int, stage: int):
    if stage not in (1, 2):
        raise Http404("No such stage")
    form = ExtendForm(_posted(request), stage=stage)
    return _step(
        request,
        pk,
        form,
        f"Extend Stage {stage}",
        lambda complaint, data: services.complaint_stage_extend(
            actor=request.user, complaint=complaint, stage=stage, reason=data["reason"]
        ),
        f"Stage {stage} extended.",
        "reason",
    )


@managers_only
def complaint_respond(request, pk: int, stage: int):
    if stage not in (1, 2, 3):
        raise Http404("No such stage")
    return _step(
        request,
        pk,
        RespondForm(_posted(request)),
        f"Record the Stage {stage} response",
        lambda complaint, data: services.complaint_respond(
            actor=request.user, complaint=complaint, stage=stage, responded=data["responded"], outcome=data["outcome"]
        ),
        f"Stage {stage} response recorded.",
        "responded",
    )


@managers_only
def complaint_escalate(request, pk: int):
    complaint = selectors.complaint_for_manager(request.user, pk)
    following = clock.latest_stage(services.facts_of(complaint)) + 1
    if following > 3:
        raise Http404("No further stage")
    return _step(
        request,
        pk,
        EscalateForm(_posted(request), submit=f"Open Stage {following}"),
        f"Escalate to Stage {following}",
        lambda complaint, data: services.complaint_escalate(
            actor=request.user, complaint=complaint, requested=data["requested"]
        ),
        f"Stage {following} opened.",
        "requested",
    )


@managers_only
def complaint_panel(request, pk: int):
    complaint = selectors.complaint_for_manager(request.user, pk)
    stage3 = next((stage for stage in complaint.stages.all() if stage.number == 3), None)
    if stage3 is None:
        raise Http404("Stage 3 has not started")
    initial = {"panel": stage3.panel, "report": stage3.report}
    form = PanelForm(_posted(request), initial=initial)
    return _step(
        request,
        pk,
        form,
        "Stage 3 review panel",
        lambda complaint, data: services.complaint_stage3_panel(
            actor=request.user, complaint=complaint, panel=data["panel"], report=data["report"]
        ),
        "Stage 3 panel saved.",
        "panel",
    )


def _ombudsman(actor, complaint, data: dict) -> None:
    if complaint.ombudsman_referred is None:
        complaint = services.complaint_ombudsman_refer(actor=actor, complaint=complaint, referred=data["referred"])
    elif data["referred"] != complaint.ombudsman_referred:
        raise ValidationError({"referred": "The referral date is recorded already."})
    if data.get("decided") and complaint.ombudsman_decided is None:
        complaint = services.complaint_ombudsman_decide(
            actor=actor, complaint=complaint, decided=data["decided"], decision=data["decision"], remedy=data["remedy"]
        )
    if data.get("complied") and complaint.ombudsman_complied is None:
        services.complaint_ombudsman_comply(actor=actor, complaint=complaint, complied=data["complied"])


@managers_only
def complaint_ombudsman(request, pk: int):
    complaint = selectors.complaint_for_manager(request.user, pk)
    initial = {
        "referred": complaint.ombudsman_referred,
        "decided": complaint.ombudsman_decided,
        "decision": complaint.ombudsman_decision,
        "remedy": complaint.ombudsman_remedy,
        "complied": complaint.ombudsman_complied,
    }
    return _step(
        request,
        pk,
        OmbudsmanForm(_posted(request), initial=initial),
        "The Ombudsman",
        lambda complaint, data: _ombudsman(request.user, complaint, data),
        "The Ombudsman's part saved.",
        "referred",
    )


@managers_only
def complaint_learning(request, pk: int):
    complaint = selectors.complaint_for_manager(request.user, pk)
    initial = {"version": complaint.version, "learning": complaint.learning, "actions_taken": complaint.actions_taken}
    return _step(
        request,
        pk,
        LearningForm(_posted(request), initial=initial),
        "Learning and actions",
        lambda complaint, data: services.complaint_add_learning(
            actor=request.user,
            complaint=complaint,
            learning=data["learning"],
            actions_taken=data["actions_taken"],
            version=data["version"],
        ),
        "Learning saved.",
        "learning",
    )


@managers_only
@require_GET
def complaint_register_json(request):
    """The register as it stood on `as_of` (default today), as the contract's rows in JSON."""
    text = request.GET.get("as_of", "")
    try:
        day = dt.date.fromisoformat(text) if text else selectors.today()
    except ValueError:
        return JsonResponse({"error": "as_of must be a date written YYYY-MM-DD"}, status=400)
    return JsonResponse({"as_of": day.isoformat(), "complaints": selectors.register_rows(day)})
