"""A published report's figures for everyone: the public page and the open data files (CSV, JSON).

Small counts are hidden: every count from 1 to 4 anywhere in the figures (a unit, a municipality,
a day, an indicator) becomes `SMALL` on the page ("<5") and null in the files, so that no small
group of patients can be picked out. Numbers that are not counts of people or places (a step's
order, hours, days, the rounding base) are kept (`NOT_COUNTS`). Patient-flow counts are already
rounded to multiples of 5 (compose.py) and so never fall between 1 and 4. The figures hold no
episode-level data: every section is an aggregate per county, municipality or day.

The CSV has one row per figure: `section`, `field` (a dotted path; lists are keyed by their
municipality code, day or week start), `value` (empty: hidden or not known)."""

from __future__ import annotations

from typing import Any

from samverkan import tables

SMALL = "<5"
SMALLEST_SHOWN = 5
NOT_COUNTS = frozenset(
    {"order", "waiting_hours", "rounded_to", "days", "window_days", "shortage_7d", "shortage_percent", "above_staffed_percent", "occupancy_percent", "number", "version"}
)  # fmt: skip
LIST_KEYS = ("code", "day", "start")

Json = dict[str, Any]


def suppress(value: Any, marker: Any = SMALL, key: str = "") -> Any:
    """`value` with every count from 1 to 4 replaced by `marker`."""
    if isinstance(value, dict):
        return {k: suppress(v, marker, k) for k, v in value.items()}
    if isinstance(value, list):
        return [suppress(item, marker, key) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and key not in NOT_COUNTS:
        return marker if 0 < value < SMALLEST_SHOWN else value
    return value


def public_figures(figures: Json, marker: Any = SMALL) -> Json:
    """The figures everyone may see."""
    result: Json = suppress(figures, marker)
    return result


def _rows(value: Any, path: list[str]) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [row for k, v in value.items() for row in _rows(v, [*path, str(k)])]
    if isinstance(value, list):
        rows: list[tuple[str, Any]] = []
        for index, item in enumerate(value):
            name = next((str(item[k]) for k in LIST_KEYS if isinstance(item, dict) and k in item), None)
            if name is None and isinstance(item, list) and len(item) == 2 and isinstance(item[0], str):
                rows.append((".".join([*path, item[0]]), item[1]))  # a [day, value] pair
                continue
            rows.extend(_rows(item, [*path, name if name is not None else str(index)]))
        return rows
    return [(".".join(path), value)]


def flat(figures: Json) -> list[tuple[str, str, Any]]:
    """(section, field, value) for every figure."""
    rows: list[tuple[str, str, Any]] = []
    for section, content in figures.items():
        if isinstance(content, dict | list):
            rows.extend((section, field, value) for field, value in _rows(content, []))
        else:
            rows.append(("report", section, content))
    return rows


def csv_text(figures: Json) -> str:
    return tables.csv_text_international(
        ["section", "field", "value"], ([s, f, "" if v is None else v] for s, f, v in flat(figures))
    )
