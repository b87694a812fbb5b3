"""Grace days (the days after a ready-for-discharge notice before the home municipality pays): the
one rule for them, read by the flow statistics ("within the grace days", "days beyond grace") and
by discharge follow-up's liability (samverkan/followup/liability.py), so that the two agree.

The county's agreement decides (Lag 2017:612's defaults without one, `LAW`), version by version
(`Rules`): grace days per care type, whether the notice day is grace day 1, and a cut-off time
after which a notice counts from the next day. The agreements themselves are followup's
(`followup.models.Agreement`); followup registers how to read them (`register`), as flow sits
below it and may not import it. Without a registered provider the law's defaults apply.

- **Ready day** D: the local (Europe/Stockholm) date of the notice; with a cut-off time, a notice at
  or after it counts from the next day.
- **First liable day** L = D + grace days when the notice day is grace day 1 (the law's reading),
  D + grace days + 1 otherwise. Which version: the one in force on the notice's own local date
  (before a cut-off moves it).
- A patient discharged on local date E is **within the grace days** when E ≤ L and has
  **max(0, E − L) days beyond grace** (the liable days, whatever the preconditions).

`first_liable_day` counts this for one episode (in Python); `shift` gives L − D as a database
expression, so that the statistics count it over every episode in one query. The tests hold the
two to the same answers (samverkan/flow/tests/test_grace.py).
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from django.db.models import Case, DurationField, IntegerField, Q, Value, When
from django.db.models.functions import TruncDate, TruncTime
from django.db.models.lookups import GreaterThanOrEqual

from samverkan.capacity.schedule import LOCAL

ONE_DAY = datetime.timedelta(days=1)
PSYCHIATRIC = "psychiatric"


class Rule(Protocol):
    """One version of a county's grace days (followup's `liability.Terms` is one)."""

    @property
    def valid_from(self) -> datetime.date: ...
    @property
    def grace_days_somatic(self) -> int: ...
    @property
    def grace_days_psychiatric(self) -> int: ...
    @property
    def notice_day_counts(self) -> bool: ...
    @property
    def cutoff_time(self) -> datetime.time | None: ...


@dataclass(frozen=True)
class GraceRule:
    valid_from: datetime.date = datetime.date.min
    grace_days_somatic: int = 3
    grace_days_psychiatric: int = 30
    notice_day_counts: bool = True
    cutoff_time: datetime.time | None = None


LAW = GraceRule()


def plain(days: int) -> GraceRule:
    """The same grace days for every care type, the notice day counted, no cut-off."""
    return GraceRule(grace_days_somatic=days, grace_days_psychiatric=days)


def grace_days(rule: Rule, care_type: str) -> int:
    return rule.grace_days_psychiatric if care_type == PSYCHIATRIC else rule.grace_days_somatic


class Rules:
    """A county's versions, to find the one in force on a date (`default` before the first)."""

    default: Rule = LAW

    def __init__(self, versions: Iterable[Rule]):
        self.versions = sorted(versions, key=lambda t: t.valid_from)
        self._starts = [t.valid_from for t in self.versions]

    def on(self, day: datetime.date) -> Rule:
        if not self._starts:
            return self.default
        index = bisect.bisect_right(self._starts, day)
        return self.versions[index - 1] if index else self.default

    def fingerprint(self) -> str:
        """What the grace days depend on, as a short text: equal for rules that count alike."""
        parts = [_key(self.default)] + [_key(v) for v in self.versions]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _key(rule: Rule) -> str:
    cutoff = rule.cutoff_time.isoformat() if rule.cutoff_time else "-"
    return (
        f"{rule.valid_from},{rule.grace_days_somatic},{rule.grace_days_psychiatric},{rule.notice_day_counts},{cutoff}"
    )


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(LOCAL).date()


def ready_day(ready_at: datetime.datetime, rule: Rule) -> datetime.date:
    """The local date the notice counts from: its own, or the next after the cut-off time."""
    moment = ready_at.astimezone(LOCAL)
    day = moment.date()
    if rule.cutoff_time is not None and moment.time() >= rule.cutoff_time:
        day += ONE_DAY
    return day


@dataclass(frozen=True)
class Grace:
    rule: Rule
    ready_day: datetime.date
    grace_days: int
    first_liable_day: datetime.date


def first_liable_day(care_type: str, ready_at: datetime.datetime, rules: Rules) -> Grace:
    """The grace period of a notice given at `ready_at` under the version in force that day."""
    moment = ready_at.astimezone(LOCAL)
    day = moment.date()
    rule = rules.on(day)
    if rule.cutoff_time is not None and moment.time() >= rule.cutoff_time:  # as ready_day
        day += ONE_DAY
    grace = grace_days(rule, care_type)
    return Grace(rule, day, grace, day + ONE_DAY * (grace if rule.notice_day_counts else grace + 1))


def shift(
    rules_by_area: dict[tuple[str, ...], Rules],
    *,
    area: str = "home_municipality_id",
    ready: str = "ready_at",
    in_days: bool = False,
) -> Case:
    """A database expression (a duration; with `in_days`, a whole number of days) for L − D₀ of an
    episode, where D₀ is the local date of its ready notice (without any cut-off) and L its first
    liable day, under the rules of its area: `rules_by_area` maps a tuple of home-municipality
    codes to their rules. NULL without a notice or outside the areas."""
    branches = []
    unit: int | datetime.timedelta = 1 if in_days else ONE_DAY
    ready_date = TruncDate(ready, tzinfo=LOCAL)
    ready_time = TruncTime(ready, tzinfo=LOCAL)
    for codes, rules in rules_by_area.items():
        versions: list[Rule] = [rules.default, *rules.versions]
        starts: list[datetime.date | None] = [None, *rules._starts]
        # latest first: the first branch that matches is the version in force
        for position in range(len(versions) - 1, -1, -1):
            rule, start = versions[position], starts[position]
            where = Q(**{f"{area}__in": list(codes), f"{ready}__isnull": False})
            if start is not None:
                where &= Q(GreaterThanOrEqual(ready_date, Value(start)))
            for care, days in (
                (Q(care_type=PSYCHIATRIC), rule.grace_days_psychiatric),
                (~Q(care_type=PSYCHIATRIC), rule.grace_days_somatic),
            ):
                base = days + (0 if rule.notice_day_counts else 1)
                if rule.cutoff_time is not None:
                    late = Q(GreaterThanOrEqual(ready_time, Value(rule.cutoff_time)))
                    branches.append(When(where & care & late, then=Value(unit * (base + 1))))
                branches.append(When(where & care, then=Value(unit * base)))
    return Case(*branches, default=None, output_field=IntegerField() if in_days else DurationField())


_provider: Callable[[str], Rules] | None = None


def register(provider: Callable[[str], Rules]) -> None:
    """How to read a county's rules (followup registers its agreements when the apps are ready)."""
    global _provider  # noqa: PLW0603 - one provider for the process, set once at start-up
    _provider = provider


def rules_for(county_code: str) -> Rules:
    """The county's grace-day rules in force (the law's defaults when nothing is registered)."""
    return _provider(county_code) if _provider is not None else Rules([])
