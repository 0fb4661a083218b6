"""Django admin for the PQA core: people and roles, the organisation, the outbox.

Every admin shows the record's change history (django-simple-history) but offers no
"revert": restoring an old version would write around the services and their rules."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from pqa import services
from pqa.models import EditConflict, Notification, ServiceArea, Team, User


class HistoryAdmin(SimpleHistoryAdmin):
    """Change history to read, never to restore."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Old versions can be read here, not restored.")
        return super().history_form_view(request, object_id, version_id, extra_context)


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
