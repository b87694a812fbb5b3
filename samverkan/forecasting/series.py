"""The daily series a county's forecasts start from, per municipality and for the county.

From flow's daily rows (by the patients' home municipality): admissions; patients in hospital
(the opening stock before the first day + admissions − discharges, day by day); patients ready
for discharge (ready notices − discharges after a ready notice, likewise); discharges to
short-term care. From capacity's reports (by the municipality where the units are): occupied,
staffed and surge places of short-term units, each unit with its latest report by the end of the
day, and the planned changes of their staffed places over the days ahead. The county's series are
the sums of its municipalities'. Days before the county's first flow (before the first admission
or discharge in the window) are unknown."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from samverkan.capacity import selectors as capacity
from samverkan.flow import selectors as flow
from samverkan.forecasting.methods import HORIZON, Array
from samverkan.forecasting.models import SeriesKind
from samverkan.organisations import policy
from samverkan.organisations.models import Municipality

HISTORY_DAYS = 730
PLANNED_DAYS = HORIZON  # days ahead with planned changes of staffed places


@dataclass
class CountySeries:
    start: datetime.date
    days: int
    areas: list[str | None]  # municipality codes, then None for the county
    values: dict[str, Array]  # kind -> (areas, days), NaN where unknown
    surge: Array  # (areas, days) short-term surge places
    planned_staffed: Array  # (areas, PLANNED_DAYS): planned change of staffed places on each day ahead

    @property
    def end(self) -> datetime.date:
        return self.start + datetime.timedelta(days=self.days - 1)

    def dates(self) -> list[datetime.date]:
        return [self.start + datetime.timedelta(days=i) for i in range(self.days)]


def _with_county(rows: Array) -> Array:
    """The municipalities' rows and their sum as the last row (NaN only where all are)."""
    known = ~np.isnan(rows)
    total = np.where(known.any(axis=0), np.nansum(rows, axis=0), np.nan)
    return np.vstack([rows, total[None, :]])


def county_series(county_code: str, end: datetime.date, *, days: int = HISTORY_DAYS) -> CountySeries:
    """The county's series over `days` days up to and including `end`, read as the system."""
    start = end - datetime.timedelta(days=days - 1)
    codes = list(Municipality.objects.filter(county_id=county_code).order_by("code").values_list("code", flat=True))
    daily = flow.daily_series(policy.SYSTEM, county_code, start, end)
    places = capacity.daily_places(policy.SYSTEM, county_code, start, end, kind="short_term", ahead=PLANNED_DAYS)

    def flow_rows(field: str) -> Array:
        return np.array([daily.figures[c][field] for c in codes], dtype=float).reshape(len(codes), days)

    admissions = flow_rows("admissions")
    in_hospital = np.array([[daily.opening[c]["in_hospital"]] for c in codes], dtype=float).reshape(
        len(codes), 1
    ) + np.cumsum(admissions - flow_rows("discharges"), axis=1)
    ready = np.array([[daily.opening[c]["ready"]] for c in codes], dtype=float).reshape(len(codes), 1) + np.cumsum(
        flow_rows("ready_notices") - flow_rows("discharged_ready"), axis=1
    )

    def place_rows(figures: dict[str, list[int | None]]) -> Array:
        return np.array(
            [[np.nan if v is None else v for v in figures.get(c, [None] * days)] for c in codes], dtype=float
        ).reshape(len(codes), days)

    # Days before the county's first flow (before any import) are unknown, not zero.
    active = (admissions.sum(axis=0) + flow_rows("discharges").sum(axis=0)) > 0
    first = int(np.argmax(active)) if active.any() else days  # no flow at all: nothing known

    def flow_kind(rows: Array) -> Array:
        rows = _with_county(rows)
        rows[:, :first] = np.nan
        return rows

    values = {
        SeriesKind.ADMISSIONS.value: flow_kind(admissions),
        SeriesKind.IN_HOSPITAL.value: flow_kind(np.maximum(in_hospital, 0.0)),
        SeriesKind.READY.value: flow_kind(np.maximum(ready, 0.0)),
        SeriesKind.TO_SHORT_TERM.value: flow_kind(flow_rows("to_short_term")),
        SeriesKind.SHORT_TERM_OCCUPANCY.value: _with_county(place_rows(places.occupied)),
        SeriesKind.SHORT_TERM_STAFFED.value: _with_county(place_rows(places.staffed)),
    }
    planned = np.array([places.planned_staffed.get(c, [0] * PLANNED_DAYS) for c in codes], dtype=float)
    planned = planned.reshape(len(codes), PLANNED_DAYS)
    return CountySeries(
        start=start,
        days=days,
        areas=[*codes, None],
        values=values,
        surge=_with_county(place_rows(places.surge)),
        planned_staffed=np.vstack([planned, planned.sum(axis=0, keepdims=True)]),
    )
