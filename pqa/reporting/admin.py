"""The administrators' view of the stored quarterly reports: read-only (the narrative is
written on the report's page, through pqa.reporting.services), with the history of every
narrative save and every generation, who did it and when. The files are not shown here:
they are downloaded from the report's page."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from pqa.admin import HistoryAdmin, ReadOnlyAdmin
from pqa.reporting.models import FILE_FIELDS, QuarterlyReport


@admin.register(QuarterlyReport)
class QuarterlyReportAdmin(ReadOnlyAdmin, HistoryAdmin):
    list_display = ("quarter", "state", "generation", "generated_at", "generated_by", "version")
    list_filter = ("state",)
    list_select_related = ("generated_by",)
    search_fields = ("quarter",)
    exclude = FILE_FIELDS
    readonly_fields = [
        *(field.name for field in QuarterlyReport._meta.fields if field.name not in FILE_FIELDS),
        "files",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*FILE_FIELDS)

    @admin.display(description="files")
    def files(self, obj):
        if not obj.pk or not obj.has_files:
            return "Not generated yet"
        return format_html(
            '<a href="{}">Download them from the report\'s page</a>', reverse("reporting:report", args=[obj.quarter])
        )
