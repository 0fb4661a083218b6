"""The administrators' view of KPIs: indicators with their targets per financial year inline,
and the monthly values. Every save goes through pqa.kpis.services, which validate the model
and check versions: a target is part of its indicator, guarded by the indicator's version, and
a value has its own. Registered by pqa/admin.py."""

from django import forms
from django.contrib import admin

from pqa.admin import VersionedAdmin, VersionedForm, adopt, formset_changes
from pqa.kpis import rules, services
from pqa.kpis.models import FIGURE, Indicator, IndicatorTarget, IndicatorValue


class IndicatorTargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 1
    fields = ("year", "target", "tolerance_low", "tolerance_high")
    verbose_name = "target for a financial year"
    verbose_name_plural = "targets by financial year (a year without its own uses the latest earlier one)"


@admin.register(Indicator)
class IndicatorAdmin(VersionedAdmin):
    form = VersionedForm
    list_display = ("code", "title", "unit", "polarity", "version")
    list_filter = ("unit", "polarity")
    search_fields = ("code", "title")
    readonly_fields = ("version",)
    fields = ("code", "title", "unit", "polarity", "description", "version", "based_on_version")
    inlines = [IndicatorTargetInline]

    # No delete_through_service, so no delete: an indicator is part of the contract and of its
    # values' history. Change it, never remove it.

    def save_model(self, request, obj, form, change):
        # Saved with its targets in save_related: one service call, one version.
        return

    def save_related(self, request, form, formsets, change):
        parts = {formset: formset_changes(formset) for formset in formsets}
        targets = [(item.instance, values) for changes in parts.values() for item, values in changes]
        values = {name: form.cleaned_data[name] for name in services.INDICATOR_FIELDS if name in form.cleaned_data}
        if change:
            saved = services.indicator_update(
                indicator=form.instance,
                values=values,
                targets=targets,
                expected_version=form.cleaned_data["based_on_version"],
                actor=request.user,
            )
        else:
            saved = services.indicator_create(values=values, targets=targets, actor=request.user)
        adopt(form.instance, saved)
        for formset, changes in parts.items():
            # The admin's change message reads these lists, which formset.save() would have set.
            formset.new_objects = [item.instance for item, values in changes if not item.instance.pk]
            formset.changed_objects = [
                (item.instance, item.changed_data) for item, values in changes if item.instance.pk and values
            ]
            formset.deleted_objects = [item.instance for item, values in changes if values is None]


class IndicatorValueAdminForm(VersionedForm):
    value_typed = forms.DecimalField(
        label="Value (typed)",
        required=False,
        max_digits=FIGURE["max_digits"],
        decimal_places=FIGURE["decimal_places"],
        help_text="Only when there is no numerator and denominator; otherwise it is worked out from them.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.numerator is None:
            self.initial.setdefault("value_typed", self.instance.value)

    def clean_month(self):
        month = self.cleaned_data["month"]
        return rules.first_of_month(month) if month else month


@admin.register(IndicatorValue)
class IndicatorValueAdmin(VersionedAdmin):
    form = IndicatorValueAdminForm
    list_display = ("indicator", "month_shown", "value", "numerator", "denominator", "entered_by", "updated_at")
    list_filter = ("indicator", ("month", admin.DateFieldListFilter))
    list_select_related = ("indicator", "entered_by")
    search_fields = ("indicator__code", "commentary")
    date_hierarchy = "month"
    readonly_fields = ("value", "entered_by", "updated_at", "version")
    fields = (
        "indicator",
        "month",
        "numerator",
        "denominator",
        "value_typed",
        "value",
        "national",
        "statistical_neighbours",
        "commentary",
        "entered_by",
        "updated_at",
        "version",
        "based_on_version",
    )

    @admin.display(description="month", ordering="month")
    def month_shown(self, obj):
        return rules.month_label(obj.month)

    def get_readonly_fields(self, request, obj=None):
        # Which indicator and month a value is for is fixed once it exists.
        return (*self.readonly_fields, "indicator", "month") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data.get(name) for name in services.VALUE_FIELDS if name != "value"}
        values["value"] = form.cleaned_data.get("value_typed")
        saved, _ = services.indicator_value_record(
            indicator=obj.indicator,
            month=obj.month,
            values=values,
            actor=request.user,
            expected_version=form.cleaned_data.get("based_on_version") if change else None,
        )
        adopt(obj, saved)

    def delete_through_service(self, obj, actor):
        services.indicator_value_delete(value=obj, actor=actor)
