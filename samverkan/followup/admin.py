from django.contrib import admin

from samverkan.audit.admin import AuditedModelAdmin
from samverkan.followup.models import Agreement, DayRate


@admin.register(Agreement)
class AgreementAdmin(AuditedModelAdmin):
    list_display = ["county", "valid_from", "name", "grace_days_somatic", "grace_days_psychiatric", "model"]
    list_filter = ["county"]


@admin.register(DayRate)
class DayRateAdmin(AuditedModelAdmin):
    list_display = ["county", "year", "amount"]
    list_filter = ["county"]
