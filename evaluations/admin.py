"""Django admin for practice evaluations: the administrators' view of every record and its
history. Every save and every delete goes through `services`, which validate the model and
check versions: allocating, opening, closing and deleting cycles, correcting or deleting an
evaluation with its pillar grades and feedback, recommendations and moderations (pqa.admin's
ServiceAdmin: delete_through_service). Status and version are never typed here.

Evaluations, moderations and recommendations carry a `version` (optimistic locking, the
core's admin kit in pqa.admin): each change form, and each inline that edits one, posts back
the version it was opened with, and a save made from an older one is refused rather than
overwriting. A pillar grade or a feedback row is part of its evaluation, guarded by its
evaluation's version."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count

from evaluations import services
from evaluations.models import (
    Cycle,
    Evaluation,
    EvaluationFeedback,
    ModeratedPillarGrade,
    Moderation,
    ModerationPanel,
    ModerationRound,
    PillarGrade,
    Recommendation,
)
from evaluations.permissions import can_be_moderated
from pqa.admin import (
    HistoryAdmin,
    ReadOnlyAdmin,
    ServiceAdmin,
    VersionedAdmin,
    VersionedForm,
    VersionedInlineFormSet,
    adopt,
    formset_changes,
    save_formset_through,
)

NOT_MODERATED = "Only a returned evaluation can be moderated."
NOT_THIS_MODERATOR = "The moderator must be a moderator or the Practice Hub, and never the evaluator who graded it."


# --- Cycles -------------------------------------------------------------------------------


@admin.register(Cycle)
class CycleAdmin(ServiceAdmin):
    list_display = ("__str__", "quarter", "type", "status", "evaluation_count", "opened_at", "closed_at")
    list_filter = ("status", "type", "quarter")
    search_fields = ("quarter", "title")
    # The revisit share is set where it is used (the proposal page), the moderation share where the
    # sample is drawn (services.moderation_sample_draw).
    readonly_fields = ("status", "opened_by", "opened_at", "closed_at", "revisit_share", "moderation_share")
    actions = ["close_selected_cycles"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(evaluation_count=Count("evaluations"))

    @admin.display(description="evaluations", ordering="evaluation_count")
    def evaluation_count(self, obj):
        return obj.evaluation_count

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in services.CYCLE_FIELDS if name in form.cleaned_data}
        if change:
            adopt(obj, services.cycle_update(cycle=obj, values=values, actor=request.user))
        else:
            adopt(obj, services.cycle_open(**values, actor=request.user))

    def delete_through_service(self, obj, actor):
        services.cycle_delete(cycle=obj, actor=actor)

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
    fields = ("action", "owner", "owner_text", "due_date", "status", "completed_at", "based_on_version")
    readonly_fields = ("owner_text", "status", "completed_at")
    autocomplete_fields = ("owner",)


class ModerationInlineFormSet(VersionedInlineFormSet):
    def clean(self):
        super().clean()
        changed = any(form.has_changed() for form in self.forms if not self._should_delete_form(form))
        if changed and not can_be_moderated(self.instance):
            raise forms.ValidationError(NOT_MODERATED)
        for form in self.forms:
            moderator = form.cleaned_data.get("moderator") if hasattr(form, "cleaned_data") else None
            if form.has_changed() and moderator is not None and not can_be_moderated(self.instance, moderator):
                raise forms.ValidationError(NOT_THIS_MODERATOR)


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
            # Saved with its pillar grades and feedback in save_related: one service call, one version.
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
        adopt(obj, created)

    def delete_through_service(self, obj, actor):
        services.evaluation_delete(evaluation=obj, actor=actor)

    def save_related(self, request, form, formsets, change):
        if not change:
            return super().save_related(request, form, formsets, change)
        parts = {formset: formset_changes(formset) for formset in formsets if formset.model in services.PART_FIELDS}
        services.evaluation_update(
            evaluation=form.instance,
            actor=request.user,
            expected_version=form.cleaned_data["based_on_version"],
            values={name: form.cleaned_data[name] for name in form.fields if name in services.UPDATABLE_FIELDS},
            parts=[(item.instance, values) for changes in parts.values() for item, values in changes],
        )
        for formset, changes in parts.items():
            # The admin's change message reads these lists, which formset.save() would have set.
            formset.new_objects = [item.instance for item, values in changes if not item.instance.pk]
            formset.changed_objects = [
                (item.instance, item.changed_data)
                for item, values in changes
                if item.instance.pk and values is not None
            ]
            formset.deleted_objects = [item.instance for item, values in changes if values is None]
        for formset in formsets:
            if formset not in parts:
                self.save_formset(request, form, formset, change=change)
        if "overall_grade" in form.changed_data:
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
        actor = request.user
        if formset.model is Recommendation:
            save_formset_through(
                formset,
                add=lambda values: services.recommendation_add(evaluation=form.instance, values=values, actor=actor),
                update=lambda item, values, version: services.recommendation_update(
                    recommendation=item, values=values, actor=actor, expected_version=version
                ),
                delete=lambda item, version: services.recommendation_delete(
                    recommendation=item, actor=actor, expected_version=version
                ),
            )
        elif formset.model is Moderation:

            def record(values, version=None):
                return services.moderation_record(
                    evaluation=form.instance,
                    moderated_grade=values["moderated_grade"],
                    moderator=values.get("moderator"),
                    rationale=values.get("rationale", ""),
                    actor=actor,
                    expected_version=version,
                )

            save_formset_through(
                formset,
                add=record,
                update=lambda item, values, version: record(values, version),
                delete=lambda item, version: services.moderation_delete(
                    moderation=item, actor=actor, expected_version=version
                ),
            )
        else:
            raise NotImplementedError(f"No service saves {formset.model._meta.verbose_name} rows here")


class EvaluationPartForm(VersionedForm):
    """A pillar grade or a feedback row is part of its evaluation: the evaluation's version guards it."""

    def versioned_record(self):
        return self.instance.evaluation if self.instance.evaluation_id else None


class EvaluationPartAdmin(VersionedAdmin):
    """Saved through services.evaluation_update, as part of its evaluation."""

    form = EvaluationPartForm
    autocomplete_fields = ("evaluation",)

    def get_readonly_fields(self, request, obj=None):
        # The evaluation a part belongs to is fixed once it exists.
        return (*self.readonly_fields, "evaluation") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        fields = services.PART_FIELDS[self.model]
        values = {name: form.cleaned_data[name] for name in fields if name in form.cleaned_data}
        evaluation = obj.evaluation
        services.evaluation_update(
            evaluation=evaluation,
            actor=request.user,
            expected_version=form.cleaned_data.get("based_on_version") if change else None,
            parts=[(obj if change else self.model(evaluation=evaluation), values)],
        )
        key = fields[0]  # the pillar, or the respondent: one row of each per evaluation
        adopt(obj, self.model._default_manager.get(evaluation=evaluation, **{key: getattr(obj, key)}))

    def delete_through_service(self, obj, actor):
        services.evaluation_part_delete(part=obj, actor=actor)


@admin.register(PillarGrade)
class PillarGradeAdmin(EvaluationPartAdmin):
    list_display = ("evaluation", "pillar", "grade")
    list_filter = ("pillar", "grade", ("evaluation__cycle__quarter", admin.AllValuesFieldListFilter))
    list_select_related = ("evaluation",)
    search_fields = ("evaluation__reference", "evaluation__child_ref")


@admin.register(EvaluationFeedback)
class EvaluationFeedbackAdmin(EvaluationPartAdmin):
    list_display = ("evaluation", "respondent", "spoken_to", "understood_why", "involved_in_decisions")
    list_filter = ("respondent", "spoken_to", "understood_why", "involved_in_decisions", "needs_understood")
    list_select_related = ("evaluation",)
    search_fields = ("evaluation__reference", "evaluation__child_ref", "quote")


# --- Moderation and recommendations -------------------------------------------------------


class ModerationForm(VersionedForm):
    class Meta:
        model = Moderation
        fields = ("evaluation", "moderated_grade", "moderator", "rationale")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Blank only while sampled, which is the sample's business, not the admin's.
        self.fields["moderated_grade"].required = True

    def clean_evaluation(self):
        evaluation = self.cleaned_data["evaluation"]
        if evaluation and not can_be_moderated(evaluation):
            raise forms.ValidationError(NOT_MODERATED)
        return evaluation

    def clean(self):
        cleaned = super().clean()
        evaluation = cleaned.get("evaluation") or getattr(self.instance, "evaluation", None)
        moderator = cleaned.get("moderator")
        if evaluation and moderator and not can_be_moderated(evaluation, moderator):
            self.add_error("moderator", NOT_THIS_MODERATOR)
        return cleaned


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
        adopt(obj, saved)

    def delete_through_service(self, obj, actor):
        services.moderation_delete(moderation=obj, actor=actor, expected_version=None)


class ModerationRecordAdmin(ReadOnlyAdmin, HistoryAdmin):
    """The sample's panels, the moderators' pillar grades and earlier rounds: written only by
    the moderation services (the pages), read here with their history."""


admin.site.register(ModerationPanel, ModerationRecordAdmin)
admin.site.register(ModeratedPillarGrade, ModerationRecordAdmin)
admin.site.register(ModerationRound, ModerationRecordAdmin)


@admin.register(Recommendation)
class RecommendationAdmin(VersionedAdmin):
    form = VersionedForm
    list_display = ("evaluation", "short_action", "owner", "owner_text", "due_date", "status")
    list_filter = (
        "status",
        ("evaluation__cycle__quarter", admin.AllValuesFieldListFilter),
        "evaluation__team__service_area",
        "evaluation__overall_grade",
    )
    list_select_related = ("evaluation", "owner")
    search_fields = ("action", "owner_text", "owner__email", "evaluation__reference", "evaluation__child_ref")
    date_hierarchy = "due_date"
    autocomplete_fields = ("evaluation", "owner")
    # What a revisit found is written only by services.recommendation_record_revisit_finding.
    readonly_fields = (
        "owner_text",
        "revisit_found_done",
        "tracker_reference",
        "completed_at",
        "created_at",
        "version",
    )

    @admin.display(description="action")
    def short_action(self, obj):
        return obj.action if len(obj.action) <= 80 else f"{obj.action[:77]}..."

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in services.RECOMMENDATION_ADMIN_FIELDS if name in form.fields}
        if change:
            saved = services.recommendation_update(
                recommendation=obj,
                values=values,
                actor=request.user,
                expected_version=form.cleaned_data["based_on_version"],
            )
        else:
            saved = services.recommendation_add(evaluation=obj.evaluation, values=values, actor=request.user)
        adopt(obj, saved)

    def delete_through_service(self, obj, actor):
        services.recommendation_delete(recommendation=obj, actor=actor, expected_version=None)
