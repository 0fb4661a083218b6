"""Refused versions, for any app's versioned record (docs/decisions/0003-optimistic-locking.md):
when a save is refused because someone saved first (pqa.versioning.ConcurrentEditError), what
the person sent is kept; they compare it with the saved version, then apply theirs through
the record's own save service or keep the saved one.

An app brings what only it knows, through `RefusedVersionPage`: how to build its forms from a
record and posted data, the parts of the page to compare, and the service that applies a
version. Everything else is here: keeping what was posted, settling the kept copy when the
form is saved again, the differences between two sets of forms, and the compare page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.formats import date_format

from pqa.models import EditConflict
from pqa.services import EditConflictError, edit_conflict_keep, edit_conflict_resolve
from pqa.versioning import ConcurrentEditError, last_saved

# Never kept with a refused version: the form's CSRF token is a secret of the session.
NOT_KEPT = frozenset({"csrfmiddlewaretoken"})
# What a refused version is re-applied with (the version it is applied on top of, the button
# pressed), not what it says.
NOT_APPLIED = frozenset({"version", "submit", "save"})

# Parts of a page, keyed alike on both sides, in the order of the page: key -> (label prefix,
# {field name: (form field, value)}).
Sections = Mapping[str, tuple[str, Mapping[str, tuple[django_forms.Field, object]]]]


def keep_refused_version(
    request, instance: models.Model, *, based_on_version: int, error: ConcurrentEditError
) -> EditConflict:
    """Keep what the person sent, as posted (a dict of lists), so it outlives the page."""
    data = {key: request.POST.getlist(key) for key in request.POST if key not in NOT_KEPT}
    return edit_conflict_keep(
        user=request.user,
        instance=instance,
        based_on_version=based_on_version,
        data=data,
        winning_version=error.current_version,
    )


def keep_text_of_former_editor(request, instance: models.Model) -> EditConflict:
    """Keep what someone sent to a record that is no longer theirs to edit (an evaluation given
    to another evaluator while they typed). Kept like a refused version, so it is theirs to read
    on their kept-texts page; the record itself stays out of their reach."""
    posted = request.POST.get("version", "")
    # The posted version only names the kept copy (one per starting point); a tampered one
    # falls back to the record's own.
    version = int(posted) if posted.isascii() and posted.isdigit() and 0 < int(posted) < 2**31 else instance.version
    data = {key: request.POST.getlist(key) for key in request.POST if key not in NOT_KEPT}
    return edit_conflict_keep(
        user=request.user, instance=instance, based_on_version=version, data=data, winning_version=instance.version
    )


def kept_texts_of(user) -> list[dict]:
    """This person's kept versions not yet settled, newest first, each as the words they typed
    (the values that are text, by field), for their kept-texts page: nothing of the record but
    its kind and number."""
    kept = []
    conflicts = EditConflict.objects.filter(user=user, resolved_at__isnull=True).select_related("content_type")
    for conflict in conflicts[:50]:
        words = [
            (name.replace("-", " ").replace("_", " ").capitalize(), value)
            for name, values in conflict.data.items()
            if name not in NOT_APPLIED | {"editor_token", "resolves_conflict"}
            for value in (values if isinstance(values, list) else [values])
            if isinstance(value, str) and len(value.strip()) > 1 and not value.strip().isdigit()
        ]
        kept.append({"conflict": conflict, "kind": conflict.content_type.name, "words": words})
    return kept


def unresolved_conflicts(user, instance: models.Model) -> list[EditConflict]:
    return list(EditConflict.objects.unresolved_for(user=user, instance=instance))


def settle_kept_version(request, instance: models.Model, conflict_id: str) -> None:
    """After a refused save the form shows the person's version again; saving that page is
    choosing their version, so the copy kept of it is resolved as applied."""
    if not conflict_id.isdigit():
        return
    for conflict in unresolved_conflicts(request.user, instance):
        if conflict.pk == int(conflict_id):
            edit_conflict_resolve(conflict=conflict, user=request.user, resolution=EditConflict.Resolution.APPLIED)


@dataclass(frozen=True)
class Difference:
    label: str
    mine: str
    saved: str


def _value(bound_field):
    # The same cleaning for both sides, so a date typed as text equals the date saved.
    raw = bound_field.value()
    field = bound_field.field
    try:
        # A date input's day, month and year are made one date only by cleaning.
        return field.clean(raw) if isinstance(field, django_forms.MultiValueField) else field.to_python(raw)
    except ValidationError:
        return raw


def _display(form_field: django_forms.Field, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date):
        return date_format(value, "j F Y")
    if isinstance(value, list | tuple):
        # A multiple choice (checkboxes): its labels in the order of the choices, so the same
        # ticks read the same whichever order they came in.
        order = [str(key) for key, _ in getattr(form_field, "choices", None) or []]
        ranked = sorted(value, key=lambda item: order.index(str(item)) if str(item) in order else len(order))
        return ", ".join(_display(form_field, item) for item in ranked)
    choices = {str(key): label for key, label in getattr(form_field, "choices", None) or []}
    return str(choices.get(str(value), value))


def form_values(form: django_forms.Form, not_applied=NOT_APPLIED) -> dict[str, tuple[django_forms.Field, object]]:
    """A form's fields and their values as they would be saved, for `differences`. Not validated:
    validating a model form writes its data onto the instance both sides share."""
    return {name: (form.fields[name], _value(form[name])) for name in form.fields if name not in not_applied}


def differences(mine: Sections, saved: Sections) -> list[Difference]:
    """The fields whose values differ between the refused version and the saved one, in the
    order of the saved page, then any part only the refused version has."""
    found = []
    for key in [*saved, *(key for key in mine if key not in saved)]:
        prefix = (saved.get(key) or mine[key])[0]
        saved_values = saved.get(key, ("", {}))[1]
        mine_values = mine.get(key, ("", {}))[1]
        for name in {**saved_values, **mine_values}:
            form_field, mine_value = mine_values.get(name, (None, None))
            saved_field, saved_value = saved_values.get(name, (None, None))
            form_field = form_field or saved_field
            shown_mine, shown_saved = _display(form_field, mine_value), _display(form_field, saved_value)
            if shown_mine != shown_saved:
                found.append(Difference(f"{prefix}{form_field.label}", shown_mine, shown_saved))
    return found


def refused_data(conflict: EditConflict, version: int, not_applied=NOT_APPLIED) -> QueryDict:
    """The kept version as posted data again, to be applied on top of `version`."""
    data = QueryDict(mutable=True)
    for key, values in (conflict.data or {}).items():
        if key not in not_applied:
            data.setlist(key, [str(value) for value in (values if isinstance(values, list) else [values])])
    data["version"] = str(version)
    return data


def _everything_applies(instance) -> bool:
    return True


def _no_context(instance) -> dict:
    return {}


@dataclass(frozen=True)
class RefusedVersionPage:
    """The page where a person compares their refused version of a record with the saved one,
    then uses theirs or keeps the saved one. The app's view finds the record (and refuses
    anyone who may not edit it), then calls `view(request, record)`.

    - `build(record, data)`: the app's forms for the record, bound to `data` (None: as saved).
      The result must have `is_valid()`; its data carries the version in a `version` field.
    - `sections(forms)`: the parts of the page to compare (see `Sections`; `form_values` helps).
    - `errors(forms)`: the messages of invalid forms, to say why a version cannot be applied.
    - `apply(request, record, forms)`: saves valid forms through the record's save service,
      which checks the version and validates the model.
    - `form_url(record)`: where the person edits the record.
    - `can_apply(record)`: False once the record can no longer be changed (then only "keep the
      saved version" is offered); `cannot_apply` says why.
    - `refusals`: the app's workflow errors, shown as a message like a refused version.
    """

    build: Callable
    sections: Callable[[object], Sections]
    errors: Callable[[object], list[str]]
    apply: Callable
    form_url: Callable[[models.Model], str]
    can_apply: Callable[[models.Model], bool] = _everything_applies
    cannot_apply: str = "It can no longer be changed, so your version can no longer be applied."
    refusals: tuple[type[Exception], ...] = ()
    not_applied: frozenset = NOT_APPLIED
    context: Callable[[models.Model], dict] = _no_context
    template: str = "pqa/conflict.html"

    def view(self, request, record: models.Model) -> HttpResponse:
        source = request.POST if request.method == "POST" else request.GET
        conflict = self._chosen_conflict(request, record, source.get("conflict"))
        if conflict is None:
            if request.method == "POST":
                messages.info(request, "There is no version waiting to be compared.")
                return redirect(self.form_url(record))
            return render(request, self.template, self._context(record, conflict=None))
        if request.method == "POST":
            return self._resolve(request, record, conflict)

        mine = self.build(record, refused_data(conflict, record.version, self.not_applied))
        saved = self.build(record, None)
        last = last_saved(record)
        return render(
            request,
            self.template,
            self._context(
                record,
                conflict=conflict,
                differences=differences(self.sections(mine), self.sections(saved)),
                others=EditConflict.objects.unresolved_for(user=request.user, instance=record)
                .exclude(pk=conflict.pk)
                .count(),
                saved_by=last.history_user if last else None,
                saved_by_you=bool(last) and last.history_user_id == request.user.pk,
                saved_at=last.history_date if last else None,
            ),
        )

    def _context(self, record, **values) -> dict:
        noun = record._meta.verbose_name
        return {
            "record": record,
            "noun": noun,
            "title": f"{noun} {record}",
            "caption": str(record),
            "back_url": self.form_url(record),
            "can_apply": self.can_apply(record),
            "cannot_apply": self.cannot_apply,
            **self.context(record),
            **values,
        }

    def _chosen_conflict(self, request, record, conflict_id: str | None) -> EditConflict | None:
        conflicts = EditConflict.objects.unresolved_for(user=request.user, instance=record)
        if not conflict_id:
            return conflicts.first()
        if not conflict_id.isdigit():
            raise Http404("No such version")
        conflict = conflicts.filter(pk=int(conflict_id)).first()
        if conflict is None:
            raise Http404("No such version")
        return conflict

    def _resolve(self, request, record, conflict: EditConflict) -> HttpResponse:
        choice = request.POST.get("choice")
        if choice == "saved":
            try:
                edit_conflict_resolve(
                    conflict=conflict, user=request.user, resolution=EditConflict.Resolution.DISCARDED
                )
            except EditConflictError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, "The saved version has been kept. Your other version has been set aside.")
            return redirect(self.form_url(record))
        if choice != "mine":
            messages.error(request, "Choose whether to use your version or keep the saved version.")
            return redirect(request.path)

        version = request.POST.get("version", "")
        forms = self.build(record, refused_data(conflict, int(version) if version.isdigit() else 0, self.not_applied))
        if not forms.is_valid():
            return self._not_applied(request, self.errors(forms))
        try:
            with transaction.atomic():
                self.apply(request, record, forms)
                edit_conflict_resolve(conflict=conflict, user=request.user, resolution=EditConflict.Resolution.APPLIED)
        except ConcurrentEditError:
            # Saved again while this page was open: compare with that version instead.
            messages.error(
                request,
                f"The {record._meta.verbose_name} was saved again while you were comparing, so your version was "
                "not applied. Compare it with the version saved now.",
            )
            return redirect(f"{request.path}?conflict={conflict.pk}")
        except ValidationError as error:
            # The save service validates the model: what it refuses is never written.
            return self._not_applied(request, error.messages)
        except (EditConflictError, *self.refusals) as error:
            messages.error(request, str(error))
            return redirect(request.path)
        messages.success(request, "Your version has been saved.")
        return redirect(self.form_url(record))

    @staticmethod
    def _not_applied(request, problems: list[str]) -> HttpResponse:
        listed = f" ({'; '.join(problems)})" if problems else ""
        messages.error(request, f"Your version could not be applied{listed}: open the form and type the changes again.")
        return redirect(request.path)
