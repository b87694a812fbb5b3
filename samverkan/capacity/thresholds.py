"""Red, amber and green on the capacity overview, by thresholds the county sets.

The county's escalation plan (placements) is where a county says which occupancy calls for
action; capacity sits below placements, so placements registers a provider here
(`register`, from its AppConfig) instead of capacity importing it. Without one, or for a county
without a plan, the defaults of the standard plan hold.

A unit or a municipality is **red** when it has no free place, or its occupancy reaches the
plan's highest occupancy threshold (98 % by default: "open a new unit"); **amber** when its
occupancy reaches the threshold of the step before (92 %: "open surge places"); **green**
otherwise. A unit without a current report has no colour (it is marked stale)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Thresholds:
    amber_occupancy: Decimal  # percent
    red_occupancy: Decimal  # percent


DEFAULT = Thresholds(amber_occupancy=Decimal("92.0"), red_occupancy=Decimal("98.0"))
RED, AMBER, GREEN = "red", "amber", "green"

_providers: list[Callable[[str], Thresholds | None]] = []


def register(provider: Callable[[str], Thresholds | None]) -> None:
    """A function from a county code to its thresholds (None: it has none)."""
    if provider not in _providers:
        _providers.append(provider)


def for_county(county_code: str) -> Thresholds:
    for provider in _providers:
        found = provider(county_code)
        if found is not None:
            return found
    return DEFAULT


def level(free: int | None, occupancy_rate: float | None, thresholds: Thresholds) -> str:
    """RED, AMBER, GREEN, or "" without figures. `occupancy_rate` is a fraction (0.83)."""
    if free is None or occupancy_rate is None:
        return RED if free == 0 else ""
    percent = Decimal(str(occupancy_rate)) * 100
    if free <= 0 or percent >= thresholds.red_occupancy:
        return RED
    if percent >= thresholds.amber_occupancy:
        return AMBER
    return GREEN
