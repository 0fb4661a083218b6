"""Django admin for the PQA core: people and roles, the organisation, the outbox; and the
kit every app's admin uses to write through its services and to refuse lost updates.

Every admin shows the record's change history (django-simple-history) but offers no
"revert": restoring an old version would write around the services and their rules."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import ProtectedError
from django.http import HttpResponseRedirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from pqa import services
from pqa.models import EditConflict, ImportJob, Notification, ServiceArea, Team, User
from pqa.versioning import ConcurrentEditError


class HistoryAdmin(SimpleHistoryAdmin):
    """Change history to read, never to restore."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Old versions can be read here, not restored.")
        return super().history_form_view(request, object_id, version_id, extra_context)


# --- Writing through services ---------------------------------------------------------------


def _refusal_shown_on(form_class, refusal: ValidationError):
    """`form_class`, failing with the errors of a service's refusal beside their fields."""

    class Refused(form_class):
        def clean(self):
            cleaned_data = super().clean()
            problems = refusal.message_dict if hasattr(refusal, "error_dict") else {NON_FIELD_ERRORS: refusal.messages}
            for name, texts in problems.items():
                if name in self.fields:
                    self.add_error(name, texts)
                else:
                    # A part of the record with no field on this form: say which part.
                    self.add_error(None, texts if name == NON_FIELD_ERRORS else [f"{name}: {text}" for text in texts])
            return cleaned_data

    Refused.__name__ = form_class.__name__
    return Refused


# What a service raises to refuse a write; the admin shows it and has written nothing.
REFUSALS = (ValidationError, ConcurrentEditError, ProtectedError)


def _refusal_text(refusal: Exception) -> str:
    text = " ".join(refusal.messages) if isinstance(refusal, ValidationError) else str(refusal)
    return text if text.endswith(".") else f"{text}."


class ServiceAdmin(HistoryAdmin):
    """An admin whose saves call the app's services (save_model and save_related overridden)
    rather than writing rows itself. When a service refuses with a ValidationError, e.g. a
    rule the form does not know, its transaction has rolled back and the form is shown again
    with the refusal beside the fields it is about and all that was typed.

    Deleting goes through a service too, on the delete page and in the "delete selected"
    action: override `delete_through_service(obj, actor)` to call it. An admin that does not
    offers no delete. A refusal (ValidationError, ConcurrentEditError, ProtectedError) is shown
    as a message, and nothing is deleted: a bulk delete is all or nothing."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refusal:
            request.pqa_service_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, "pqa_service_refusal", None)
        return form if refusal is None else _refusal_shown_on(form, refusal)

    # --- Deleting through a service ------------------------------------------------------

    def delete_through_service(self, obj, actor) -> None:
        """Delete `obj` through the app's service, which validates and records who deleted it."""
        raise NotImplementedError(f"No service deletes a {self.model._meta.verbose_name} here")

    def has_delete_permission(self, request, obj=None):
        deletes = type(self).delete_through_service is not ServiceAdmin.delete_through_service
        return deletes and super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        self.delete_through_service(obj, request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_through_service(obj, request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            # The admin's delete view runs in a transaction: a refusal rolls back its log entry too.
            return super().delete_view(request, object_id, extra_context)
        except REFUSALS as refusal:
            self.message_user(request, f"{_refusal_text(refusal)} Nothing was deleted.", messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[object_id],
                    current_app=self.admin_site.name,
                )
            )

    def response_action(self, request, queryset):
        deleting = request.POST.get("action") == "delete_selected"
        try:
            # One transaction for the action: its log entries and every row, or nothing.
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().response_action(request, queryset)
        except REFUSALS as refusal:
            done = "Nothing was deleted." if deleting else "Nothing was changed."
            self.message_user(request, f"{_refusal_text(refusal)} {done}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def adopt(obj, saved) -> None:
    """Make the admin's `obj` the row a service wrote: the admin goes on to log and redirect to it."""
    obj.__dict__.update({key: value for key, value in saved.__dict__.items() if key != "_state"})
    obj._state.adding = False


# --- Lost updates: versioned records -------------------------------------------------------


def conflict_message(record, current_version: int) -> str:
    return (
        f"Someone else changed this {record._meta.verbose_name} after you opened it (it is now version "
        f"{current_version}). Your changes have not been saved: open it again to see theirs, then make your "
        "changes again."
    )


class VersionedForm(forms.ModelForm):
    """Carries the version the page was opened with, and refuses the save if the record has
    moved on since (another administrator, or a person's autosave). Adding needs none. The
    service checks again under its row lock, which catches a save landing after this check.

    A part of another record (an evaluation's pillar grade) has no version of its own: override
    `versioned_record` to return the record whose version guards it."""

    based_on_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def versioned_record(self):
        return self.instance

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        record = self._guarding_record()
        if record is not None:
            self.initial.setdefault("based_on_version", record.version)

    def _guarding_record(self):
        if not self.instance.pk:
            return None
        record = self.versioned_record()
        return record if record is not None and record.pk else None

    def clean(self):
        cleaned_data = super().clean()
        record = self._guarding_record()
        if record is not None:
            # A fresh read: the record was loaded for this request, after the page was opened.
            current = type(record)._default_manager.filter(pk=record.pk).values_list("version", flat=True).first()
            if current is not None and cleaned_data.get("based_on_version") != current:
                raise forms.ValidationError(conflict_message(record, current), code="conflict")
        return cleaned_data


def based_on(form) -> int | None:
    """The version a row was opened at, as posted (a row marked for deletion is not cleaned)."""
    value = form.data.get(form.add_prefix("based_on_version"))
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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
            if version is not None and based_on(form) != version:
                raise forms.ValidationError(
                    f"Someone else changed this {form.instance._meta.verbose_name} after you opened the page "
                    f"(it is now version {version}), so it has not been deleted and nothing here was saved: "
                    "open the page again to see their changes.",
                    code="conflict",
                )


def formset_changes(formset) -> list[tuple[forms.ModelForm, dict | None]]:
    """What an inline formset asks for, row by row: (form, the row's values) for a new or
    changed row, (form, None) for a saved row marked for deletion. Unchanged rows are left out."""
    skip = {"based_on_version", "DELETE", formset.fk.name, formset.model._meta.pk.name}
    changes = []
    for form in formset.forms:
        if formset._should_delete_form(form):
            if form.instance.pk:
                changes.append((form, None))
            continue
        if form.has_changed():
            changes.append((form, {name: form.cleaned_data[name] for name in form.fields if name not in skip}))
    return changes


def save_formset_through(formset, *, add, update, delete) -> None:
    """Save a versioned inline formset through the app's services: `add(values)`,
    `update(instance, values, based_on_version)` and `delete(instance, based_on_version)`,
    each returning what it wrote (delete: nothing). Sets the lists the admin's change message
    reads, as formset.save() would have."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form, values in formset_changes(formset):
        if values is None:
            delete(form.instance, based_on(form))
            formset.deleted_objects.append(form.instance)
        elif form.instance.pk:
            formset.changed_objects.append((update(form.instance, values, based_on(form)), form.changed_data))
        else:
            formset.new_objects.append(add(values))


class VersionedAdmin(ServiceAdmin):
    """For a versioned record: a save refused by the service's own check (a save that slipped
    in after the form's check) is shown as the form's conflict, with what was typed kept."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ConcurrentEditError:
            # The admin's transaction has rolled back, so nothing was written; validating again
            # shows the conflict message with everything this administrator typed still in the form.
            return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(User)
class PQAUserAdmin(HistoryAdmin, UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Role in PQA", {"fields": ("role", "team")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("Who they are", {"fields": ("first_name", "last_name", "email")}),
        ("Role in PQA", {"fields": ("role", "team")}),
    )
    list_display = ("username", "email", "first_name", "last_name", "role", "team", "is_active", "is_staff")
    list_filter = ("role", "team__service_area", "is_active", "is_staff", "is_superuser")
    list_select_related = ("team__service_area",)
    search_fields = ("username", "first_name", "last_name", "email", "team__name")
    autocomplete_fields = ("team",)
    actions = ["deactivate_selected", "reset_two_factor"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Unticking "active" in the change form ends the person's sessions too.
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.user_deactivate(user=obj, actor=request.user)

    @admin.action(description="Deactivate selected people and sign them out everywhere", permissions=["change"])
    def deactivate_selected(self, request, queryset):
        people = list(queryset)
        for person in people:
            services.user_deactivate(user=person, actor=request.user)
        self.message_user(request, f"{len(people)} account(s) deactivated; their sessions have ended.")

    @admin.action(
        description="Reset two-factor authentication (lost phone): they set it up again at next sign-in",
        permissions=["change"],
    )
    def reset_two_factor(self, request, queryset):
        people = list(queryset)
        for person in people:
            services.two_factor_reset(user=person, actor=request.user)
        self.message_user(request, f"Two-factor authentication reset for {len(people)} account(s).")


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0
    fields = ("name",)
    show_change_link = True


@admin.register(ServiceArea)
class ServiceAreaAdmin(HistoryAdmin):
    list_display = ("name",)
    search_fields = ("name",)
    inlines = [TeamInline]


@admin.register(Team)
class TeamAdmin(HistoryAdmin):
    list_display = ("name", "service_area")
    list_filter = ("service_area",)
    list_select_related = ("service_area",)
    search_fields = ("name", "service_area__name")


class SentFilter(admin.SimpleListFilter):
    title = "sent"
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", "Sent"), ("no", "Waiting in the outbox")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that only services write: the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox, read-only: rows are written by services and marked sent by the worker."""

    list_display = ("subject", "kind", "created_at", "sent_at", "attempts")
    list_filter = ("kind", SentFilter)
    search_fields = ("subject", "body", "recipients")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Notification._meta.fields]


@admin.register(EditConflict)
class EditConflictAdmin(ReadOnlyAdmin):
    """Refused versions, read-only: kept by the services and resolved by their owner."""

    list_display = ("__str__", "user", "content_type", "object_id", "refused_at", "resolved_at", "resolution")
    list_filter = ("content_type", "resolution")
    list_select_related = ("user", "content_type")
    search_fields = ("user__username", "user__email")
    date_hierarchy = "refused_at"
    readonly_fields = [field.name for field in EditConflict._meta.fields]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Background imports (pqa.jobs), read-only: to find "import N failed" when someone asks."""

    list_display = ("pk", "importer", "user", "file_name", "dry_run", "state", "rows_checked", "rows_written")
    list_display_links = ("pk", "importer")
    list_filter = ("importer", "state", "dry_run")
    list_select_related = ("user",)
    search_fields = ("file_name", "user__username", "user__email")
    date_hierarchy = "created_at"
    exclude = ("data",)  # the uploaded file, kept only while the job runs
    readonly_fields = [field.name for field in ImportJob._meta.fields if field.name != "data"]


# --- KPIs: their admin lives beside them ---------------------------------------------------

from pqa.kpis import admin as kpis_admin  # noqa: E402, F401 - registers Indicator and IndicatorValue
