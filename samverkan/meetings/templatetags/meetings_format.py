"""Amounts as the forum writes them: "83 334 kr", "1 000,01 kr" (Swedish grouping and comma)."""

from __future__ import annotations

from django import template

register = template.Library()


def _group(whole: int) -> str:
    return f"{whole:,}".replace(",", "\u00a0")


@register.filter
def ore_as_kronor(ore: int | None) -> str:
    """Öre as kronor: whole kronor without decimals, else with two."""
    if ore is None:
        return ""
    sign = "−" if ore < 0 else ""
    whole, rest = divmod(abs(int(ore)), 100)
    cents = f",{rest:02d}" if rest else ""
    return f"{sign}{_group(whole)}{cents}\u00a0kr"


@register.filter
def kronor(amount: int | None) -> str:
    return "" if amount is None else f"{_group(int(amount))}\u00a0kr"
