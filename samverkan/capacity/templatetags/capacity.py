from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from samverkan.capacity.models import ClosureReason

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{number_format(round(value * 100), 0)} %"


@register.filter
def age(moment) -> str:
    """How long ago, in words a coordinator reads at a glance."""
    if moment is None:
        return ""
    minutes = int((timezone.now() - moment).total_seconds() // 60)
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return ngettext("%(n)d minute ago", "%(n)d minutes ago", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 24:
        return ngettext("%(n)d hour ago", "%(n)d hours ago", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day ago", "%(n)d days ago", days) % {"n": days}


@register.filter
def closure_reason(code: str) -> str:
    return str(ClosureReason(code).label) if code in ClosureReason.values else ""


@register.simple_tag
def sort_header(key: str, label: str, current: str, query: str, css: str = ""):
    """A column header that sorts the table by `key`, announcing the current sort to screen readers."""
    sorted_here = key == current
    return format_html(
        '<th scope="col" class="{}"{}><a href="?{}{}sort={}">{}</a></th>',
        css,
        format_html(' aria-sort="{}"', "descending" if key in {"free", "occupancy"} else "ascending")
        if sorted_here
        else "",
        query,
        "&" if query else "",
        key,
        label,
    )


@register.filter
def level_of(levels: dict, key) -> str:
    """A row's colour (capacity/thresholds.py) from the view's table of them."""
    return levels.get(key, "") if levels else ""


@register.filter
def level_label(level: str) -> str:
    """The colour in words, for those who do not see it."""
    return {"red": _("Red"), "amber": _("Amber"), "green": _("Green")}.get(level, "")
