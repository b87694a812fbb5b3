"""Epidemic scenarios: the extra demand an outbreak would bring, per municipality and day.

From the start date (day 0) new cases a day grow as `initial_cases · 2^(t / doubling_time)`. They
are spread over the county's municipalities by population; when the outbreak starts in one
municipality, that municipality has them all on day 0 and its share falls towards its population
share as `e^(−t / SPREAD_DAYS)` (the others take the rest by population), so the shares always sum
to one. Then, per municipality:

- admissions(t) = cases(t) · share hospitalised;
- in hospital(t) = the admissions of the last `hospital_los` days (t − los + 1 … t): a fixed stay;
- discharges(t) = admissions(t − hospital_los); to short-term care: discharges · share needing a
  short-term place;
- short-term occupancy(t) = those arrivals over the last `short_term_los` days.

The scenario is extra demand on top of the baseline forecast, shown together on one chart."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

SPREAD_DAYS = 7.0
SERIES = ("cases", "admissions", "in_hospital", "short_term")


@dataclass
class Parameters:
    start_date: datetime.date
    days: int
    initial_cases: float
    doubling_time: float
    share_hospitalised: float  # 0–1
    hospital_los: int
    share_short_term: float  # 0–1
    short_term_los: int
    outbreak: str | None  # municipality code


def shares(populations: dict[str, int], outbreak: str | None, t: int) -> dict[str, float]:
    total = sum(populations.values())
    base = {code: population / total for code, population in populations.items()}
    if outbreak is None or outbreak not in populations:
        return base
    local = math.exp(-t / SPREAD_DAYS)
    return {code: (1 - local) * share + (local if code == outbreak else 0.0) for code, share in base.items()}


def _window_sums(values: list[float], length: int) -> list[float]:
    out, running = [], 0.0
    for t, value in enumerate(values):
        running += value
        if t >= length:
            running -= values[t - length]
        out.append(running)
    return out


def run(parameters: Parameters, populations: dict[str, int]) -> dict:
    """{"days": [ISO dates], "areas": {code or "county": {series: [values]}}}, values rounded to 0.1."""
    p = parameters
    days = list(range(p.days))
    cases = [p.initial_cases * 2 ** (t / p.doubling_time) for t in days]
    areas: dict[str, dict[str, list[float]]] = {}
    day_shares = [shares(populations, p.outbreak, t) for t in days]
    for code in populations:
        local_cases = [cases[t] * day_shares[t][code] for t in days]
        admissions = [c * p.share_hospitalised for c in local_cases]
        in_hospital = _window_sums(admissions, p.hospital_los)
        arrivals = [admissions[t - p.hospital_los] * p.share_short_term if t >= p.hospital_los else 0.0 for t in days]
        short_term = _window_sums(arrivals, p.short_term_los)
        areas[code] = {
            "cases": local_cases,
            "admissions": admissions,
            "in_hospital": in_hospital,
            "short_term": short_term,
        }
    areas["county"] = {name: [sum(areas[c][name][t] for c in populations) for t in days] for name in SERIES}
    return {
        "days": [(p.start_date + datetime.timedelta(days=t)).isoformat() for t in days],
        "areas": {
            code: {name: [round(v, 1) for v in values] for name, values in series.items()}
            for code, series in areas.items()
        },
    }


def peak(results: dict, area: str, series: str) -> tuple[str | None, float]:
    """The day and value of a series' highest point."""
    values = results.get("areas", {}).get(area, {}).get(series, [])
    if not values:
        return None, 0.0
    at = max(range(len(values)), key=values.__getitem__)
    return results["days"][at], values[at]
