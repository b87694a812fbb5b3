from django.contrib import admin

from samverkan.audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from samverkan.flow.models import DestinationMapping, EncounterClassMapping, ImportRun, Source, UnitMapping


class UnitMappingInline(admin.TabularInline):
    model = UnitMapping
    extra = 0
    autocomplete_fields = ["unit"]


class DestinationMappingInline(admin.TabularInline):
    model = DestinationMapping
    extra = 0


class EncounterClassMappingInline(admin.TabularInline):
    model = EncounterClassMapping
    extra = 0


@admin.register(Source)
class SourceAdmin(AuditedModelAdmin):
    list_display = ["name", "county", "created_at"]
    list_filter = ["county"]
    inlines = [UnitMappingInline, DestinationMappingInline, EncounterClassMappingInline]


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "source", "filename", "status", "rows", "created", "updated"]
    list_filter = ["status", "source__county"]
