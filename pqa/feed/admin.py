"""The feed's tokens in the admin: issued here (the token shown once, in a message after the
save, and never again), revoked by an action, never deleted; and the log of requests, read-only."""

from django.contrib import admin, messages

from pqa.admin import ReadOnlyAdmin, ServiceAdmin, adopt
from pqa.feed import services
from pqa.feed.models import FeedRequest, FeedToken


class InUseFilter(admin.SimpleListFilter):
    title = "whether in use"
    parameter_name = "in_use"

    def lookups(self, request, model_admin):
        return [("yes", "In use"), ("no", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(FeedToken)
class FeedTokenAdmin(ServiceAdmin):
    list_display = ("name", "created_at", "created_by", "last_used_at", "revoked_at")
    list_filter = (InUseFilter,)
    list_select_related = ("created_by",)
    search_fields = ("name",)
    fields = ("name", "created_by", "created_at", "last_used_at", "revoked_at", "revoked_by")
    actions = ["revoke_selected"]

    def get_readonly_fields(self, request, obj=None):
        # A token's name is in the log of every request it made: it is not changed afterwards.
        return (
            self.fields if obj is not None else ("created_by", "created_at", "last_used_at", "revoked_at", "revoked_by")
        )

    def get_fields(self, request, obj=None):
        return self.fields if obj is not None else ("name",)

    def has_delete_permission(self, request, obj=None):
        return False  # revoked instead, so the log keeps saying whose requests they were

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing of a saved token is changed here
        record, token = services.feed_token_issue(name=form.cleaned_data["name"], actor=request.user)
        adopt(obj, record)
        messages.warning(
            request,
            f"The token for “{record.name}” is {token} — copy it now into the BI tool's Authorization "
            "header (Bearer, then the token). PQA keeps only a fingerprint of it, so it cannot be shown again: "
            "if it is lost, revoke it and issue another.",
        )

    @admin.action(description="Revoke selected tokens (they stop working at once)", permissions=["change"])
    def revoke_selected(self, request, queryset):
        tokens = list(queryset)
        for token in tokens:
            services.feed_token_revoke(token=token, actor=request.user)
        self.message_user(request, f"{len(tokens)} token(s) revoked.")


@admin.register(FeedRequest)
class FeedRequestAdmin(ReadOnlyAdmin):
    """Every request made to the feed with a valid token: who (the token's name), what, when."""

    list_display = ("at", "token_name", "table", "format", "page", "status", "rows")
    list_filter = ("table", "format", "status", "token_name")
    search_fields = ("token_name", "table")
    date_hierarchy = "at"
    readonly_fields = [field.name for field in FeedRequest._meta.fields]
