"""Accuracy of forecasts: MASE, the weighted interval score and interval coverage, per horizon band.

- MASE: |actual − median| divided by the series' scale, the mean absolute difference between a
  day and the same weekday a week earlier over the history up to the forecast's origin (so the
  weekly seasonal-naive forecast one week ahead scores about 1). Pooled over series, origins and
  the days of the band.
- WIS (weighted interval score, Bracher et al. 2021) of the median and the central 50, 80 and 95 %
  intervals: (½|y − m| + Σ_k α_k/2 · IS_α_k) / (K + ½), IS_α = (u − l) + 2/α (l − y)⁺ + 2/α (y − u)⁺;
  divided by the same scale as MASE so that series of different size can be pooled.
- coverage80, coverage95: the share of actual values inside the interval (bounds included).
"""

from __future__ import annotations

import numpy as np

from samverkan.forecasting.methods import LEVELS, WEEK, Array

BANDS = ((1, 7), (8, 14), (15, 21), (22, 28))


def band_name(band: tuple[int, int]) -> str:
    return f"{band[0]}-{band[1]}"


def scale(history: Array) -> Array:
    """Per series (rows) the mean absolute weekly difference over `history`; NaN days skipped."""
    history = np.atleast_2d(history)
    diffs = np.abs(history[:, WEEK:] - history[:, :-WEEK])
    known = ~np.isnan(diffs)
    total = np.where(known, diffs, 0.0).sum(axis=1)
    count = known.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def interval_score(actual: Array, lower: Array, upper: Array, level: int) -> Array:
    alpha = 1 - level / 100
    return (
        (upper - lower) + (2 / alpha) * np.maximum(lower - actual, 0.0) + (2 / alpha) * np.maximum(actual - upper, 0.0)
    )


def weighted_interval_score(actual: Array, median: Array, intervals: dict[int, tuple[Array, Array]]) -> Array:
    total = 0.5 * np.abs(actual - median)
    for level, (lower, upper) in intervals.items():
        alpha = 1 - level / 100
        total = total + (alpha / 2) * interval_score(actual, lower, upper, level)
    return total / (len(intervals) + 0.5)


class Tally:
    """Running sums per horizon band: absolute scaled errors, scaled WIS, hits of 80 and 95 %."""

    def __init__(self) -> None:
        self.sums: dict[str, dict[str, float]] = {
            band_name(b): {"mase": 0.0, "wis": 0.0, "coverage80": 0.0, "coverage95": 0.0, "n": 0} for b in BANDS
        }

    def add(self, actual: Array, median: Array, intervals: dict[int, tuple[Array, Array]], series_scale: Array) -> None:
        """Add one origin's forecasts: arrays (series, horizon); `series_scale` (series,)."""
        horizon = actual.shape[1]
        usable = ~np.isnan(actual) & (series_scale[:, None] > 0) & ~np.isnan(median)
        sc = np.where(series_scale > 0, series_scale, 1.0)[:, None]
        abs_err = np.abs(actual - median) / sc
        wis = weighted_interval_score(actual, median, intervals) / sc
        lo80, hi80 = intervals[80]
        lo95, hi95 = intervals[95]
        in80 = (actual >= lo80) & (actual <= hi80)
        in95 = (actual >= lo95) & (actual <= hi95)
        for first, last in BANDS:
            if first > horizon:
                continue
            cols = slice(first - 1, min(last, horizon))
            mask = usable[:, cols]
            row = self.sums[band_name((first, last))]
            row["mase"] += float(abs_err[:, cols][mask].sum())
            row["wis"] += float(wis[:, cols][mask].sum())
            row["coverage80"] += float(in80[:, cols][mask].sum())
            row["coverage95"] += float(in95[:, cols][mask].sum())
            row["n"] += int(mask.sum())

    def result(self) -> dict[str, dict[str, float | int | None]]:
        out: dict[str, dict[str, float | int | None]] = {}
        for name, row in self.sums.items():
            n = int(row["n"])
            if not n:
                continue
            out[name] = {
                "mase": round(row["mase"] / n, 4),
                "wis": round(row["wis"] / n, 4),
                "coverage80": round(row["coverage80"] / n, 4),
                "coverage95": round(row["coverage95"] / n, 4),
                "n": n,
            }
        return out


__all__ = ["BANDS", "LEVELS", "Tally", "band_name", "interval_score", "scale", "weighted_interval_score"]
