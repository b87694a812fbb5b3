"""When reports are due, and whether a report is still current: pure functions on local time.

A report counts for the local calendar day it describes and is due by the schedule's time on
each reporting weekday. A unit's figures are *current* while its latest report was made on or
after the day of the last due time; otherwise they are *stale* (and the unit is overdue). So a
Friday report stays current over the weekend until Monday's due time passes, and a report made
at 08:00 on a reporting day is on time for that day's 10:00."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

LOCAL = ZoneInfo(settings.TIME_ZONE)


class DayStatus:
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"


@dataclass(frozen=True)
class Rule:
    """The part of a county's schedule these functions need."""

    weekdays: frozenset[int]
    due_time: datetime.time

    @classmethod
    def of(cls, schedule) -> Rule:
        return cls(weekdays=schedule.weekday_numbers, due_time=schedule.due_time)


DEFAULT_RULE = Rule(weekdays=frozenset(range(5)), due_time=datetime.time(10, 0))


def due_at(day: datetime.date, rule: Rule) -> datetime.datetime:
    """The aware moment a report is due on `day` (local time, correct across daylight saving)."""
    return datetime.datetime.combine(day, rule.due_time, tzinfo=LOCAL)


def last_due(now: datetime.datetime, rule: Rule) -> datetime.datetime | None:
    """The latest due time at or before `now`, or None if the rule has no reporting days."""
    if not rule.weekdays:
        return None
    day = now.astimezone(LOCAL).date()
    for _ in range(8):
        if day.weekday() in rule.weekdays:
            due = due_at(day, rule)
            if due <= now:
                return due
        day -= datetime.timedelta(days=1)
    return None


def current_since(now: datetime.datetime, rule: Rule) -> datetime.datetime | None:
    """Reports made at or after this moment are current: local midnight of the last due day."""
    due = last_due(now, rule)
    if due is None:
        return None
    return datetime.datetime.combine(due.date(), datetime.time(0), tzinfo=LOCAL)


def is_stale(reported_at: datetime.datetime | None, now: datetime.datetime, rule: Rule) -> bool:
    if reported_at is None:
        return True
    since = current_since(now, rule)
    return since is not None and reported_at < since


def due_days(start: datetime.date, end: datetime.date, rule: Rule) -> list[datetime.date]:
    """Reporting days from start to end, both included."""
    days, day = [], start
    while day <= end:
        if day.weekday() in rule.weekdays:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def day_status(
    report_times: Iterable[datetime.datetime], day: datetime.date, rule: Rule, now: datetime.datetime
) -> str | None:
    """On time, late or missing for one unit on one reporting day; None while the day's due
    time has not passed and nothing has been reported (it is not yet missing)."""
    due = due_at(day, rule)
    on_day = sorted(t for t in report_times if t.astimezone(LOCAL).date() == day)
    if on_day and on_day[0] <= due:
        return DayStatus.ON_TIME
    if on_day:
        return DayStatus.LATE
    if now < due:
        return None
    return DayStatus.MISSING
