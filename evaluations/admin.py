"""Django admin for practice evaluations: the administrators' view of every record and its
history. Where a workflow exists the admin uses the same service as the app: allocating an
evaluation, closing a cycle and recording a moderation all go through `services`; status
and version are never typed here.

Evaluations, moderations and recommendations carry a `version` (optimistic locking, as the
web forms do): each change form, and each inline that edits one, posts back the version it
was opened with, and a save made from an older one is refused rather than overwriting."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone

from evaluations import services
from evaluations.models import (
    Cycle,
    Evaluation,
    EvaluationFeedback,
    Moderation,
    PillarGrade,
    Recommendation,
)
from pqa.admin import HistoryAdmin

# --- Lost updates -------------------------------------------------------------------------


class VersionedForm(forms.ModelForm):
    """Carries the version the page was opened with, and refuses the save if the row has
    moved on since (another administrator, or an evaluator's autosave). Adding needs none."""

    based_on_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("based_on_version", self.instance.version)

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk:
            # A fresh read: self.instance was loaded for this request, after the page was opened.
            rows = type(self.instance)._default_manager.filter(pk=self.instance.pk)
            current = rows.values_list("version", flat=True).first()
            if current is not None and cleaned_data.get("based_on_version") != current:
                raise forms.ValidationError(_conflict_message(self.instance, current), code="conflict")
        return cleaned_data


def _conflict_message(instance, current_version: int) -> str:
    return (
        f"Someone else changed this {instance._meta.verbose_name} after you opened it (it is now version "
        f"{current_version}). Your changes have not been saved: open it again to see theirs, then make your "
        "changes again."
    )


def _take_next_version(obj, based_on_version) -> None:
    """Lock the row and give `obj` the next version, unless it changed since `based_on_version`
    (a save that slipped in after the form's check): then raise, and nothing is written."""
    current = type(obj)._default_manager.select_for_update().values_list("version", flat=True).get(pk=obj.pk)
    if current != based_on_version:
        raise services.ConcurrentEditError(current, None, None)
    obj.version = current + 1


class VersionedInlineFormSet(forms.BaseInlineFormSet):
    """Deleting a row is a change too: a row someone changed after the page was opened is not
    deleted (the forms' own checks are skipped for rows marked for deletion)."""

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            if not form.instance.pk:
                continue
            current = type(form.instance)._default_manager.filter(pk=form.instance.pk)
            version = current.values_list("version", flat=True).first()
            if version is not None and _based_on(form) != version:
                raise forms.ValidationError(
                    f"Someone else changed this {form.instance._meta.verbose_name} after you opened the page "
                    f"(it is now version {version}), so it has not been deleted and nothing here was saved: "
                    "open the page again to see their changes.",
                    code="conflict",
                )


def _based_on(form) -> int | None:
    value = form.data.get(form.add_prefix("based_on_version"))
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _delete_if_unchanged(instance, based_on_version, user) -> None:
    """Delete under the row lock, unless it changed after the page's check (then raise, and the
    admin shows the form again with the conflict)."""
    current = type(instance)._default_manager.select_for_update().values_list("version", flat=True).get(pk=instance.pk)
    if current != based_on_version:
        raise services.ConcurrentEditError(current, None, None)
    instance._history_user = user
    instance.delete()


class VersionedAdmin(HistoryAdmin):
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ConcurrentEditError:
            # Someone saved between this form's check and its save. The admin's transaction has
            # rolled back, so nothing was written; validating again shows the conflict message
            # with everything this administrator typed still in the form.
            return super().changeform_view(request, object_id, form_url, extra_context)


# --- Cycles -------------------------------------------------------------------------------


@admin.register(Cycle)
class CycleAdmin(HistoryAdmin):
    list_display = ("__str__", "quarter", "type", "status", "evaluation_count", "opened_at", "closed_at")
    list_filter = ("status", "type", "quarter")
    search_fields = ("quarter", "title")
    readonly_fields = ("status", "opened_by", "opened_at", "closed_at")
    actions = ["close_selected_cycles"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(evaluation_count=Count("evaluations"))

    @admin.display(description="evaluations", ordering="evaluation_count")
    def evaluation_count(self, obj):
        return obj.evaluation_count

    def save_model(self, request, obj, form, change):
        # As services.cycle_open: the form has already run full_clean; record who opened it.
        if not change:
            obj.opened_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Close selected cycles", permissions=["change"])
    def close_selected_cycles(self, request, queryset):
        closed = marked = 0
        for cycle in queryset:
            try:
                marked += services.cycle_close(cycle=cycle, actor=request.user)
            except services.EvaluationError as error:
                self.message_user(request, f"{cycle}: {error}", messages.WARNING)
                continue
            closed += 1
        if closed:
            self.message_user(
                request, f"Closed {closed} cycle(s); {marked} evaluation(s) marked not returned.", messages.SUCCESS
            )


# --- Evaluations --------------------------------------------------------------------------


class PillarGradeInline(admin.TabularInline):
    model = PillarGrade
    extra = 0
    max_num = 4
    fields = ("pillar", "grade", "tell_me", "show_me")


class EvaluationFeedbackInline(admin.StackedInline):
    model = EvaluationFeedback
    extra = 0
    max_num = 3
    fields = (
        "respondent",
        "spoken_to",
        "not_spoken_reason",
        ("understood_why", "involved_in_decisions", "needs_understood"),
        "quote",
    )


class RecommendationInline(admin.TabularInline):
    model = Recommendation
    form = VersionedForm
    formset = VersionedInlineFormSet
    extra = 0
    fields = ("action", "owner", "due_date", "status", "completed_at", "based_on_version")
    readonly_fields = ("status", "completed_at")


class ModerationInlineFormSet(VersionedInlineFormSet):
    def clean(self):
        super().clean()
        changed = any(form.has_changed() for form in self.forms if not self._should_delete_form(form))
        if changed and self.instance.status != Evaluation.Status.RETURNED:
            raise forms.ValidationError("Only a returned evaluation can be moderated.")


class ModerationInline(admin.StackedInline):
    """Saved through services.moderation_record, which derives the outcome."""

    model = Moderation
    form = VersionedForm
    formset = ModerationInlineFormSet
    extra = 0
    max_num = 1
    fields = ("moderated_grade", "moderator", "rationale", "outcome", "moderated_at", "version", "based_on_version")
    readonly_fields = ("outcome", "moderated_at", "version")
    autocomplete_fields = ("moderator",)


class EvaluationAllocateForm(forms.ModelForm):
    """The admin's add page allocates, exactly like the Practice Hub's allocation page."""

    class Meta:
        model = Evaluation
        fields = ("cycle", "team", "child_ref", "practitioner", "evaluator", "due_date")

    def clean_cycle(self):
        cycle = self.cleaned_data["cycle"]
        if cycle and not cycle.is_open:
            raise forms.ValidationError(f"{cycle} is closed: choose an open cycle.")
        return cycle


@admin.register(Evaluation)
class EvaluationAdmin(VersionedAdmin):
    form = VersionedForm
    list_display = (
        "reference",
        "child_ref",
        "cycle",
        "team",
        "evaluator",
        "status",
        "overall_grade",
        "moderated_grade",
        "evaluation_date",
        "due_date",
    )
    list_filter = (
        ("cycle__quarter", admin.AllValuesFieldListFilter),
        "cycle__type",
        "status",
        "team__service_area",
        "overall_grade",
        "safeguarding_concern",
    )
    search_fields = ("reference", "child_ref", "practitioner", "evaluator__email")
    list_select_related = ("cycle", "team__service_area", "evaluator", "moderation")
    date_hierarchy = "evaluation_date"
    autocomplete_fields = ("cycle", "team", "evaluator", "revisit_of")
    readonly_fields = (
        "reference",
        "status",
        "version",
        "allocated_by",
        "allocated_at",
        "draft_saved_at",
        "submitted_at",
        "updated_at",
        "safeguarding_reported_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "status",
                    "cycle",
                    "team",
                    "child_ref",
                    "practitioner",
                    "evaluator",
                    "due_date",
                    "revisit_of",
                )
            },
        ),
        (
            "The conversation",
            {
                "fields": (
                    "evaluation_date",
                    "overall_grade",
                    "intervention_appropriate",
                    "positive_difference",
                    "record_reflects_work",
                    "edi_considered",
                    "fathers_included",
                    "strengths",
                    "areas_for_development",
                )
            },
        ),
        ("Safeguarding", {"fields": ("safeguarding_concern", "safeguarding_description", "safeguarding_reported_at")}),
        ("About the child", {"fields": ("child_age_band", "child_gender", "child_ethnicity")}),
        (
            "Record",
            {
                "fields": (
                    "allocated_by",
                    "allocated_at",
                    "draft_saved_at",
                    "submitted_at",
                    "updated_at",
                    "version",
                    "based_on_version",
                )
            },
        ),
    )
    add_fieldsets = ((None, {"fields": EvaluationAllocateForm.Meta.fields}),)
    inlines = [PillarGradeInline, EvaluationFeedbackInline, RecommendationInline, ModerationInline]

    @admin.display(description="moderated grade", ordering="moderation__moderated_grade")
    def moderated_grade(self, obj):
        moderation = getattr(obj, "moderation", None)
        return moderation.get_moderated_grade_display() if moderation else "–"

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else super().get_readonly_fields(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = EvaluationAllocateForm
        return super().get_form(request, obj, **kwargs)

    def get_inline_instances(self, request, obj=None):
        return [] if obj is None else super().get_inline_instances(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            # A change here must still stop an evaluator's older copy overwriting it.
            _take_next_version(obj, form.cleaned_data["based_on_version"])
            super().save_model(request, obj, form, change)
            return
        created = services.evaluation_allocate(
            cycle=obj.cycle,
            request=services.AllocationRequest(
                child_ref=obj.child_ref,
                practitioner=obj.practitioner,
                team=obj.team,
                evaluator=obj.evaluator,
                due_date=obj.due_date,
            ),
            actor=request.user,
        )
        # The admin goes on to log and redirect to `obj`: make it the row the service wrote.
        obj.__dict__.update({key: value for key, value in created.__dict__.items() if key != "_state"})
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and "overall_grade" in form.changed_data:
            self._rederive_moderation_outcome(request, form.instance)

    def _rederive_moderation_outcome(self, request, evaluation):
        # The outcome compares the moderated grade with this grade: when the grade changes, the
        # service derives it again (and history records who changed it). A moderation edited
        # in the inline on this same save was derived from the new grade already.
        moderation = Moderation.objects.filter(evaluation=evaluation).first()
        if moderation is None or not evaluation.overall_grade:
            return
        wanted = Moderation.outcome_for(
            overall_grade=evaluation.overall_grade, moderated_grade=moderation.moderated_grade
        )
        if moderation.outcome == wanted:
            return
        services.moderation_record(
            evaluation=evaluation,
            moderated_grade=moderation.moderated_grade,
            moderator=moderation.moderator,
            rationale=moderation.rationale,
            actor=request.user,
            expected_version=moderation.version,
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Moderation:
            based_on = {item.instance.pk: item.cleaned_data.get("based_on_version") for item in formset.initial_forms}
            for instance in formset.save(commit=False):
                instance._history_user = request.user
                if isinstance(instance, Recommendation) and instance.pk:
                    _take_next_version(instance, based_on[instance.pk])
                instance.save()
            deleted_forms = {item.instance.pk: item for item in formset.deleted_forms}
            for instance in formset.deleted_objects:
                based_on = _based_on(deleted_forms[instance.pk]) if instance.pk in deleted_forms else None
                if isinstance(instance, Recommendation):
                    _delete_if_unchanged(instance, based_on, request.user)
                else:
                    instance._history_user = request.user
                    instance.delete()
            return
        # The admin's change message reads these lists, which formset.save() would have set.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if formset._should_delete_form(inline_form):
                if inline_form.instance.pk:
                    _delete_if_unchanged(inline_form.instance, _based_on(inline_form), request.user)
                    formset.deleted_objects.append(inline_form.instance)
                continue
            if not inline_form.has_changed():
                continue
            data = inline_form.cleaned_data
            existed = inline_form.instance.pk is not None
            moderation = services.moderation_record(
                evaluation=form.instance,
                moderated_grade=data["moderated_grade"],
                moderator=data.get("moderator"),
                rationale=data.get("rationale", ""),
                actor=request.user,
                expected_version=data.get("based_on_version") if existed else None,
            )
            if existed:
                formset.changed_objects.append((moderation, inline_form.changed_data))
            else:
                formset.new_objects.append(moderation)


@admin.register(PillarGrade)
class PillarGradeAdmin(HistoryAdmin):
    list_display = ("evaluation", "pillar", "grade")
    list_filter = ("pillar", "grade", ("evaluation__cycle__quarter", admin.AllValuesFieldListFilter))
    list_select_related = ("evaluation",)
    search_fields = ("evaluation__reference", "evaluation__child_ref")
    autocomplete_fields = ("evaluation",)


@admin.register(EvaluationFeedback)
class EvaluationFeedbackAdmin(HistoryAdmin):
    list_display = ("evaluation", "respondent", "spoken_to", "understood_why", "involved_in_decisions")
    list_filter = ("respondent", "spoken_to", "understood_why", "involved_in_decisions", "needs_understood")
    list_select_related = ("evaluation",)
    search_fields = ("evaluation__reference", "evaluation__child_ref", "quote")
    autocomplete_fields = ("evaluation",)


# --- Moderation and recommendations -------------------------------------------------------


class ModerationForm(VersionedForm):
    class Meta:
        model = Moderation
        fields = ("evaluation", "moderated_grade", "moderator", "rationale")

    def clean_evaluation(self):
        evaluation = self.cleaned_data["evaluation"]
        if evaluation and evaluation.status != Evaluation.Status.RETURNED:
            raise forms.ValidationError("Only a returned evaluation can be moderated.")
        return evaluation


@admin.register(Moderation)
class ModerationAdmin(VersionedAdmin):
    """Saved through services.moderation_record, which derives the outcome."""

    form = ModerationForm
    list_display = ("evaluation", "moderator", "moderated_grade", "outcome", "moderated_at")
    list_filter = (
        "outcome",
        "moderated_grade",
        ("evaluation__cycle__quarter", admin.AllValuesFieldListFilter),
        "evaluation__team__service_area",
    )
    list_select_related = ("evaluation", "moderator")
    search_fields = ("evaluation__reference", "evaluation__child_ref", "rationale", "moderator__email")
    autocomplete_fields = ("evaluation", "moderator")
    readonly_fields = ("outcome", "moderated_at", "version")

    def get_readonly_fields(self, request, obj=None):
        # The evaluation a moderation belongs to is fixed once it exists.
        return (*self.readonly_fields, "evaluation") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        saved = services.moderation_record(
            evaluation=obj.evaluation,
            moderated_grade=obj.moderated_grade,
            moderator=obj.moderator,
            rationale=obj.rationale,
            actor=request.user,
            # The service refuses under its lock if the moderation moved on after the form's check.
            expected_version=form.cleaned_data.get("based_on_version") if change else None,
        )
        obj.__dict__.update({key: value for key, value in saved.__dict__.items() if key != "_state"})
        obj._state.adding = False


@admin.register(Recommendation)
class RecommendationAdmin(VersionedAdmin):
    form = VersionedForm
    list_display = ("evaluation", "short_action", "owner", "due_date", "status")
    list_filter = (
        "status",
        ("evaluation__cycle__quarter", admin.AllValuesFieldListFilter),
        "evaluation__team__service_area",
        "evaluation__overall_grade",
    )
    list_select_related = ("evaluation",)
    search_fields = ("action", "owner", "evaluation__reference", "evaluation__child_ref")
    date_hierarchy = "due_date"
    autocomplete_fields = ("evaluation",)
    readonly_fields = ("completed_at", "created_at", "version")

    @admin.display(description="action")
    def short_action(self, obj):
        return obj.action if len(obj.action) <= 80 else f"{obj.action[:77]}..."

    def save_model(self, request, obj, form, change):
        # No service marks a recommendation done yet; keep completed_at and the version true.
        if "status" in form.changed_data:
            obj.completed_at = timezone.now() if obj.status == Recommendation.Status.DONE else None
        if change:
            _take_next_version(obj, form.cleaned_data["based_on_version"])
        super().save_model(request, obj, form, change)
