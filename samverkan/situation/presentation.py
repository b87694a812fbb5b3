"""A report's stored figures made ready for its page: parsed dates, charts (each with its table in
the template) and the change sentences. Used by the report page and every export of it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from samverkan.charts import Series, line_chart
from samverkan.flow.models import Destination
from samverkan.situation.changes import change_sentences
from samverkan.situation.models import SituationReport
from samverkan.situation.opendata import public_figures

Json = dict[str, Any]
# Indicators that count people now (not cumulative totals), charted together on one scale.
CHARTED_INDICATORS = 3
CHARTED_EQUIPMENT = 3  # equipment types on the chart of free items per week (all are in the table)


def _day(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def _moment(text: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(text) if text else None


def _num(value: object) -> float | None:
    """A chart's point: None for a hidden small count (opendata.SMALL) or a missing one."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass
class IndicatorRow:
    code: str
    name: str
    date: datetime.date | None
    value: int | str | None  # str: a hidden small count on the public page
    week_before_date: datetime.date | None
    week_before_value: int | str | None
    series: list[tuple[datetime.date, int | str]] = field(default_factory=list)

    @property
    def difference(self) -> int | None:
        if not isinstance(self.value, int) or not isinstance(self.week_before_value, int):
            return None
        return self.value - self.week_before_value


@dataclass
class ReportView:
    report: SituationReport
    as_of: datetime.datetime | None
    capacity: Json
    placements: Json
    flow: Json
    resources: Json
    forecast: Json
    indicators: list[IndicatorRow]
    sentences: list[str]
    capacity_chart: SafeString
    flow_chart: SafeString
    resources_chart: SafeString
    forecast_chart: SafeString
    epidemiology_chart: SafeString
    epidemiology_days: int

    @property
    def trend(self) -> list[Json]:
        return [{**point, "day": _day(point["day"])} for point in self.capacity.get("trend", [])]

    @property
    def weeks(self) -> list[Json]:
        return [{**week, "start": _day(week["start"]), "end": _day(week["end"])} for week in self.flow.get("weeks", [])]

    @property
    def destinations(self) -> list[tuple[Any, int]]:
        labels = dict(Destination.choices)
        found = (self.flow.get("last_week") or {}).get("destinations", {})
        return [(labels.get(key, key), value) for key, value in found.items()]

    @property
    def charted(self) -> list[IndicatorRow]:
        return charted_indicators(self.indicators)

    @property
    def equipment(self) -> list[Json]:
        """Per equipment type its figures, its weeks' dates parsed."""
        return [
            {**row, "weeks": [{**w, "start": _day(w["start"]), "end": _day(w["end"])} for w in row.get("weeks", [])]}
            for row in self.resources.get("equipment", [])
        ]

    @property
    def equipment_weeks(self) -> list[tuple[datetime.date | None, list[object]]]:
        """The weeks of the equipment chart with the free items of every charted type (its table)."""
        rows = self.equipment[:CHARTED_EQUIPMENT]
        if not rows:
            return []
        return [
            (week["start"], [row["weeks"][i]["free"] if i < len(row["weeks"]) else None for row in rows])
            for i, week in enumerate(rows[0]["weeks"])
        ]

    @property
    def forecast_days(self) -> list[Json]:
        return [{**row, "day": _day(row["day"])} for row in self.forecast.get("days", [])]

    @property
    def supplies(self) -> list[Json]:
        return list((self.resources.get("supply") or {}).get("items", []))


def charted_indicators(rows: list[IndicatorRow]) -> list[IndicatorRow]:
    """The indicators on the chart: those with figures, cumulative case counts left to the table
    (their scale would flatten the others), at most three."""
    return [row for row in rows if row.series and row.code != "confirmed_cases"][:CHARTED_INDICATORS]


def report_view(report: SituationReport, *, public: bool = False) -> ReportView:
    """The report as its page shows it; `public`: with small counts hidden (opendata.py)."""
    figures = public_figures(report.figures or {}) if public else (report.figures or {})
    capacity = figures.get("capacity") or {}
    flow = figures.get("flow") or {}
    epidemiology = figures.get("epidemiology") or {}
    indicators = [
        IndicatorRow(
            code=row["code"],
            name=row["name"],
            date=_day(row.get("date")),
            value=row.get("value"),
            week_before_date=_day(row.get("week_before_date")),
            week_before_value=row.get("week_before_value"),
            series=[(datetime.date.fromisoformat(day), value) for day, value in row.get("series", [])],
        )
        for row in epidemiology.get("indicators", [])
    ]
    capacity_chart = line_chart(
        [
            Series(
                _("Free places"),
                [  # a day without a current report is a gap, not 0
                    (datetime.date.fromisoformat(p["day"]), _num(p["free"]) if p.get("reporting_units") else None)
                    for p in capacity.get("trend", [])
                ],
                "series-1",
            )
        ],
        label=_("Free places in the county per day; the figures are in the table below."),
    )
    weeks = flow.get("weeks", [])
    flow_chart = line_chart(
        [
            Series(_("Admissions"), [(datetime.date.fromisoformat(w["start"]), _num(w["admissions"])) for w in weeks]),
            Series(
                _("Discharges"),
                [(datetime.date.fromisoformat(w["start"]), _num(w["discharges"])) for w in weeks],
                "series-2",
            ),
            Series(
                _("Ready, in hospital at end"),
                [(datetime.date.fromisoformat(w["start"]), _num(w["ready_in_hospital"])) for w in weeks],
                "series-3",
            ),
        ],
        label=_(
            "Admissions, discharges and patients ready for discharge per week; the figures are in the table below."
        ),
    )
    resources = figures.get("resources") or {}
    resources_chart = line_chart(
        [
            Series(
                row["name"],
                [(datetime.date.fromisoformat(w["start"]), _num(w["free"])) for w in row.get("weeks", [])],
                f"series-{i}",
            )
            for i, row in enumerate(resources.get("equipment", [])[:CHARTED_EQUIPMENT], start=1)
        ],
        label=_("Free items of shared equipment per coming week; the figures are in the table below."),
    )
    forecast = figures.get("forecast") or {}
    forecast_days = forecast.get("days", [])
    forecast_chart = line_chart(
        [
            Series(
                _("Expected occupied short-term places"),
                [(datetime.date.fromisoformat(d["day"]), _num(d["expected"])) for d in forecast_days],
                "series-1",
            ),
            Series(
                _("Staffed places"),
                [(datetime.date.fromisoformat(d["day"]), _num(d["staffed"])) for d in forecast_days],
                "series-2",
            ),
        ],
        label=_(
            "Forecast of occupied short-term places and the staffed places per day; the figures are in the table below."
        ),
    )
    epidemiology_chart = line_chart(
        [
            Series(row.name, [(day, _num(value)) for day, value in row.series], f"series-{i}")
            for i, row in enumerate(charted_indicators(indicators), start=1)
        ],
        label=_("Epidemiology figures per day; the figures are in the table below."),
    )
    return ReportView(
        report=report,
        as_of=_moment(figures.get("as_of")),
        capacity=capacity,
        placements=figures.get("placements") or {},
        flow=flow,
        resources=resources,
        forecast=forecast,
        indicators=indicators,
        sentences=change_sentences(
            report,
            before=public_figures(report.previous.figures) if public and report.previous else None,
            after=figures if public else None,
        ),
        capacity_chart=capacity_chart,
        flow_chart=flow_chart,
        resources_chart=resources_chart,
        forecast_chart=forecast_chart,
        epidemiology_chart=epidemiology_chart,
        epidemiology_days=epidemiology.get("days", 0),
    )
