"""What discharge follow-up does when flow's episodes change (samverkan/flow/signals.py)."""

from __future__ import annotations

import datetime

from django.dispatch import receiver

from samverkan.flow.signals import episodes_changed
from samverkan.followup import indicators, liability, monthly, tasks
from samverkan.organisations.models import Municipality


@receiver(episodes_changed)
def forget_months_after_import(sender, source_county: str, touched: dict[str, datetime.datetime], **kwargs) -> None:
    """An import created or changed episodes: the stored months of the counties concerned (those of
    the home municipalities touched, and the source's, whose sources readmissions are found in),
    from 31 days before the earliest admission touched, are deleted in the import's transaction and
    built again after it commits (followup/monthly.py)."""
    # 30 × 24 hours can reach back 31 local dates across a clock change: one day more.
    since = liability.local_date(min(touched.values())) - datetime.timedelta(days=indicators.READMISSION_DAYS + 1)
    counties = set(Municipality.objects.filter(code__in=touched).values_list("county_id", flat=True))
    for county in sorted(counties | {source_county}):
        monthly.forget(county, since)
        tasks.build_later(county)
