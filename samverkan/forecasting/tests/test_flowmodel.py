"""The flow model for short-term occupancy on hand-computable cases."""

from __future__ import annotations

import numpy as np
import pytest

from samverkan.forecasting import flowmodel


def test_leaving_probability_from_occupancy_and_arrivals():
    # 20 occupants every day and 2 arrivals a day: 2 leave a day out of 20, p = 0.1 (stays of 10 days).
    occupancy = np.full((1, 30), 20.0)
    arrivals = np.full((1, 30), 2.0)
    p = flowmodel.leaving_probability(occupancy, arrivals)
    assert p[0, -1] == pytest.approx(0.1)
    assert p[0, 0] == pytest.approx(flowmodel.P_DEFAULT)  # nothing known on the first day


def test_leaving_probability_by_hand_over_a_few_days():
    # Day 1: 10 + 3 − 11 = 2 left of 10; day 2: 11 + 0 − 9 = 2 of 11; day 3: 9 + 1 − 10 = 0 of 9.
    occupancy = np.array([[10.0, 11.0, 9.0, 10.0]])
    arrivals = np.array([[0.0, 3.0, 0.0, 1.0]])
    p = flowmodel.leaving_probability(occupancy, arrivals)
    assert p[0, 1] == pytest.approx(2 / 10)
    assert p[0, 2] == pytest.approx(4 / 21)
    assert p[0, 3] == pytest.approx(4 / 30)


def test_expected_occupancy_by_hand():
    # 10 occupants, half leave each day, no arrivals: 5, 2.5, 1.25.
    paths = flowmodel.expected_paths(np.array([10.0]), np.array([0.5]), np.zeros((1, 3)))
    assert paths[0].tolist() == [5.0, 2.5, 1.25]
    # 20 occupants, p = 0.1, 2 arrivals a day: the steady state stays at 20.
    steady = flowmodel.expected_paths(np.array([20.0]), np.array([0.1]), np.full((1, 5), 2.0))
    assert np.allclose(steady, 20.0)


def test_simulation_centres_on_the_expected_path():
    rng = np.random.default_rng(1)
    days = 200
    occupancy = np.full((1, days), 30.0)
    arrivals = rng.poisson(3, size=(1, days)).astype(float)
    result = flowmodel.forecast(occupancy, arrivals, horizon=14, simulations=300)
    # p = 3/30 = 0.1 give or take the noise; the steady state is about 30.
    assert 24 <= result.point[0, -1] <= 36
    low, high = result.interval(80)
    assert (low <= result.point + 1e-9).all() and (result.point <= high + 1e-9).all()
    assert (high[0, -1] - low[0, -1]) > (high[0, 0] - low[0, 0]) * 0.5  # the spread does not collapse


def test_a_full_unit_emptying_without_arrivals():
    occupancy = np.concatenate([np.full(60, 40.0), 40 * 0.8 ** np.arange(1, 11)])[None, :]
    arrivals = np.zeros_like(occupancy)
    result = flowmodel.forecast(occupancy, arrivals, horizon=7, simulations=200)
    # Nobody arrives: occupancy falls, never below zero.
    assert result.point[0, -1] < occupancy[0, -1]
    assert (result.quantile(0.025) >= 0).all()


def test_leaving_probability_follows_the_last_two_weeks():
    # 20 occupants every day; 1 arrival (and so 1 departure) a day for 30 days, then 4 a day: stays
    # shorten from 20 to 5 days. At the last day the window holds only the last 14 days: p = 4/20.
    occupancy = np.full((1, 50), 20.0)
    arrivals = np.concatenate([np.full(31, 1.0), np.full(19, 4.0)])[None, :]
    p = flowmodel.leaving_probability(occupancy, arrivals)
    assert flowmodel.LOS_WINDOW == 14
    assert p[0, -1] == pytest.approx(4 / 20)
    # Ten days after the change the window still holds four days of the old stays: (4×1 + 10×4) / (14×20).
    assert p[0, 40] == pytest.approx((4 * 1 + 10 * 4) / (14 * 20))
