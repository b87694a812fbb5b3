"""The forecasting methods and the accuracy metrics on cases small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from samverkan.forecasting import methods
from samverkan.forecasting.metrics import Tally, interval_score, scale, weighted_interval_score


def test_flat_paths_carry_the_last_known_value():
    y = np.array([[1.0, 2.0, np.nan, 4.0]])
    paths = methods.flat_paths(y, 1, 3)
    assert paths.shape == (1, 3, 3)
    assert paths[0, 0].tolist() == [2.0, 2.0, 2.0]
    assert paths[0, 1].tolist() == [2.0, 2.0, 2.0]  # day 2 unknown: still 2
    assert paths[0, 2].tolist() == [4.0, 4.0, 4.0]


def test_seasonal_naive_takes_the_same_weekday_of_the_last_week():
    y = np.arange(14, dtype=float)[None, :]  # day t has value t
    paths = methods.seasonal_naive_paths(y, 13, 9)
    # From day 13, day 14 is forecast by day 7, day 20 by day 13, day 21 by day 7 again.
    assert paths[0, 0].tolist() == [7, 8, 9, 10, 11, 12, 13, 7, 8]


def test_past_errors_line_up_with_their_targets():
    y = np.array([[0.0, 1.0, 2.0, 3.0]])
    paths = methods.flat_paths(y, 0, 2)  # origins 0..3
    errors = methods.past_errors(y, paths, 0)
    assert errors[0, 0].tolist() == [1.0, 2.0]  # from day 0: day 1 (1 − 0), day 2 (2 − 0)
    assert errors[0, 2, 0] == 1.0  # from day 2: day 3
    assert np.isnan(errors[0, 2, 1]) and np.isnan(errors[0, 3]).all()  # beyond the data


def test_a_constant_series_is_forecast_constant_with_no_spread():
    values = np.full((2, 120), 30.0)
    for method in methods.METHODS:
        result = methods.forecast(values, method, horizon=14)
        assert np.allclose(result.point, 30.0), method
        low, high = result.interval(95)
        assert np.allclose(low, 30.0) and np.allclose(high, 30.0), method


def test_damped_ets_follows_a_steady_exponential_rise_better_than_flat():
    days = np.arange(150)
    values = 10 * np.exp(0.02 * days)[None, :]
    history, future = values[:, :122], values[:, 122:150]
    ets = methods.forecast(history, "damped_ets", horizon=28)
    flat = methods.forecast(history, "flat", horizon=28)
    ets_error = np.abs(ets.point - future).mean()
    flat_error = np.abs(flat.point - future).mean()
    assert ets_error < flat_error / 3
    # Damped: it bends below the undamped rise by four weeks ahead, but keeps rising.
    assert ets.point[0, -1] > ets.point[0, 0] > history[0, -1]


def test_damped_ets_learns_a_weekday_pattern():
    days = np.arange(140)
    values = np.where(days % 7 >= 5, 10.0, 40.0)[None, :]  # weekends low
    result = methods.forecast(values, "damped_ets", horizon=14)
    upcoming = (140 + np.arange(14)) % 7 >= 5
    assert result.point[0, upcoming].max() < 20 < result.point[0, ~upcoming].min()


def test_intervals_nest_and_widen_with_noise():
    rng = np.random.default_rng(3)
    quiet = rng.poisson(50, size=(1, 200)).astype(float)
    noisy = np.maximum(0, 50 + rng.normal(0, 20, size=(1, 200)))
    for values in (quiet, noisy):
        result = methods.forecast(values, "damped_ets", horizon=7)
        l50, u50 = result.interval(50)
        l80, u80 = result.interval(80)
        l95, u95 = result.interval(95)
        assert (l95 <= l80).all() and (l80 <= l50).all() and (l50 <= result.point).all()
        assert (result.point <= u50).all() and (u50 <= u80).all() and (u80 <= u95).all()
    quiet_width = np.subtract(*methods.forecast(quiet, "damped_ets", horizon=7).interval(80)[::-1])
    noisy_width = np.subtract(*methods.forecast(noisy, "damped_ets", horizon=7).interval(80)[::-1])
    assert (noisy_width > quiet_width).all()


def test_probability_above_is_the_share_of_samples_above():
    forecast = methods.Forecast(
        method="flat",
        point=np.array([[10.0, 10.0]]),
        samples=np.log1p(np.array([[[8.0, 9.0, 11.0, 12.0], [8.0, 12.0, 13.0, np.nan]]])),
    )
    assert forecast.prob_above(np.array([10.0])).tolist() == [[0.5, pytest.approx(2 / 3)]]
    assert forecast.prob_above(np.array([[7.0, 13.0]])).tolist() == [[1.0, 0.0]]


def test_the_scale_is_the_mean_weekly_difference():
    history = np.array([[1, 2, 3, 4, 5, 6, 7, 3, 2, 3, 4, 5, 6, 10]], dtype=float)
    # |3−1| + 0 + 0 + 0 + 0 + 0 + |10−7| = 5, over 7 differences
    assert scale(history)[0] == pytest.approx(5 / 7)


def test_interval_score_by_hand():
    # 80 % interval [10, 20]: width 10; y = 25 is 5 above: 10 + 2/0.2 × 5 = 60.
    assert interval_score(np.array(25.0), np.array(10.0), np.array(20.0), 80) == pytest.approx(60)
    assert interval_score(np.array(15.0), np.array(10.0), np.array(20.0), 80) == pytest.approx(10)


def test_weighted_interval_score_by_hand():
    # y = 12, median 10; 50 %: [8, 11] → 3 + 4 × 1 = 7; 80 %: [6, 14] → 8; 95 %: [4, 16] → 12.
    # (½·2 + 0.25·7 + 0.1·8 + 0.025·12) / 3.5 = (1 + 1.75 + 0.8 + 0.3) / 3.5 = 1.1
    intervals = {
        50: (np.array(8.0), np.array(11.0)),
        80: (np.array(6.0), np.array(14.0)),
        95: (np.array(4.0), np.array(16.0)),
    }
    assert weighted_interval_score(np.array(12.0), np.array(10.0), intervals) == pytest.approx(1.1)


def test_tally_pools_by_band():
    tally = Tally()
    actual = np.array([[10.0] * 8])
    median = np.array([[12.0] * 7 + [10.0]])
    wide = (np.full((1, 8), 0.0), np.full((1, 8), 100.0))
    narrow = (np.full((1, 8), 11.0), np.full((1, 8), 13.0))
    tally.add(actual, median, {50: narrow, 80: narrow, 95: wide}, np.array([2.0]))
    result = tally.result()
    assert result["1-7"]["mase"] == pytest.approx(1.0)  # |10 − 12| / 2
    assert result["8-14"]["mase"] == 0.0 and result["8-14"]["n"] == 1
    assert result["1-7"]["coverage80"] == 0.0 and result["1-7"]["coverage95"] == 1.0
    assert result["8-14"]["coverage80"] == 0.0  # 10 is below [11, 13]
    assert "15-21" not in result
    assert math.isclose(result["1-7"]["n"], 7)


def test_recalibrated_stretches_each_side_up_to_the_80_percent_bound_and_shifts_the_tail():
    # |deviations| sorted: 0 ×7, 1, 1, 10; the 80 % quantile (position 0.8 × 9 = 7.2) is 1.
    deviations = np.array([[[-10.0, -1.0, 0, 0, 0, 0, 0, 0, 0, 1.0]]])
    factors = np.array([[3.0], [2.0]])  # lower ×3, upper ×2
    out = methods.recalibrated(deviations, factors)
    # -1 → -3 (stretched); -10 → -(3 × 1 + 9) = -12 (tail shifted); 1 → 2; zeros stay.
    assert out[0, 0].tolist() == [-12.0, -3.0, 0, 0, 0, 0, 0, 0, 0, 2.0]


def test_recalibration_widens_the_side_that_keeps_missing():
    # One series, 16 origins, horizons 1 and 2 days. The bounds are recomputed at origins 15, 8
    # and 1 (every 7th back from the last); at origin 8 the 1-day quotients of origins 0-7
    # (±1: centre 0, half-width 1) are known, so origins 8-14 get the bounds ±1 × their factors.
    # Origins 8-14 then err by +3: 7 upper misses, none below, known at origins 9-15.
    q = np.zeros((1, 16, 2))
    q[0, :8, 0] = [-1, 1, -1, 1, -1, 1, -1, 1]
    q[0, 8:, 0] = 3.0
    q[0, :, 1] = np.nan  # 2 days ahead: at origin 8 only 7 errors are known, fewer than 8
    factors = methods.recalibration(q, first=0)
    rate = methods.RECALIBRATION_RATE  # 0.05
    # Upper: 7 × 0.05 × (1 − 0.1) on the log scale; lower: 7 × 0.05 × (0 − 0.1).
    assert factors[1, 0] == pytest.approx(math.exp(7 * rate * 0.9))  # 1.370
    assert factors[0, 0] == pytest.approx(math.exp(-7 * rate * 0.1))  # 0.966
    # Two days ahead has no known misses (factor 1), but is at least as wide as one day ahead.
    assert factors[1, 1] == pytest.approx(factors[1, 0])
    assert factors[0, 1] == pytest.approx(1.0)
