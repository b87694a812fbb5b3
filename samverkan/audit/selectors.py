"""Reads for the audit review page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

from samverkan.audit.models import AccessLogEntry, AuditEvent
from samverkan.organisations import policy


@dataclass(frozen=True)
class AuditFilter:
    event_type: str = ""
    organisation_id: int | None = None
    actor: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None


def _filtered(queryset: QuerySet, filters: AuditFilter) -> QuerySet:
    if filters.organisation_id:
        queryset = queryset.filter(organisation_id=filters.organisation_id)
    if filters.actor:
        queryset = queryset.filter(actor_label__icontains=filters.actor)
    if filters.since:
        queryset = queryset.filter(occurred_at__date__gte=filters.since)
    if filters.until:
        queryset = queryset.filter(occurred_at__date__lte=filters.until)
    return queryset


def audit_event_list(principal, filters: AuditFilter) -> QuerySet[AuditEvent]:
    policy.require(principal, "audit.review")
    events = _filtered(AuditEvent.objects.visible_to(principal), filters)
    if filters.event_type:
        events = events.filter(event_type=filters.event_type)
    return events.select_related("organisation")


def access_log_list(principal, filters: AuditFilter) -> QuerySet[AccessLogEntry]:
    policy.require(principal, "audit.review")
    return _filtered(AccessLogEntry.objects.visible_to(principal), filters).select_related("organisation")


def audit_event_types(principal) -> list[str]:
    return list(
        AuditEvent.objects.visible_to(principal).order_by("event_type").values_list("event_type", flat=True).distinct()
    )
