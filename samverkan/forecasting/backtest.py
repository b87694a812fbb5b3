"""Rolling-origin evaluation: forecast from weekly origins as if the later data were unknown, and
score the forecasts against what happened (samverkan/forecasting/metrics.py).

Origins: every 7th day going back from the last day that leaves a whole horizon to score, over the
last 365 days of the data (all of it if shorter), each with at least MIN_HISTORY days before it.
Every model is fitted afresh at each origin on the data up to it; intervals come from its own
errors before that origin only."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

import numpy as np

from samverkan.forecasting import flowmodel, methods
from samverkan.forecasting.methods import HORIZON, LEVELS, Array
from samverkan.forecasting.metrics import Tally, scale

MIN_HISTORY = 35
YEAR = 365
# The model the product uses for a general daily series (hospital counts); the flow model is used
# for short-term occupancy, which needs arrivals beside it (samverkan/forecasting/flowmodel.py).
SELECTED = "damped_ets"


class SeriesError(ValueError):
    """A series file that cannot be read; the message names the row and the column."""


@dataclass
class SeriesTable:
    days: list[datetime.date]
    names: list[str]
    values: Array  # (series, days), NaN where blank


def read_series(text: str) -> SeriesTable:
    """A CSV with a `date` column (YYYY-MM-DD, consecutive days) and one or more value columns;
    blank cells are unknown days. Raises SeriesError naming row and column."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header or "date" not in [h.strip() for h in header]:
        raise SeriesError("Row 1: the header needs a 'date' column.")
    header = [h.strip() for h in header]
    date_at = header.index("date")
    names = [h for i, h in enumerate(header) if i != date_at]
    if not names:
        raise SeriesError("Row 1: no value column beside 'date'.")
    days: list[datetime.date] = []
    rows: list[list[float]] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise SeriesError(f"Row {number}: {len(row)} fields, the header has {len(header)}.")
        try:
            day = datetime.date.fromisoformat(row[date_at].strip())
        except ValueError:
            raise SeriesError(f"Row {number}, column date: {row[date_at]!r} is not a date (YYYY-MM-DD).") from None
        if days and day != days[-1] + datetime.timedelta(days=1):
            raise SeriesError(f"Row {number}, column date: {day} does not follow {days[-1]} (one row per day).")
        values = []
        for i, cell in enumerate(row):
            if i == date_at:
                continue
            cell = cell.strip()
            if not cell:
                values.append(np.nan)
                continue
            try:
                value = float(cell)
            except ValueError:
                raise SeriesError(f"Row {number}, column {header[i]}: {cell!r} is not a number.") from None
            if not np.isfinite(value) or value < 0:
                raise SeriesError(f"Row {number}, column {header[i]}: {cell!r} must be a number of at least 0.")
            values.append(value)
        days.append(day)
        rows.append(values)
    if not rows:
        raise SeriesError("Row 2: no data rows.")
    return SeriesTable(days=days, names=names, values=np.array(rows, dtype=float).T)


def origins(length: int, horizon: int) -> list[int]:
    """The origins (index of the last known day), oldest first."""
    last = length - 1 - horizon
    first = max(MIN_HISTORY - 1, length - YEAR)
    return list(range(last, first - 1, -7))[::-1]


def backtest(
    values: Array, *, horizon: int = HORIZON, models: tuple[str, ...] = methods.METHODS, arrivals: Array | None = None
) -> dict[str, dict[str, dict[str, float | int | None]]]:
    """Metrics per model and horizon band, pooled over all series (rows) and origins. The flow
    model (`occupancy_flow`) needs the arrivals beside the occupancy."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    tallies = {model: Tally() for model in models}
    for origin in origins(values.shape[1], horizon):
        history = values[:, : origin + 1]
        actual = values[:, origin + 1 : origin + 1 + horizon]
        series_scale = scale(history)
        for model in models:
            if model == "occupancy_flow":
                if arrivals is None:
                    raise ValueError("the flow model needs arrivals")
                result = flowmodel.forecast(history, arrivals[:, : origin + 1], horizon=horizon)
            else:
                result = methods.forecast(history, model, horizon=horizon)
            intervals = {level: result.interval(level) for level in LEVELS}
            tallies[model].add(actual, result.point, intervals, series_scale)
    return {model: tally.result() for model, tally in tallies.items()}
