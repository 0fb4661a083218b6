"""Pages for compliments, child and family feedback responses and advocacy referrals: lists
with filters and exports, detail pages, entry forms, the shareable extracts and the import.
Thin: reads through selectors (scoped; a foreign id is a 404), writes through services."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from feedback.complaints import import_jobs as complaint_import_jobs
from feedback.complaints import imports as complaint_imports
from feedback.models import STANDARD_QUESTIONS
from feedback.voice import filters, forms, import_jobs, imports, selectors, services
from feedback.voice.permissions import can_list_voice, can_record_voice
from pqa import audit, jobs
from pqa.conflicts import NOT_APPLIED, RefusedVersionPage, form_values, keep_refused_version, settle_kept_version
from pqa.exports import FORMATS, Column, export_response
from pqa.versioning import ConcurrentEditError, history_of

PAGE_SIZE = 25


def _display(field: str):
    return lambda record: getattr(record, f"get_{field}_display")()


def _team(record):
    return record.team.name if record.team_id else ""


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    singular: str
    selector: object
    get: object
    filter: type
    form: type
    record: object
    order: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def url_name(self) -> str:
        return f"feedback:{self.name}"

    @property
    def new_url_name(self) -> str:
        return f"feedback:{self.singular}_new"

    @property
    def detail_url_name(self) -> str:
        return f"feedback:{self.singular}_detail"

    @property
    def change_url_name(self) -> str:
        return f"feedback:{self.singular}_change"

    @property
    def conflicts_url_name(self) -> str:
        return f"feedback:{self.singular}_conflicts"


COMMON = (Column("reference", lambda r: r.reference),)
KINDS = {
    "compliments": Kind(
        "compliments",
        "Compliments",
        "compliment",
        selectors.compliments_for,
        selectors.compliment_get_for_user,
        filters.ComplimentFilter,
        forms.ComplimentForm,
        services.compliment_record,
        ("-received", "reference"),
        (
            *COMMON,
            Column("received", lambda r: r.received.isoformat()),
            Column("from", lambda r: r.from_whom),
            Column("service_area", lambda r: r.service_area.name),
            Column("team", _team),
            Column("staff_named", lambda r: r.staff_named),
            Column("themes", lambda r: r.themes),
            Column("extract", lambda r: r.extract),
            Column("may_share", lambda r: r.may_share),
        ),
    ),
    "responses": Kind(
        "responses",
        "Child and family feedback",
        "response",
        selectors.responses_for,
        selectors.response_get_for_user,
        filters.ResponseFilter,
        forms.ResponseForm,
        services.feedback_response_record,
        ("-date", "reference"),
        (
            *COMMON,
            Column("date", lambda r: r.date.isoformat()),
            Column("source", lambda r: r.source),
            Column("respondent", lambda r: r.respondent),
            Column("age_band", lambda r: r.age_band),
            Column("service_area", lambda r: r.service_area.name),
            Column("team", _team),
            *(Column(name, lambda r, name=name: getattr(r, name)) for name, _ in STANDARD_QUESTIONS),
            Column("rating", lambda r: r.rating),
            Column("comment", lambda r: r.comment),
            Column("may_quote", lambda r: r.may_quote),
        ),
    ),
    "advocacy": Kind(
        "advocacy",
        "Advocacy referrals",
        "referral",
        selectors.referrals_for,
        selectors.referral_get_for_user,
        filters.ReferralFilter,
        forms.ReferralForm,
        services.advocacy_referral_record,
        ("-date", "reference"),
        (
            *COMMON,
            Column("date", lambda r: r.date.isoformat()),
            Column("source", lambda r: r.source),
            Column("service_area", lambda r: r.service_area.name),
        ),
    ),
}


def _kind(user, name: str, *, record: bool = False) -> Kind:
    allowed = can_record_voice(user) if record else can_list_voice(user)
    if not allowed or name not in KINDS:
        raise Http404("No such page")
    return KINDS[name]


def voice_list(request, kind: str):
    """A list with filters; `?format=csv` or `xlsx` downloads exactly the rows the filters show."""
    spec = _kind(request.user, kind)
    records = spec.selector(request.user)
    filterset = spec.filter(request.GET or None, queryset=records)
    queryset = (filterset.qs if filterset.is_bound and filterset.is_valid() else records).order_by(*spec.order)
    export = request.GET.get("format", "")
    if export in FORMATS:
        audit.event(audit.EXPORT, user=request.user.pk, what=f"feedback {kind}", format=export)
        return export_response(rows=queryset, columns=list(spec.columns), filename=f"feedback-{kind}", format=export)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "feedback/voice/list.html",
        {
            "kind": spec,
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "can_record": can_record_voice(request.user),
        },
    )


def voice_detail(request, kind: str, pk: int):
    spec = _kind(request.user, kind)
    record = spec.get(user=request.user, pk=pk)
    answers = (
        [(label, getattr(record, f"get_{name}_display")()) for name, label in STANDARD_QUESTIONS]
        if kind == "responses"
        else []
    )
    context = {
        "kind": spec,
        "record": record,
        "answers": answers,
        "can_change": can_record_voice(request.user),
        "change_url_name": spec.change_url_name,
        "history": history_of(record),
    }
    return render(request, "feedback/voice/detail.html", context)


def voice_record(request, kind: str):
    spec = _kind(request.user, kind, record=True)
    form = spec.form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record = spec.record(actor=request.user, **form.cleaned_data)
        return redirect(spec.detail_url_name, pk=record.pk)
    return render(request, "feedback/voice/form.html", {"kind": spec, "form": form})


# Each kind's change page: its form and its update service (which checks the version).
CHANGES = {
    "compliments": (forms.ComplimentChangeForm, services.compliment_update),
    "responses": (forms.ResponseChangeForm, services.feedback_response_update),
    "advocacy": (forms.ReferralChangeForm, services.advocacy_referral_update),
}
# The hidden field that settles a kept copy says nothing about the record.
CHANGE_NOT_APPLIED = NOT_APPLIED | {"resolves_conflict"}


def _save_change(request, kind: str, record, form) -> None:
    """Save a valid change form through the kind's update service, from the version it carries
    (ConcurrentEditError when someone saved the record since)."""
    update = CHANGES[kind][1]
    update(
        actor=request.user,
        expected_version=form.cleaned_data["version"],
        **{KINDS[kind].singular: record},
        **form.changes(),
    )


def _change_page(request, spec: Kind, form, *, conflict=None, status=200):
    context = {"kind": spec, "form": form, "change": True, "conflict": conflict}
    return render(request, "feedback/voice/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def voice_change(request, kind: str, pk: int):
    """Change a compliment, response or referral from the version the person opened: if someone
    else saved it meanwhile, nothing is overwritten, and what they typed stays in the form
    (kept too, to compare on the compare page, `voice_conflicts`); saving again puts theirs over
    the saved one and settles the kept copy."""
    spec = _kind(request.user, kind, record=True)
    record = spec.get(user=request.user, pk=pk)
    form_class = CHANGES[kind][0]
    form = form_class(request.POST or None, instance=record)
    if request.method == "GET":
        return _change_page(request, spec, form)
    if not form.is_valid():
        return _change_page(request, spec, form, status=400)
    try:
        _save_change(request, kind, record, form)
    except ConcurrentEditError as error:
        kept = keep_refused_version(request, record, based_on_version=form.cleaned_data["version"] or 0, error=error)
        data = request.POST.copy()
        data["version"] = str(error.current_version)  # saving again now keeps what was typed
        data["resolves_conflict"] = str(kept.pk)  # ...and settles the kept copy
        form = form_class(data, instance=spec.get(user=request.user, pk=pk))
        form.is_valid()
        form.add_error(None, f"{error} What you typed is below: save again to keep it.")
        return _change_page(request, spec, form, conflict=kept, status=409)
    settle_kept_version(request, record, form.cleaned_data["resolves_conflict"])
    messages.success(request, f"{spec.singular.capitalize()} {record.reference} saved.")
    return redirect(spec.detail_url_name, pk=record.pk)


def _refused_version_page(kind: str) -> RefusedVersionPage:
    """The compare page of one kind, from its change form and update service (CHANGES)."""
    spec, form_class = KINDS[kind], CHANGES[kind][0]
    return RefusedVersionPage(
        build=lambda record, data: form_class(data, instance=record),
        sections=lambda form: {spec.singular: ("", form_values(form, CHANGE_NOT_APPLIED))},
        errors=lambda form: [problem for problems in form.errors.values() for problem in problems],
        apply=lambda request, record, form: _save_change(request, kind, record, form),
        form_url=lambda record: reverse(spec.change_url_name, args=[record.pk]),
        not_applied=CHANGE_NOT_APPLIED,
        context=lambda record: {
            "title": f"{spec.singular} {record.reference}",
            "caption": f"{spec.singular.capitalize()} {record.reference}",
        },
    )


CONFLICTS = {kind: _refused_version_page(kind) for kind in CHANGES}


@require_http_methods(["GET", "POST"])
def voice_conflicts(request, kind: str, pk: int):
    """This person's refused version of a compliment, response or referral beside the saved one:
    use theirs (saved through the kind's update service), or keep the saved one. Only for those
    who may change the record; anyone else finds no page, as on the change page."""
    spec = _kind(request.user, kind, record=True)
    return CONFLICTS[kind].view(request, spec.get(user=request.user, pk=pk))


def shareable_extracts(request):
    """The redacted compliments that may be quoted in reports: the extract and where it came
    from, nothing else."""
    if not can_list_voice(request.user):
        raise Http404("No such page")
    extracts = selectors.shareable_extracts(request.user).order_by("-received", "reference")
    page = Paginator(extracts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "feedback/voice/extracts.html", {"page": page, "query": ""})


def import_feedback(request):
    """Upload compliments, responses or advocacy referrals; checked (and imported) in the
    background, with the job's progress page."""
    if not can_record_voice(request.user):
        raise Http404("No such page")
    form = forms.FeedbackImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = jobs.import_job_start(
            importer=complaint_import_jobs.IMPORTER
            if data["kind"] == "complaints"
            else import_jobs.IMPORTERS[data["kind"]],
            user=request.user,
            file=data["file"],
            options={"create_missing": data["create_missing"]},
            dry_run=data["check_only"],
        )
        return redirect(jobs.import_job_url(job))
    guides = [("complaints", ",".join(complaint_imports.COLUMNS))]
    guides += [(name, ",".join(kind.names)) for name, kind in imports.KINDS.items()]
    return render(request, "feedback/voice/import.html", {"form": form, "guides": guides})
