"""The forecasting methods, on arrays of daily series (numpy only, no database).

Every method works on a matrix of series, one row per series and one column per day, and gives,
for each series, the forecast of the next `horizon` days with its predictive distribution:

- `flat`: the last value, carried forward (a hard baseline for epidemic waves);
- `seasonal_naive`: the same weekday of the last week;
- `damped_ets`: exponential smoothing with additive damped trend and an additive weekday pattern on
  log(1 + y) (ETS(A,Ad,A), m = 7), the parameters chosen per series from a fixed grid by the
  smoothed absolute errors at 1, 7 and 14 days ahead, every step vectorised over series and grid;
- `occupancy_flow` (samverkan/forecasting/flowmodel.py): current occupants leaving by a length of
  stay estimated from the series, plus arrivals forecast by `damped_ets`, simulated.

Predictive distribution (docs/decisions/forecast-method.md): every method is run from each of the
recent past origins as well, and its errors there, on the log(1 + y) scale, per horizon, make the
distribution of its error now (`distribution`). Adaptive recalibration: each past error is divided
by the error scale at its horizon as it was known at its origin (a running mean of the errors that
had come in by then), and the quotients are multiplied by the scale known now, so the intervals
widen as soon as a wave makes the series harder and the lag of the long horizons' errors is
calibrated too. The quotients of all the series forecast together are pooled per horizon (a turn
seen in one series widens all), deviations count both ways, and the upper tail is bounded. Each
side is then recalibrated by how often the method's own past 80 % bounds were missed on it
(`recalibration`: adaptive conformal inference, only errors known at each origin).
Intervals are quantiles of `log point + samples`; the probability of exceeding a limit is the share
of samples above it."""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

HORIZON = 28
LEVELS = (50, 80, 95)
WEEK = 7
# Past origins whose errors make the predictive distribution (the last WINDOW days).
WINDOW = 126
# Fewer known errors than this at a horizon: borrow the errors of the nearest shorter horizon
# that has enough, widened in proportion to the horizons (errors of a trend grow with the horizon).
MIN_ERRORS = 8
WIDEN_POWER = 1.0
# Half-life, in origins (days), of the running mean absolute error per horizon (the error scale).
SCALE_HALF_LIFE = 90.0
SCALE_FLOOR = 0.01  # on the log scale: 1 %; a series that never erred has no spread
# A horizon's scale is at least the one-day scale × h^GROWTH_POWER (a trend's error grows with h).
SCALE_GROWTH = True
GROWTH_POWER = 1.0
QUOTIENT_BOUND = 8.0  # an error more than this many scales away counts as this many
# The quotients of all series are pooled per horizon (at most POOL_SIZE kept, evenly spread).
POOLED = True
POOL_SIZE = 200
# Deviations from the median error counted both ways.
SYMMETRIC = True
# The upper bounds stop at this many times the series' highest known value.
UPPER_FACTOR = 5.0

GRID_ALPHA = (0.1, 0.2, 0.35, 0.5, 0.7, 0.85, 1.0)
GRID_BETA = (0.0, 0.05, 0.15)  # as a share of alpha: the trend's smoothing is alpha × this
GRID_PHI = (0.8, 0.9, 0.95)
GRID_GAMMA = (0.0, 0.05, 0.15)
CRITERION_HORIZONS = (1, 7, 14)
CRITERION_MEMORY = 0.995  # the grid criterion forgets old errors with this factor a day
FIT_DAYS = 400  # the parameters are chosen over this many last days (older errors count < 14 %)


@dataclasses.dataclass
class Forecast:
    """Forecasts of `horizon` days for each series (rows), on the original scale."""

    method: str
    point: Array  # (series, horizon): the median
    samples: Array  # (series, horizon, k) on the log(1 + y) scale; NaN where there is no sample
    _sorted: Array | None = dataclasses.field(default=None, repr=False, compare=False)
    _counts: npt.NDArray[np.int64] | None = dataclasses.field(default=None, repr=False, compare=False)

    def quantile(self, q: float) -> Array:
        """The q-quantile per series and day (linear between order statistics, as numpy's
        default), from one sort of the samples kept for the next call."""
        if not self.samples.shape[2]:
            return np.full(self.point.shape, np.nan)
        if self._sorted is None or self._counts is None:
            self._sorted = np.sort(self.samples, axis=2)  # NaN last
            self._counts = (~np.isnan(self.samples)).sum(axis=2)
        counts = self._counts
        position = q * np.maximum(counts - 1, 0)
        below = np.floor(position).astype(int)
        above = np.minimum(below + 1, np.maximum(counts - 1, 0))
        low = np.take_along_axis(self._sorted, below[:, :, None], axis=2)[:, :, 0]
        high = np.take_along_axis(self._sorted, above[:, :, None], axis=2)[:, :, 0]
        values = low + (high - low) * (position - below)
        values = np.where(counts > 0, values, np.nan)
        return np.maximum(np.expm1(values), 0.0)

    def interval(self, level: int) -> tuple[Array, Array]:
        tail = (100 - level) / 200
        return self.quantile(tail), self.quantile(1 - tail)

    def prob_above(self, limit: Array) -> Array:
        """P(value > limit) per series and day ahead; `limit` is (series,) or (series, horizon)."""
        bound = np.log1p(
            np.broadcast_to(np.asarray(limit, dtype=float).reshape(self.point.shape[0], -1), self.point.shape)
        )
        known = ~np.isnan(self.samples)
        above = (self.samples > bound[:, :, None]) & known
        counts = known.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, above.sum(axis=2) / np.maximum(counts, 1), np.nan)


def to_log(values: Array) -> Array:
    return np.log1p(np.maximum(np.asarray(values, dtype=float), 0.0))


def forward_fill(y: Array) -> Array:
    """NaN replaced by the last known value of its row (leading NaN stay)."""
    index = np.where(~np.isnan(y), np.arange(y.shape[1]), 0)
    np.maximum.accumulate(index, axis=1, out=index)
    filled = y[np.arange(y.shape[0])[:, None], index]
    filled[:, :1][np.isnan(y[:, :1])] = np.nan
    return filled


# ---- paths: the log-scale forecasts from every recent origin -------------------------------------
#
# A path function takes the log series y (n, T) and the first origin `start`, and returns
# P (n, T - start, horizon): P[i, r, h] forecasts y[i, start + r + h + 1] from the data up to
# and including day start + r.


def flat_paths(y: Array, start: int, horizon: int) -> Array:
    last = forward_fill(y)[:, start:]
    return np.repeat(last[:, :, None], horizon, axis=2)


def seasonal_naive_paths(y: Array, start: int, horizon: int) -> Array:
    filled = forward_fill(y)
    n, length = y.shape
    origins = np.arange(start, length)
    steps = np.arange(horizon)
    # The target t + h + 1 takes the value of the same weekday in the last week up to t.
    source = origins[:, None] + ((steps[None, :]) % WEEK) - (WEEK - 1)
    source = np.clip(source, 0, length - 1)
    return filled[:, source]


@dataclasses.dataclass
class EtsFit:
    alpha: Array
    beta: Array
    phi: Array
    gamma: Array


def _grid() -> tuple[Array, Array, Array, Array]:
    combos = np.array(list(itertools.product(GRID_ALPHA, GRID_BETA, GRID_PHI, GRID_GAMMA)), dtype=float)
    alpha, beta_share, phi, gamma = combos.T
    return alpha, alpha * beta_share, phi, gamma


def _initial(y: Array) -> tuple[Array, Array]:
    """Level: the first known value of each series; no trend and no weekday pattern yet (the
    first week of an epidemic series is mostly growth, which a pattern would keep for ever)."""
    filled = forward_fill(y[:, ::-1])[:, ::-1]  # each day's next known value
    level = np.where(np.isnan(filled[:, 0]), 0.0, filled[:, 0])
    return level, np.zeros((y.shape[0], WEEK))


def ets_fit(y: Array) -> EtsFit:
    """Choose each series' parameters from the grid by the smoothed absolute errors at
    CRITERION_HORIZONS days ahead over its last FIT_DAYS days. One pass over those days,
    vectorised over series × grid, in single precision (the choice, not the forecast)."""
    y = y[:, -FIT_DAYS:].astype(np.float32)
    n, length = y.shape
    alpha, beta, phi, gamma = (a[:, None].astype(np.float32) for a in _grid())  # (C, 1)
    combos = alpha.shape[0]
    level0, season0 = (a.astype(np.float32) for a in _initial(y))
    level = np.repeat(level0[None, :], combos, axis=0)
    trend = np.zeros_like(level)
    season = np.repeat(season0[None, :, :], combos, axis=0)  # (C, n, 7), index = day % 7
    ring = max(CRITERION_HORIZONS) + 1
    pending = np.full((len(CRITERION_HORIZONS), ring, combos, n), np.nan, dtype=np.float32)
    damp_sums = {h: sum(phi**j for j in range(1, h + 1)) for h in CRITERION_HORIZONS}
    criterion = np.zeros((combos, n), dtype=np.float32)
    for t in range(1, length):
        yt = y[:, t]
        known = ~np.isnan(yt)
        slot = t % ring
        for k in range(len(CRITERION_HORIZONS)):
            made = pending[k, slot]
            error = np.abs(yt[None, :] - made)
            criterion = np.where(np.isnan(error), criterion, criterion * CRITERION_MEMORY + error)
            pending[k, slot] = np.nan
        position = t % WEEK
        s_old = season[:, :, position]
        predicted = level + phi * trend + s_old
        error = np.where(known[None, :], yt[None, :] - predicted, 0.0)
        level = level + phi * trend + alpha * error
        trend = phi * trend + beta * error
        season[:, :, position] = s_old + gamma * error
        for k, h in enumerate(CRITERION_HORIZONS):
            pending[k, (t + h) % ring] = level + damp_sums[h] * trend + season[:, :, (t + h) % WEEK]
    best = np.argmin(criterion, axis=0)
    a, b, p, g = _grid()
    return EtsFit(alpha=a[best], beta=b[best], phi=p[best], gamma=g[best])


def ets_paths(y: Array, start: int, horizon: int, fit: EtsFit) -> Array:
    """Forecast paths from every origin from `start` on with each series' own parameters."""
    n, length = y.shape
    level, season = _initial(y)
    season = season.copy()
    trend = np.zeros(n)
    alpha, beta, phi, gamma = fit.alpha, fit.beta, fit.phi, fit.gamma
    damp = np.cumsum(phi[:, None] ** np.arange(1, horizon + 1)[None, :], axis=1)  # (n, horizon)
    paths = np.full((n, length - start, horizon), np.nan)
    steps = np.arange(horizon)
    for t in range(1, length):
        yt = y[:, t]
        known = ~np.isnan(yt)
        position = t % WEEK
        s_old = season[:, position]
        error = np.where(known, yt - (level + phi * trend + s_old), 0.0)
        level = level + phi * trend + alpha * error
        trend = phi * trend + beta * error
        season[:, position] = s_old + gamma * error
        if t >= start:
            paths[:, t - start, :] = level[:, None] + damp * trend[:, None] + season[:, (t + 1 + steps) % WEEK]
    return paths


# ---- from paths to a forecast with its distribution ---------------------------------------------


def past_errors(y: Array, paths: Array, start: int) -> Array:
    """E[i, r, h] = y[start + r + h + 1] − P[i, r, h], NaN where the target is unknown or beyond
    the data."""
    n, length = y.shape
    origins, horizon = paths.shape[1], paths.shape[2]
    targets = start + np.arange(origins)[:, None] + np.arange(horizon)[None, :] + 1
    inside = targets < length
    actual = np.where(inside[None, :, :], y[:, np.minimum(targets, length - 1)], np.nan)
    return actual - paths


def error_scales(errors: Array) -> Array:
    """sigma[i, r, h]: the exponentially weighted mean absolute error at horizon h of the errors
    known at origin r (the error of origin r' at horizon h is known from origin r' + h + 1 on);
    NaN while none is known."""
    n, origins, horizon = errors.shape
    decay = 0.5 ** (1.0 / SCALE_HALF_LIFE)
    sigma = np.full((n, origins, horizon), np.nan)
    mean = np.full((n, horizon), np.nan)
    steps = np.arange(horizon)
    for r in range(origins):
        made = r - steps - 1  # the origins whose error at each horizon becomes known now
        valid = made >= 0
        new = np.full((n, horizon), np.nan)
        new[:, valid] = np.abs(errors[:, made[valid], steps[valid]])
        seen = ~np.isnan(new)
        mean = np.where(seen, np.where(np.isnan(mean), new, decay * mean + (1 - decay) * new), mean)
        sigma[:, r, :] = mean
    return sigma


def _borrow(samples: Array, scale_now: Array | None) -> Array:
    """Horizons with fewer than MIN_ERRORS samples take the nearest shorter horizon's that has
    enough; a missing scale (`scale_now`, changed in place) is the donor's widened in proportion
    to the horizons."""
    horizon = samples.shape[1]
    counts = (~np.isnan(samples)).sum(axis=2)
    for h in range(1, horizon):
        short = counts[:, h] < MIN_ERRORS
        if not short.any():
            continue
        donors = counts[:, :h] >= MIN_ERRORS
        has = donors.any(axis=1) & short
        if not has.any():
            continue
        donor = h - 1 - np.argmax(donors[:, ::-1], axis=1)
        rows = np.nonzero(has)[0]
        widen = ((h + 1) / (donor[rows] + 1)) ** WIDEN_POWER
        if scale_now is None:
            samples[rows, h, :] = samples[rows, donor[rows], :] * widen[:, None]
        else:
            samples[rows, h, :] = samples[rows, donor[rows], :]
            missing = rows[np.isnan(scale_now[rows, h])]
            scale_now[missing, h] = scale_now[missing, donor[missing]] * widen[np.isnan(scale_now[rows, h])]
    return samples


def _pooled(samples: Array) -> Array:
    """The quotients of all series together, per horizon (at most POOL_SIZE of them, drawn
    evenly), the same for every series: a turn seen in one series widens all."""
    n, horizon, _k = samples.shape
    pool = np.full((horizon, POOL_SIZE), np.nan)
    for h in range(horizon):
        values = samples[:, h, :].ravel()
        values = np.sort(values[~np.isnan(values)])
        if values.size:
            pool[h] = values[np.linspace(0, values.size - 1, POOL_SIZE).round().astype(int)]
    return np.repeat(pool[None, :, :], n, axis=0)


def _quotients(errors: Array) -> tuple[Array, Array]:
    """Each past error divided by the error scale at its horizon as it was known at its origin
    (`error_scales`, floored, at least the one-day scale × h), clipped to ±QUOTIENT_BOUND; and the
    scales (n, origins, horizon)."""
    horizon = errors.shape[2]
    sigma = error_scales(errors)
    sigma = np.where(np.isnan(sigma), np.nan, np.maximum(sigma, SCALE_FLOOR))
    if SCALE_GROWTH:
        # A horizon's scale is at least the one-day scale grown with the horizon.
        growth = (np.arange(1, horizon + 1) ** GROWTH_POWER)[None, None, :]
        floor = sigma[:, :, :1] * growth
        sigma = np.where(np.isnan(floor), sigma, np.fmax(sigma, floor))
    with np.errstate(invalid="ignore", divide="ignore"):
        quotients = errors / sigma
    quotients[~np.isfinite(quotients)] = np.nan
    np.clip(quotients, -QUOTIENT_BOUND, QUOTIENT_BOUND, out=quotients)
    return quotients, sigma


def distribution(errors: Array, *, adaptive: bool = True) -> tuple[Array, Array]:
    """The error samples for the last origin, per series and horizon (n, horizon, k), from the
    known errors of the previous origins in the window, and the recalibration factors (2, horizon)
    for the lower and upper deviations (`recalibration`; ones when not adaptive).

    Adaptive: each past error is divided by the error scale at its horizon as it was known at its
    origin (`error_scales`), and the quotients are multiplied by the scale known now. The quotients
    carry how far the scale known at the time of a forecast fell short, so the intervals widen
    when a wave makes the series harder, and the lag of the long horizons is calibrated too."""
    n, origins, horizon = errors.shape
    first = max(0, origins - 1 - WINDOW)
    window = errors[:, first : origins - 1, :]
    if not adaptive or origins < 3:
        return _borrow(np.moveaxis(window, 1, 2).copy(), None), np.ones((2, horizon))
    quotients, sigma = _quotients(errors)
    scale_now = sigma[:, -1, :].copy()
    samples = _borrow(np.moveaxis(quotients[:, first : origins - 1, :], 1, 2).copy(), scale_now)
    if POOLED and n > 1:
        samples = _pooled(samples)
    return samples * scale_now[:, :, None], recalibration(quotients, first)


# ---- recalibration against the model's own past misses ------------------------------------------
#
# Adaptive conformal inference in multiplicative form (docs/decisions/forecast-method.md): at each
# origin of the window, the 80 % bounds the method gave there (on the quotient scale, pooled over
# the series, from the errors known at that origin, times the factors of that origin) are compared
# with what happened; each side's factor grows by RECALIBRATION_RATE × (its share of misses −
# RECALIBRATION_TAIL) on the log scale as the errors become known (at horizon h, h + 1 days after
# the origin), so it settles where each side misses 10 % of the time. A longer horizon's factor is
# at least a shorter one's: the short horizons see a new wave first.

RECALIBRATION_RATE = 0.05  # chosen on the Swedish series alone (the decision record)
RECALIBRATION_TAIL = 0.1  # each side of the 80 % interval
RECALIBRATION_SERIES = 16  # the pooled bounds come from at most this many series, evenly spread
RECALIBRATION_STEP = 7  # the past bounds are recomputed every 7 origins (held in between)


def _past_bounds(quotients: Array, first: int) -> tuple[Array, Array]:
    """Centre and half-width of the pooled 80 % bounds known at each origin from `first` on,
    (origins, horizon) each; NaN where fewer than MIN_ERRORS quotients were known."""
    _n, origins, horizon = quotients.shape
    steps = np.arange(horizon)
    centre = np.full((origins, horizon), np.nan)
    width = np.full((origins, horizon), np.nan)
    current = (centre[0], width[0])
    for r in range(first, origins):
        if (origins - 1 - r) % RECALIBRATION_STEP == 0:
            low = max(0, r - WINDOW)
            # The error of origin r' at horizon h is known at r when r' + h + 1 <= r.
            known = (low + np.arange(r - low))[:, None] <= (r - 1 - steps)[None, :]
            block = np.where(known[None, :, :], quotients[:, low:r, :], np.nan).reshape(-1, horizon)
            enough = (~np.isnan(block)).sum(axis=0) >= MIN_ERRORS
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # horizons without errors yet
                middle = np.nanmedian(block, axis=0)
                half = np.nanquantile(np.abs(block - middle), 0.8, axis=0)
            current = (np.where(enough, middle, np.nan), np.where(enough, half, np.nan))
        centre[r], width[r] = current
    return centre, width


def recalibration(quotients: Array, first: int) -> Array:
    """The factors (2, horizon) for the lower and upper deviations at the last origin, from the
    misses of the 80 % bounds of the origins from `first` on (see above)."""
    n, origins, horizon = quotients.shape
    rows = np.unique(np.linspace(0, n - 1, min(n, RECALIBRATION_SERIES)).round().astype(int))
    q = quotients[rows]
    centre, width = _past_bounds(q, first)
    steps = np.arange(horizon)
    log_factor = np.zeros((2, horizon))
    factors = np.ones((origins, 2, horizon))
    for r in range(first, origins):
        made = r - steps - 1  # the origins whose error at each horizon becomes known now
        usable = made >= first
        hs, rs = steps[usable], made[usable]
        if hs.size:
            values = q[:, rs, hs]
            lower = centre[rs, hs] - width[rs, hs] * factors[rs, 0, hs]
            upper = centre[rs, hs] + width[rs, hs] * factors[rs, 1, hs]
            known = ~np.isnan(values) & ~np.isnan(width[rs, hs])[None, :]
            counts = known.sum(axis=0)
            seen = counts > 0
            below = ((values < lower) & known).sum(axis=0)
            above = ((values > upper) & known).sum(axis=0)
            total = np.maximum(counts, 1)
            log_factor[0, hs[seen]] += RECALIBRATION_RATE * (below[seen] / total[seen] - RECALIBRATION_TAIL)
            log_factor[1, hs[seen]] += RECALIBRATION_RATE * (above[seen] / total[seen] - RECALIBRATION_TAIL)
        factors[r] = np.maximum.accumulate(np.exp(log_factor), axis=1)
    return factors[-1]


def recalibrated(deviations: Array, factors: Array) -> Array:
    """Deviations from the median (n, horizon, k) widened by the factors (2, horizon): lower ones by
    the first row, upper ones by the second, up to the 80 % bound; beyond it the tail keeps its
    own shape (shifted, not stretched: a stretched tail makes the 95 % bounds no planner can use)."""
    factor = np.where(deviations < 0, factors[0][None, :, None], factors[1][None, :, None])
    size = np.abs(deviations)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # days without samples
        bound = np.nanquantile(size, 0.8, axis=2, keepdims=True)
    stretched = np.where(size <= bound, factor * size, factor * bound + (size - bound))
    return np.sign(deviations) * stretched


PathFunction = Callable[[Array, int, int], Array]


def forecast_from_paths(
    method: str, y: Array, paths: Array, start: int, *, adaptive: bool = True, centred: bool = False
) -> Forecast:
    """The forecast from the last origin of `paths`, its distribution from the earlier ones. The
    point is the path itself, or (centred) the path corrected by its median past error. The spread
    around the point is made symmetric (each deviation from the median error counted both ways):
    a model that erred one way during a long fall errs the other way once the series turns."""
    errors, factors = distribution(past_errors(y, paths, start), adaptive=adaptive)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        middle = np.nanmedian(errors, axis=2) if errors.shape[2] else np.full(paths.shape[::2], np.nan)
    middle = np.where(np.isnan(middle), 0.0, middle)
    shift = middle if centred else np.zeros_like(middle)
    # Each side's recalibration applies to the past errors on its side, before they count both ways.
    deviations = recalibrated(errors - middle[:, :, None], factors)
    if SYMMETRIC:
        deviations = np.concatenate([deviations, -deviations], axis=2)
    point = paths[:, -1, :] + shift
    samples = point[:, :, None] + deviations
    # The upper tail stops at UPPER_FACTOR times the series' highest known value: a few huge
    # past errors on the log scale would otherwise give bounds no planner can use.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        highest = np.nanmax(y, axis=1)
    ceiling = np.log1p(UPPER_FACTOR * np.expm1(np.where(np.isnan(highest), 0.0, highest)))
    samples = np.fmin(samples, np.maximum(ceiling, point.max(axis=1))[:, None, None])
    return Forecast(method=method, point=np.maximum(np.expm1(point), 0.0), samples=samples)


def origin_start(length: int, horizon: int) -> int:
    """The first origin whose errors can count: WINDOW + horizon days before the end."""
    return max(WEEK, length - 1 - WINDOW - horizon)


def forecast(values: Array, method: str, *, horizon: int = HORIZON, adaptive: bool = True) -> Forecast:
    """Forecast every row of `values` (series × days, NaN for unknown days) with `method`."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    y = to_log(values)
    y[np.isnan(values)] = np.nan
    start = min(origin_start(y.shape[1], horizon), y.shape[1] - 1)
    if method == "flat":
        paths = flat_paths(y, start, horizon)
    elif method == "seasonal_naive":
        paths = seasonal_naive_paths(y, start, horizon)
    elif method == "damped_ets":
        paths = ets_paths(y, start, horizon, ets_fit(y))
    else:
        raise ValueError(f"unknown method {method!r}")
    return forecast_from_paths(method, y, paths, start, adaptive=adaptive, centred=method in CENTRED)


METHODS = ("damped_ets", "seasonal_naive", "flat")
CENTRED = {"damped_ets"}  # the baselines stay what they are: the last value, last week's value
