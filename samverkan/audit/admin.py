"""Admin support: every change made on the admin pages is audited; audit rows are read-only."""

from __future__ import annotations

from django.contrib import admin

from samverkan.audit.models import AccessLogEntry, AuditEvent
from samverkan.audit.services import audit_record, snapshot


def _organisation_of(obj):
    """The organisation a changed row belongs to: an organisation is its own."""
    if obj._meta.label == "organisations.Organisation":
        return obj
    return getattr(obj, "organisation", None)


class AuditedModelAdmin(admin.ModelAdmin):
    """Writes an AuditEvent for every add, change and delete (the admin wraps each in a transaction)."""

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit_record(
            by=request.user,
            event_type=f"{obj._meta.app_label}.{obj._meta.model_name}_{'changed' if change else 'created'}",
            obj=obj,
            organisation=_organisation_of(obj),
            before=before,
            after=snapshot(obj),
        )

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            self.delete_model(request, deleted)
        for instance in instances:
            self.save_model(request, instance, None, change=instance.pk is not None)
        formset.save_m2m()

    def delete_model(self, request, obj):
        audit_record(
            by=request.user,
            event_type=f"{obj._meta.app_label}.{obj._meta.model_name}_deleted",
            obj=obj,
            organisation=_organisation_of(obj),
            before=snapshot(obj),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "event_type", "actor_label", "organisation", "object_type", "object_id"]
    list_filter = ["event_type"]
    search_fields = ["actor_label", "object_id", "request_id"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "actor_label", "resource", "reason", "organisation"]
    search_fields = ["actor_label", "resource", "request_id"]
