import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def small(value: int, exact: bool) -> str:
    """Counts of 1–4 as "<5" for those who may not see small counts (patient privacy)."""
    if not exact and 0 < value < 5:
        return "<5"
    return str(value)


@register.filter
def get(mapping: dict, key):
    return mapping.get(key, 0)


@register.filter
def days_waiting(ready_at: datetime.datetime | None) -> int | None:
    """Calendar days from the local date of the ready-for-discharge notice to today (0: today),
    counted as days ready are (flow/statistics.py)."""
    if ready_at is None:
        return None
    return (timezone.localdate() - timezone.localtime(ready_at).date()).days
