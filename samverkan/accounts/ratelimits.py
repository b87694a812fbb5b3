"""Rate limits counted in the database, shared by every app process (the processes keep no state
of their own): how many requests of a kind (`scope`) one e-mail address or client address may
make within a window. What is counted is stored only as a keyed hash."""

from __future__ import annotations

import datetime
import secrets

from django.db import connection
from django.db.models import Min
from django.utils import timezone
from django.utils.crypto import salted_hmac

from samverkan.accounts.models import RateLimitHit

HOUR = datetime.timedelta(hours=1)
PURGE_EVERY = 100


def allow(scope: str, value: str, *, limit: int, window: datetime.timedelta = HOUR) -> bool:
    """Count one request for `value` (compared without case or surrounding space) in `scope`,
    unless it already made `limit` within `window`; whether it was allowed (and counted)."""
    return take(scope, value, limit=limit, window=window) is None


def take(scope: str, value: str, *, limit: int, window: datetime.timedelta = HOUR) -> float | None:
    """As `allow`, but saying how long to wait when refused: None when the request is allowed
    (and counted), else the seconds until the oldest counted request leaves the window.

    One statement when allowed (every API request passes here twice): the row is inserted only
    while fewer than `limit` rows of `value` lie within the window. Rows that have left the window
    are never counted; about one request in PURGE_EVERY deletes the scope's old ones."""
    key = salted_hmac(f"samverkan.ratelimit.{scope}", value.strip().lower()).hexdigest()
    now = timezone.now()
    since = now - window
    table, scope_, key_, at_ = (
        connection.ops.quote_name(n) for n in (RateLimitHit._meta.db_table, "scope", "key", "at")
    )
    at_value, since_value = (connection.ops.adapt_datetimefield_value(moment) for moment in (now, since))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({scope_}, {key_}, {at_}) SELECT %s, %s, %s "  # noqa: S608 - names quoted, values bound
            f"WHERE (SELECT COUNT(*) FROM {table} WHERE {scope_} = %s AND {key_} = %s AND {at_} > %s) < %s",
            [scope, key, at_value, scope, key, since_value, limit],
        )
        counted = cursor.rowcount == 1
    if counted:
        if secrets.randbelow(PURGE_EVERY) == 0:
            RateLimitHit.objects.filter(scope=scope, at__lte=since).delete()  # the table stays small
        return None
    oldest = RateLimitHit.objects.filter(scope=scope, key=key, at__gt=since).aggregate(oldest=Min("at"))["oldest"]
    return max((oldest + window - now).total_seconds(), 1.0) if oldest else 1.0
