"""Short sentences saying what changed since the previous published report.

Computed from two reports' stored figures (both fixed once published), so a report always tells
the same story; rendered in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samverkan.situation.models import SituationReport

Json = dict[str, Any]


@dataclass(frozen=True)
class Measure:
    """A figure followed from report to report: its name in a sentence and where it is stored."""

    what: Any  # a lazily translated noun phrase
    read: Callable[[Json], int | float | None]


def _get(*path: str) -> Callable[[Json], int | float | None]:
    def read(figures: Json) -> int | float | None:
        value: Any = figures
        for step in path:
            if not isinstance(value, dict) or step not in value:
                return None
            value = value[step]
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    return read


def _last_week(name: str) -> Callable[[Json], int | float | None]:
    return _get("flow", "last_week", name)


def _equipment(name: str) -> Callable[[Json], int | float | None]:
    """The sum over the equipment types of one figure (None when the report has no such section)."""

    def read(figures: Json) -> int | float | None:
        rows = (figures.get("resources") or {}).get("equipment")
        if not isinstance(rows, list) or not rows:
            return None
        values = [row.get(name) for row in rows if isinstance(row, dict)]
        counts = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        return sum(counts) if len(counts) == len(values) else None

    return read


MEASURES: tuple[Measure, ...] = (
    Measure(gettext_lazy("Free places in the county"), _get("capacity", "totals", "free")),
    Measure(gettext_lazy("Occupied places in the county"), _get("capacity", "totals", "occupied")),
    Measure(gettext_lazy("Open place requests"), _get("placements", "open_requests")),
    Measure(gettext_lazy("Requests waiting longer than the plan's hours"), _get("placements", "waiting_long")),
    Measure(gettext_lazy("Places shared between municipalities"), _get("placements", "shared_places")),
    Measure(gettext_lazy("Admissions in the latest whole week"), _last_week("admissions")),
    Measure(gettext_lazy("Patients ready for discharge still in hospital"), _last_week("ready_in_hospital")),
    Measure(gettext_lazy("Shared equipment available now"), _equipment("available_now")),
    Measure(gettext_lazy("Equipment loans past their last day"), _equipment("overdue")),
    Measure(
        gettext_lazy("The probability (%) of a shortage of short-term places within 7 days"),
        _get("forecast", "shortage_7d"),
    ),
)


def _number(value: int | float) -> str:
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)


def _sentence(what: str, before: int | float, after: int | float) -> str | None:
    if after > before:
        return _("%(what)s rose from %(before)s to %(after)s.") % {
            "what": what,
            "before": _number(before),
            "after": _number(after),
        }
    if after < before:
        return _("%(what)s fell from %(before)s to %(after)s.") % {
            "what": what,
            "before": _number(before),
            "after": _number(after),
        }
    return None


def _supplies(figures: Json) -> dict[str, Json]:
    section = ((figures.get("resources") or {}).get("supply") or {}).get("items", [])
    return {row["code"]: row for row in section if isinstance(row, dict) and "code" in row}


def _indicators(figures: Json) -> dict[str, Json]:
    section = figures.get("epidemiology") or {}
    return {row["code"]: row for row in section.get("indicators", []) if isinstance(row, dict) and "code" in row}


def change_sentences(report: SituationReport, *, before: Json | None = None, after: Json | None = None) -> list[str]:
    """What changed between the report's previous published report and it, one sentence per
    figure that changed (figures unchanged, hidden or missing on either side say nothing).
    `before` and `after` replace the two reports' figures (the public page's hide small counts)."""
    previous = report.previous
    if previous is None:
        return [_("This is the county's first published situation report.")]
    before = previous.figures if before is None else before
    after = report.figures if after is None else after
    since = _("Since report %(number)s of %(date)s:") % {
        "number": previous,
        "date": date_format(previous.published_at, "Y-m-d") if previous.published_at else "–",
    }
    sentences = []
    for measure in MEASURES:
        old, new = measure.read(before), measure.read(after)
        if old is not None and new is not None and (sentence := _sentence(str(measure.what), old, new)):
            sentences.append(sentence)
    old_step = (before.get("placements") or {}).get("escalation", {}).get("current", {})
    new_step = (after.get("placements") or {}).get("escalation", {}).get("current", {})
    if old_step and new_step and old_step.get("order") != new_step.get("order"):
        sentences.append(
            _("The escalation step changed from %(before)s to %(after)s (%(name)s).")
            % {"before": old_step.get("order"), "after": new_step.get("order"), "name": new_step.get("name", "")}
        )
    old_supplies = _supplies(before)
    for code, row in _supplies(after).items():
        old_days, new_days = old_supplies.get(code, {}).get("days"), row.get("days")
        if isinstance(old_days, int) and isinstance(new_days, int):
            what = _("Days of supply of %(article)s in the county") % {"article": row.get("name", code)}
            if sentence := _sentence(what, old_days, new_days):
                sentences.append(sentence)
    old_indicators = _indicators(before)
    for code, row in _indicators(after).items():
        old_value, new_value = old_indicators.get(code, {}).get("value"), row.get("value")
        if isinstance(old_value, int) and isinstance(new_value, int):
            sentence = _sentence(str(row.get("name", code)), old_value, new_value)
            if sentence:
                sentences.append(sentence)
    if not sentences:
        return [since, _("No figure has changed.")]
    return [since, *sentences]
