from django.contrib import admin

from samverkan.audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from samverkan.capacity.models import BedCategory, CapacityReport, PlannedChange, ReportingSchedule


@admin.register(BedCategory)
class BedCategoryAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "county"]
    list_filter = ["county"]


@admin.register(ReportingSchedule)
class ReportingScheduleAdmin(AuditedModelAdmin):
    list_display = ["county", "weekdays", "due_time", "unit_kinds", "reminders_enabled"]


@admin.register(CapacityReport)
class CapacityReportAdmin(ReadOnlyAdmin):
    """Reports are append-only: corrections are new reports, made on the unit page or through the API."""

    list_display = ["unit", "reported_at", "physical", "staffed", "occupied", "surge", "open_for_admission"]
    list_filter = ["unit__organisation__county", "open_for_admission"]
    search_fields = ["unit__name", "unit__code"]
    date_hierarchy = "reported_at"


@admin.register(PlannedChange)
class PlannedChangeAdmin(AuditedModelAdmin):
    list_display = ["unit", "effective_from", "staffed_change", "physical_change", "description", "cancelled_at"]
    list_filter = ["unit__organisation__county"]
