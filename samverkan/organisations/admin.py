from django.contrib import admin

from samverkan.audit.admin import AuditedModelAdmin
from samverkan.organisations.models import County, Membership, Municipality, Organisation, Unit


@admin.register(County)
class CountyAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "short_name"]
    search_fields = ["code", "name"]


@admin.register(Municipality)
class MunicipalityAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "county", "population", "population_year"]
    list_filter = ["county"]
    search_fields = ["code", "name"]


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ["code", "name", "kind", "municipality", "is_active"]
    autocomplete_fields = ["municipality"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "county", "is_active"]
    list_filter = ["kind", "county", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["municipality"]
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "organisation", "municipality", "is_active"]
    list_filter = ["kind", "organisation__county", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["organisation", "municipality"]


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["user", "organisation", "role", "unit", "created_at"]
    list_filter = ["role", "organisation__county"]
    search_fields = ["user__email", "organisation__name"]
    autocomplete_fields = ["user", "organisation", "unit"]
