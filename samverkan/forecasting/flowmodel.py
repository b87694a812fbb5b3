"""The flow model for short-term occupancy: the current occupants leave by a length of stay
estimated from the series, and new ones arrive as forecast (discharges to short-term care).

Length of stay: each occupant leaves on a given day with probability p, so stays are geometric
with mean 1/p. p is estimated over the last LOS_WINDOW (14) days before the origin from the two
series alone (stays change within a wave: chosen among 14, 28, 56 and 91 days on half the
Belgian provinces, docs/decisions/forecast-method.md): departures = yesterday's occupancy +
arrivals − today's occupancy, p = Σ departures / Σ yesterday's occupancy (bounded to
[P_MIN, P_MAX]; P_DEFAULT without data). A day's departures are summed as they are, negative ones
too: clipping them at zero would count the reports' noise as departures and make stays look
shorter than they are.

Expected occupancy d days after the origin: E_d = E_{d−1}·(1 − p) + λ_d, E_0 = the occupancy at the
origin, λ_d the arrivals forecast by damped exponential smoothing.

Uncertainty by simulation (SIMULATIONS paths): occupants leave binomially, arrivals are Poisson
around an arrival rate drawn from the arrivals' own predictive distribution. Simulated admissions ×
length of stay alone gives intervals that are too narrow, so the intervals are recalibrated against
the model's own past errors: the expected path is computed from every recent origin, its errors
make the distribution and its misses the recalibration as for the other methods
(samverkan/forecasting/methods.py, `distribution`, `recalibration`); the simulation gives the
spread only on days ahead without any past error."""

from __future__ import annotations

import numpy as np

from samverkan.forecasting import methods
from samverkan.forecasting.methods import HORIZON, Array, Forecast

LOS_WINDOW = 14
P_MIN, P_MAX, P_DEFAULT = 0.01, 0.5, 1 / 21
SIMULATIONS = 400
SEED = 20200506


def leaving_probability(occupancy: Array, arrivals: Array) -> Array:
    """p per series and origin (n, T): from the LOS_WINDOW days up to and including the origin."""
    occupancy = methods.forward_fill(occupancy)
    previous = occupancy[:, :-1]
    departures = previous + np.nan_to_num(arrivals[:, 1:]) - occupancy[:, 1:]
    known = ~np.isnan(departures)
    departures = np.where(known, departures, 0.0)  # a day's noise may be negative; the sums are not
    at_risk = np.where(known, previous, 0.0)
    n = occupancy.shape[0]
    zero = np.zeros((n, 1))
    cum_departures = np.concatenate([zero, zero, np.cumsum(departures, axis=1)], axis=1)
    cum_at_risk = np.concatenate([zero, zero, np.cumsum(at_risk, axis=1)], axis=1)
    # Day t's departures sit at index t in the cumulative sums (shifted by one for day 0).
    t = np.arange(occupancy.shape[1])
    low = np.maximum(t + 1 - LOS_WINDOW, 0)
    gone = cum_departures[:, t + 1] - cum_departures[:, low]
    risk = cum_at_risk[:, t + 1] - cum_at_risk[:, low]
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(risk > 0, np.maximum(gone, 0.0) / np.maximum(risk, 1e-9), P_DEFAULT)
    return np.clip(p, P_MIN, P_MAX)


def expected_paths(occupancy_now: Array, leave: Array, arrival_rates: Array) -> Array:
    """E[..., d] for d = 0 … horizon − 1 (day origin + d + 1) from the occupancy at the origin,
    the leaving probability and the arrival rates (all broadcast over the leading axes)."""
    keep = 1.0 - leave
    paths = np.empty(arrival_rates.shape)
    current = occupancy_now
    for d in range(arrival_rates.shape[-1]):
        current = current * keep + arrival_rates[..., d]
        paths[..., d] = current
    return paths


def simulate(
    occupancy_now: Array, leave: Array, arrivals: Forecast, *, simulations: int = SIMULATIONS, seed: int = SEED
) -> Array:
    """Simulated occupancy (n, horizon, simulations)."""
    rng = np.random.default_rng(seed)
    n, horizon = arrivals.point.shape
    samples = arrivals.samples
    out = np.empty((n, horizon, simulations))
    current = np.repeat(np.nan_to_num(np.round(occupancy_now))[:, None], simulations, axis=1).astype(np.int64)
    for d in range(horizon):
        pool = samples[:, d, :]
        counts = (~np.isnan(pool)).sum(axis=1)
        if pool.shape[1] and counts.max() > 0:
            # Draw from each series' known samples (NaN-free prefix after sorting).
            ordered = np.sort(pool, axis=1)
            pick = (rng.random((n, simulations)) * np.maximum(counts, 1)[:, None]).astype(int)
            drawn = np.take_along_axis(ordered, pick, axis=1)
            rates = np.where(counts[:, None] > 0, np.expm1(drawn), arrivals.point[:, d : d + 1])
        else:
            rates = np.repeat(arrivals.point[:, d : d + 1], simulations, axis=1)
        stay = rng.binomial(current, (1.0 - leave)[:, None])
        current = stay + rng.poisson(np.maximum(rates, 0.0))
        out[:, d, :] = current
    return out


def forecast(
    occupancy: Array, arrivals: Array, *, horizon: int = HORIZON, simulations: int = SIMULATIONS, seed: int = SEED
) -> Forecast:
    """The flow model's forecast of occupancy (rows: series; NaN for days without a report)."""
    occupancy = np.atleast_2d(np.asarray(occupancy, dtype=float))
    arrivals = np.atleast_2d(np.asarray(arrivals, dtype=float))
    length = occupancy.shape[1]
    start = min(methods.origin_start(length, horizon), length - 1)
    filled = methods.forward_fill(occupancy)
    leave = leaving_probability(occupancy, arrivals)

    # Arrivals: damped smoothing, its paths from every recent origin and its forecast now.
    y_arrivals = methods.to_log(arrivals)
    y_arrivals[np.isnan(arrivals)] = np.nan
    arrival_paths = methods.ets_paths(y_arrivals, start, horizon, methods.ets_fit(y_arrivals))
    arrival_forecast = methods.forecast_from_paths("damped_ets", y_arrivals, arrival_paths, start, centred=True)

    # The expected occupancy from every recent origin, on the log scale, and its past errors.
    rates = np.maximum(np.expm1(arrival_paths), 0.0)
    origin_occupancy = np.nan_to_num(filled[:, start:])
    paths = expected_paths(origin_occupancy, leave[:, start:], rates)
    y = methods.to_log(occupancy)
    y[np.isnan(occupancy)] = np.nan
    log_paths = methods.to_log(paths)
    calibrated = methods.forecast_from_paths("occupancy_flow", y, log_paths, start)

    # Now: the expected path from the arrivals' centred forecast, and the simulation's spread.
    now = expected_paths(origin_occupancy[:, -1], leave[:, -1], arrival_forecast.point)
    simulated = methods.to_log(
        simulate(origin_occupancy[:, -1], leave[:, -1], arrival_forecast, simulations=simulations, seed=seed)
    )
    centre = methods.to_log(now)
    errors = calibrated.samples - log_paths[:, -1, :][:, :, None]
    errors = _with_simulated(errors, simulated - np.median(simulated, axis=2, keepdims=True))
    return Forecast(method="occupancy_flow", point=now, samples=centre[:, :, None] + errors)


def _with_simulated(errors: Array, simulated: Array) -> Array:
    """The past errors (recalibrated against the model's own misses, methods.recalibration); days
    without any past error take the simulation's spread. A floor from the simulation on top of the
    recalibrated errors would widen intervals the misses already calibrate (it gave 80 % intervals
    covering 0.87 at 22-28 days on the Belgian series)."""
    if not errors.shape[2]:
        return simulated
    no_errors = np.isnan(errors).all(axis=2)
    if no_errors.any():
        errors = errors.copy()
        k = min(errors.shape[2], simulated.shape[2])
        errors[no_errors] = np.nan
        errors[no_errors, :k] = simulated[no_errors][:, :k]
    return errors
