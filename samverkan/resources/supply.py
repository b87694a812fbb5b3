"""Days of supply and their buckets: a calculation on plain values, tested directly with
hand-checked cases (tests/test_supply.py).

- Days of supply = on hand ÷ (used in the last 7 days ÷ 7), in whole days, rounded down (what is
  left for part of a day does not last the day).
- Nothing on hand: 0 days, whatever the use.
- Stock but no use in the last 7 days: it lasts beyond any bucket (shown as "> 30").
- Use not reported: unknown (no bucket). A sum over several reports counts all their stock, but
  takes its days from the reports whose use is known, and says how many were not.
- Buckets: 0, 1–3, 4–6, 7–14, 15–30, > 30 days; red below 7 days, amber 7–14, green from 15.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

RED_BELOW = 7  # days: a report under this is low stock (an alert)
AMBER_BELOW = 15


class Bucket(enum.Enum):
    NONE = ("0", 0, 0)
    ONE_TO_THREE = ("1–3", 1, 3)
    FOUR_TO_SIX = ("4–6", 4, 6)
    ONE_TO_TWO_WEEKS = ("7–14", 7, 14)
    TWO_TO_FOUR_WEEKS = ("15–30", 15, 30)
    LONGER = ("> 30", 31, None)

    def __init__(self, label: str, first: int, last: int | None) -> None:
        self.label = label
        self.first = first
        self.last = last

    @property
    def colour(self) -> str:
        if self.first < RED_BELOW:
            return "red"
        return "amber" if self.first < AMBER_BELOW else "green"


# Stock with no use lasts "for ever": a number above every bucket's end.
FOREVER = 10**9


def days_of_supply(on_hand: int, used_7_days: int | None) -> int | None:
    """Whole days the stock lasts at the last 7 days' rate; None when the use is unknown."""
    if on_hand <= 0:
        return 0
    if used_7_days is None:
        return None
    if used_7_days <= 0:
        return FOREVER
    return on_hand * 7 // used_7_days


def bucket(days: int | None) -> Bucket | None:
    if days is None:
        return None
    for candidate in Bucket:
        if candidate.last is None or days <= candidate.last:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover - LONGER has no end


@dataclass(frozen=True)
class Supply:
    """Days of supply of one report or a sum of reports."""

    on_hand: int
    used_7_days: int | None
    days: int | None
    unknown_use: int = 0  # reports left out of the sum for want of their use

    @property
    def bucket(self) -> Bucket | None:
        return bucket(self.days)

    @property
    def low(self) -> bool:
        return self.days is not None and self.days < RED_BELOW


def of_report(on_hand: int, used_7_days: int | None) -> Supply:
    return Supply(on_hand, used_7_days, days_of_supply(on_hand, used_7_days))


def of_sum(reports: Sequence[tuple[int, int | None]]) -> Supply:
    """The days of supply of several (on hand, used) reports together: the stock and use of the
    reports whose use is known. `on_hand` is the stock of all of them; with no use known at all,
    the days are unknown."""
    known = [(on_hand, used) for on_hand, used in reports if used is not None]
    total = sum(on_hand for on_hand, _used in reports)
    if not known:
        return Supply(total, None, None, len(reports))
    used = sum(used for _on_hand, used in known if used is not None)
    return Supply(
        total, used, days_of_supply(sum(on_hand for on_hand, _used in known), used), len(reports) - len(known)
    )
