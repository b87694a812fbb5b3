from django.contrib import admin

from samverkan.audit.admin import AuditedModelAdmin
from samverkan.placements.models import DayRate, EscalationStep, PlacementNeed, PlacementSettings


@admin.register(PlacementNeed)
class PlacementNeedAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "county"]
    list_filter = ["county"]


@admin.register(PlacementSettings)
class PlacementSettingsAdmin(AuditedModelAdmin):
    list_display = ["county", "expiry_hours"]


@admin.register(DayRate)
class DayRateAdmin(AuditedModelAdmin):
    list_display = ["county", "valid_from", "amount"]
    list_filter = ["county"]


@admin.register(EscalationStep)
class EscalationStepAdmin(AuditedModelAdmin):
    list_display = [
        "county",
        "order",
        "name",
        "free_places_at_most",
        "occupancy_at_least",
        "waiting_requests_at_least",
        "shortage_probability_at_least",
    ]
    list_filter = ["county"]
