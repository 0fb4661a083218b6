"""Django admin for practice evaluations: the administrators' view of every record and its
history. Where a workflow exists the admin uses the same service as the app: allocating an
evaluation, closing a cycle and recording a moderation all go through `services`; status
and version are never typed here."""

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
    extra = 0
    fields = ("action", "owner", "due_date", "status", "completed_at")
    readonly_fields = ("status", "completed_at")


class ModerationInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        changed = any(form.has_changed() for form in self.forms if not self._should_delete_form(form))
        if changed and self.instance.status != Evaluation.Status.COMPLETED:
            raise forms.ValidationError("Only a returned evaluation can be moderated.")


class ModerationInline(admin.StackedInline):
    """Saved through services.moderation_record, which derives the outcome."""

    model = Moderation
    formset = ModerationInlineFormSet
    extra = 0
    max_num = 1
    fields = ("moderated_grade", "moderator", "rationale", "outcome", "moderated_at", "version")
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
class EvaluationAdmin(HistoryAdmin):
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
            {"fields": ("allocated_by", "allocated_at", "draft_saved_at", "submitted_at", "updated_at", "version")},
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
            obj.version += 1
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

    def save_formset(self, request, form, formset, change):
        if formset.model is not Moderation:
            for instance in formset.save(commit=False):
                instance._history_user = request.user
                if isinstance(instance, Recommendation) and instance.pk:
                    instance.version += 1
                instance.save()
            for instance in formset.deleted_objects:
                instance._history_user = request.user
                instance.delete()
            return
        # The admin's change message reads these lists, which formset.save() would have set.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if formset._should_delete_form(inline_form):
                if inline_form.instance.pk:
                    inline_form.instance._history_user = request.user
                    inline_form.instance.delete()
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


class ModerationForm(forms.ModelForm):
    class Meta:
        model = Moderation
        fields = ("evaluation", "moderated_grade", "moderator", "rationale")

    def clean_evaluation(self):
        evaluation = self.cleaned_data["evaluation"]
        if evaluation and evaluation.status != Evaluation.Status.COMPLETED:
            raise forms.ValidationError("Only a returned evaluation can be moderated.")
        return evaluation


@admin.register(Moderation)
class ModerationAdmin(HistoryAdmin):
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
        )
        obj.__dict__.update({key: value for key, value in saved.__dict__.items() if key != "_state"})
        obj._state.adding = False


@admin.register(Recommendation)
class RecommendationAdmin(HistoryAdmin):
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
            obj.version += 1
        super().save_model(request, obj, form, change)
