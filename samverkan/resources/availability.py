"""How many items of a type are free in a period: a calculation on plain values, so that it is
tested directly with hand-checked cases (tests/test_availability.py).

- The *pool* is the items that can be lent at all: neither retired nor in service.
- An open loan takes its item from its first day to its last (`due_on`), both included. A loan
  that is overdue (still open after its last day) takes its item in every period from its start
  on: nobody knows when it comes back.
- A period's *free* count is the pool less the open loans that overlap the period (never below
  zero); *asked* is the number of items that requests still waiting for an answer want in it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WEEK = datetime.timedelta(days=7)


@dataclass(frozen=True)
class Span:
    """Some items (`count`) taken or wanted from `first` to `last`, both days included."""

    first: datetime.date
    last: datetime.date
    count: int = 1

    def overlaps(self, start: datetime.date, end: datetime.date) -> bool:
        return self.first <= end and self.last >= start


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    free: int
    lent: int
    asked: int

    @property
    def short(self) -> bool:
        """More asked for than is free."""
        return self.asked > self.free


def weeks_from(today: datetime.date, count: int) -> list[tuple[datetime.date, datetime.date]]:
    """`count` calendar weeks (Monday to Sunday), the first the one holding `today`."""
    monday = today - datetime.timedelta(days=today.weekday())
    return [(monday + i * WEEK, monday + i * WEEK + datetime.timedelta(days=6)) for i in range(count)]


def taken_span(first: datetime.date, due: datetime.date, today: datetime.date) -> Span:
    """The days an open loan takes its item: to its last day, or with no end once it is overdue."""
    return Span(first, datetime.date.max if due < today else due)


def periods(
    *,
    pool: int,
    loans: Iterable[Span],
    asked: Iterable[Span],
    bounds: Sequence[tuple[datetime.date, datetime.date]],
) -> list[Period]:
    """Free, lent and asked-for items in each period of `bounds`."""
    loans, asked = list(loans), list(asked)
    result = []
    for start, end in bounds:
        lent = sum(span.count for span in loans if span.overlaps(start, end))
        wanted = sum(span.count for span in asked if span.overlaps(start, end))
        result.append(Period(start, end, free=max(pool - lent, 0), lent=lent, asked=wanted))
    return result
