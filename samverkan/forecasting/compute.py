"""One forecast run of a county, computed (no writes: samverkan/forecasting/services.py stores it).

For every area (each municipality and the county) and series kind, every method's forecast of
the next `horizon` days with its 50/80/95 % intervals; for short-term occupancy also the flow
model, and per day the probability that demand exceeds the staffed places, and the staffed plus
surge places: the staffed places as last reported plus the planned changes in force by each day
ahead (capacity's planned changes after each unit's latest report), the surge places as last
reported. The staffed places' forecast is the last value with the planned changes added. The
method shown first (`SELECTED`) is the flow model for short-term occupancy and damped exponential
smoothing for the rest. Accuracy: a rolling-origin backtest of the county's own series (backtest.py)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from samverkan.forecasting import backtest, flowmodel, methods
from samverkan.forecasting.methods import LEVELS, Array, Forecast
from samverkan.forecasting.models import Method, SeriesKind
from samverkan.forecasting.series import CountySeries

HISTORY_SHOWN = 56  # days of history stored with each forecast, for the chart
DEMAND_KINDS = (SeriesKind.ADMISSIONS, SeriesKind.IN_HOSPITAL, SeriesKind.READY, SeriesKind.TO_SHORT_TERM)
SELECTED = {
    SeriesKind.ADMISSIONS: Method.DAMPED_ETS,
    SeriesKind.IN_HOSPITAL: Method.DAMPED_ETS,
    SeriesKind.READY: Method.DAMPED_ETS,
    SeriesKind.TO_SHORT_TERM: Method.DAMPED_ETS,
    SeriesKind.SHORT_TERM_OCCUPANCY: Method.OCCUPANCY_FLOW,
    SeriesKind.SHORT_TERM_STAFFED: Method.FLAT,
}
SHORTAGE_DAYS = 7


@dataclass
class SeriesResult:
    area: str | None
    kind: str
    method: str
    selected: bool
    history: list[float | None]
    point: list[float]
    lower: dict[str, list[float]]
    upper: dict[str, list[float]]
    above_staffed: list[float] | None = None
    above_surge: list[float] | None = None


@dataclass
class RunResult:
    origin: datetime.date
    series: list[SeriesResult] = field(default_factory=list)
    accuracy: dict[str, dict] = field(default_factory=dict)
    shortage_7d: float | None = None  # percent


def _rounded(values: Array, digits: int = 1) -> list[float]:
    return [round(float(v), digits) for v in values]


def _history(row: Array) -> list[float | None]:
    return [None if np.isnan(v) else round(float(v), 1) for v in row[-HISTORY_SHOWN:]]


def _results(
    kind: str, method: str, areas: list[str | None], rows: list[int], values: Array, forecast: Forecast
) -> list[SeriesResult]:
    intervals = {level: forecast.interval(level) for level in LEVELS}
    out = []
    for position, row in enumerate(rows):
        out.append(
            SeriesResult(
                area=areas[row],
                kind=kind,
                method=method,
                selected=SELECTED[SeriesKind(kind)] == method,
                history=_history(values[row]),
                point=_rounded(forecast.point[position]),
                lower={str(level): _rounded(low[position]) for level, (low, _high) in intervals.items()},
                upper={str(level): _rounded(high[position]) for level, (_low, high) in intervals.items()},
            )
        )
    return out


def _known_rows(values: Array) -> list[int]:
    """Rows with at least two known days: the others have nothing to forecast from."""
    return [i for i in range(values.shape[0]) if (~np.isnan(values[i])).sum() >= 2]


def with_planned(forecast: Forecast, planned: Array) -> Forecast:
    """The forecast with the planned changes (rows, horizon) added to every value, never below 0."""
    samples = np.log1p(np.maximum(np.expm1(forecast.samples) + planned[:, :, None], 0.0))
    return Forecast(method=forecast.method, point=np.maximum(forecast.point + planned, 0.0), samples=samples)


def compute(
    data: CountySeries, *, horizon: int = methods.HORIZON, progress: Callable[[int], None] | None = None
) -> RunResult:
    report = progress or (lambda percent: None)
    result = RunResult(origin=data.end)
    steps = len(DEMAND_KINDS) + 3
    done = 0
    for kind in DEMAND_KINDS:
        values = data.values[kind.value]
        rows = _known_rows(values)
        if rows:
            for method in methods.METHODS:
                forecast = methods.forecast(values[rows], method, horizon=horizon)
                result.series.extend(_results(kind.value, method, data.areas, rows, values, forecast))
        done += 1
        report(int(100 * done / steps))

    occupancy = data.values[SeriesKind.SHORT_TERM_OCCUPANCY.value]
    staffed = data.values[SeriesKind.SHORT_TERM_STAFFED.value]
    arrivals = data.values[SeriesKind.TO_SHORT_TERM.value]
    rows = _known_rows(occupancy)
    if rows:
        staffed_now = methods.forward_fill(staffed[rows])[:, -1]
        surge_now = np.nan_to_num(methods.forward_fill(data.surge[rows])[:, -1])
        planned = data.planned_staffed[rows, :horizon]  # horizon <= PLANNED_DAYS (28)
        staffed_ahead = np.maximum(staffed_now[:, None] + planned, 0.0)
        forecasts = {m: methods.forecast(occupancy[rows], m, horizon=horizon) for m in methods.METHODS}
        forecasts[Method.OCCUPANCY_FLOW.value] = flowmodel.forecast(occupancy[rows], arrivals[rows], horizon=horizon)
        for method, forecast in forecasts.items():
            produced = _results(SeriesKind.SHORT_TERM_OCCUPANCY.value, method, data.areas, rows, occupancy, forecast)
            above_staffed = forecast.prob_above(staffed_ahead)
            above_surge = forecast.prob_above(staffed_ahead + surge_now[:, None])
            for position, item in enumerate(produced):
                if not np.isnan(staffed_now[position]):
                    item.above_staffed = _rounded(above_staffed[position], 3)
                    item.above_surge = _rounded(above_surge[position], 3)
            result.series.extend(produced)
            if method == SELECTED[SeriesKind.SHORT_TERM_OCCUPANCY] and data.areas[rows[-1]] is None:
                county_p = above_staffed[-1, :SHORTAGE_DAYS]
                if not np.isnan(county_p).all():
                    result.shortage_7d = round(float(np.nanmax(county_p)) * 100, 1)
        flat_staffed = with_planned(methods.forecast(staffed[rows], "flat", horizon=horizon), planned)
        result.series.extend(
            _results(SeriesKind.SHORT_TERM_STAFFED.value, Method.FLAT.value, data.areas, rows, staffed, flat_staffed)
        )
    done += 1
    report(int(100 * done / steps))

    result.accuracy = accuracy(data, horizon=horizon)
    report(100)
    return result


def accuracy(data: CountySeries, *, horizon: int) -> dict[str, dict]:
    """Backtest of the county's own series (the last row of each kind), per kind and method."""
    out: dict[str, dict] = {}
    county = len(data.areas) - 1
    for kind in (*DEMAND_KINDS, SeriesKind.SHORT_TERM_OCCUPANCY):
        values = data.values[kind.value][county : county + 1]
        known = ~np.isnan(values[0])
        if known.sum() < backtest.MIN_HISTORY + horizon:
            continue
        first = int(np.argmax(known))
        values = values[:, first:]
        if kind == SeriesKind.SHORT_TERM_OCCUPANCY:
            arrivals = data.values[SeriesKind.TO_SHORT_TERM.value][county : county + 1, first:]
            out[kind.value] = backtest.backtest(
                values, horizon=horizon, models=(*methods.METHODS, Method.OCCUPANCY_FLOW.value), arrivals=arrivals
            )
        else:
            out[kind.value] = backtest.backtest(values, horizon=horizon)
    return out
