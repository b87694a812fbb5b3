"""Reads for the review page: the county's audit events and access log, narrowed by the policy
(the audit app sits below the policy, so its rows are narrowed here with `policy.restrict`)."""

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


def audit_events(principal: policy.Asker) -> QuerySet[AuditEvent]:
    """Every audit event the principal may review."""
    return policy.restrict(AuditEvent.objects.all(), principal, "audit.review")


def audit_event_list(principal: policy.Asker, filters: AuditFilter) -> QuerySet[AuditEvent]:
    policy.require(principal, "audit.review")
    events = _filtered(audit_events(principal), filters)
    if filters.event_type:
        events = events.filter(event_type=filters.event_type)
    return events.select_related("organisation")


def access_log_list(principal: policy.Asker, filters: AuditFilter) -> QuerySet[AccessLogEntry]:
    policy.require(principal, "audit.review")
    entries = policy.restrict(AccessLogEntry.objects.all(), principal, "audit.review")
    return _filtered(entries, filters).select_related("organisation")


def audit_event_types(principal: policy.Asker) -> list[str]:
    return list(audit_events(principal).order_by("event_type").values_list("event_type", flat=True).distinct())
