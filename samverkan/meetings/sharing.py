"""Cost sharing: splitting a shared cost between the region and the municipalities by a key.

The key is a fixed share for the region (e.g. 5/6) and the rest for the municipalities
together (1/6), split among them by population or equally. Amounts are whole units that always
sum exactly to the cost: whole kronor when the cost is in whole kronor, else öre.

Two steps, each by the largest-remainder method (every party first gets its exact share rounded
down; the units left over go one each to the parties with the largest fractions cut off):

1. the cost between the region and the municipalities together;
2. the municipalities' total among the municipalities.

So the municipalities together pay exactly their rounded fixed share, and no krona (or öre) is
lost or invented. Ties in the fraction cut off go to the larger weight (population), then to the
earlier party in the given order (municipality code)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Method = Literal["population", "equal"]


def largest_remainder(total: int, weights: Sequence[int | Fraction]) -> list[int]:
    """Split `total` whole units in proportion to `weights` (not all zero) so that the parts sum to
    `total`, each within one unit of its exact share."""
    if total < 0:
        raise ValueError("total must not be negative")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    whole = sum(Fraction(w) for w in weights)
    if whole == 0:
        raise ValueError("at least one weight must be positive")
    exact = [Fraction(total) * Fraction(w) / whole for w in weights]
    parts = [int(e) for e in exact]  # Fraction ≥ 0: int() rounds down
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), -Fraction(weights[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class Party:
    """A municipality in the split: its key (e.g. code) and population."""

    key: str
    population: int


@dataclass(frozen=True)
class Split:
    unit: int  # 100 (whole kronor) or 1 (öre)
    region: int  # öre
    municipalities: dict[str, int]  # öre per party key

    @property
    def total(self) -> int:
        return self.region + sum(self.municipalities.values())


def split_cost(total_ore: int, region_share: Fraction, parties: Sequence[Party], method: Method) -> Split:
    """Split a cost of `total_ore` öre: `region_share` (0 … 1) to the region, the rest among
    `parties` by population or equally. Returns öre, in whole kronor when the cost is."""
    if not 0 <= region_share <= 1:
        raise ValueError("the region's share is between 0 and 1")
    if region_share < 1 and not parties:
        raise ValueError("there are no municipalities to share the rest")
    unit = 100 if total_ore % 100 == 0 else 1
    units = total_ore // unit
    region_units, municipal_units = largest_remainder(units, [region_share, 1 - region_share])
    if not parties:
        return Split(unit, region_units * unit, {})
    weights = [p.population if method == "population" else 1 for p in parties]
    if method == "population" and sum(weights) == 0 and municipal_units:
        raise ValueError("the municipalities have no population to split by")
    shares = largest_remainder(municipal_units, weights) if municipal_units else [0] * len(parties)
    return Split(unit, region_units * unit, {p.key: s * unit for p, s in zip(parties, shares, strict=True)})
