"""Rate limits counted in the database, shared by every app process (the processes keep no state
of their own): how many requests of a kind (`scope`) one e-mail address or client address may
make within a window. What is counted is stored only as a keyed hash."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.crypto import salted_hmac

from samverkan.accounts.models import RateLimitHit

HOUR = datetime.timedelta(hours=1)


def allow(scope: str, value: str, *, limit: int, window: datetime.timedelta = HOUR) -> bool:
    """Count one request for `value` (compared without case or surrounding space) in `scope`,
    unless it already made `limit` within `window`; whether it was allowed (and counted)."""
    return take(scope, value, limit=limit, window=window) is None


def take(scope: str, value: str, *, limit: int, window: datetime.timedelta = HOUR) -> float | None:
    """As `allow`, but saying how long to wait when refused: None when the request is allowed
    (and counted), else the seconds until the oldest counted request leaves the window."""
    key = salted_hmac(f"samverkan.ratelimit.{scope}", value.strip().lower()).hexdigest()
    now = timezone.now()
    with transaction.atomic():
        RateLimitHit.objects.filter(scope=scope, at__lte=now - window).delete()  # the table stays small
        counted = RateLimitHit.objects.filter(scope=scope, key=key).aggregate(count=Count("pk"), oldest=Min("at"))
        if counted["count"] >= limit:
            return max((counted["oldest"] + window - now).total_seconds(), 1.0)
        RateLimitHit.objects.create(scope=scope, key=key, at=now)
    return None
