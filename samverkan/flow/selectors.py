"""Reads for patient flow: import history, episode lists (access-logged) and statistics."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from samverkan.audit.services import access_log_record
from samverkan.flow import statistics as flow_statistics
from samverkan.flow.models import Episode, ImportRun
from samverkan.organisations import policy


def import_history(principal, county_code: str) -> QuerySet[ImportRun]:
    policy.require(principal, "flow.import", county_code=county_code)
    return ImportRun.objects.filter(source__county_id=county_code).select_related("source", "imported_by")


def episode_list(
    principal, *, county_code: str, municipality: str | None = None, reason: str, limit: int = 200
) -> list[Episode]:
    """Episodes the principal may see; every read is written to the access log (who, what, why)."""
    policy.require(principal, "flow.episodes")
    episodes = Episode.objects.visible_to(principal).filter(source__county_id=county_code)
    if municipality:
        episodes = episodes.filter(home_municipality_id=municipality)
    rows = list(episodes.select_related("home_municipality", "hospital_unit", "source")[:limit])
    access_log_record(
        actor=principal,
        resource=f"flow.episode_list county={county_code} municipality={municipality or '*'}",
        reason=reason,
        object_ids=[e.pk for e in rows],
    )
    return rows


def statistics(
    principal,
    *,
    county_code: str,
    start: datetime.date,
    end: datetime.date,
    granularity: str = flow_statistics.Granularity.WEEK,
    filters: flow_statistics.Filters | None = None,
    grace_days: int = flow_statistics.GRACE_DAYS,
) -> flow_statistics.Statistics:
    """Patient-flow statistics of a county per home municipality and per day, ISO week or month
    over the local dates `start`..`end` (both included), with county totals. Exact figures; hide
    small counts with the cells of `samverkan.flow.statistics` when not `shows_exact_counts`.
    A fixed number of queries (five); the definitions are in
    `samverkan.flow.statistics`."""
    return flow_statistics.statistics(
        principal,
        county_code=county_code,
        start=start,
        end=end,
        granularity=granularity,
        filters=filters,
        grace_days=grace_days,
    )


def shows_exact_counts(principal) -> bool:
    scope = policy.scope_of(principal)
    return scope.is_admin or bool(scope.roles & policy.EXACT_COUNT_ROLES)
