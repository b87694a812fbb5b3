from django import template

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
