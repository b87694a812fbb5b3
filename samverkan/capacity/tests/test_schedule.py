"""When reports are due and when figures go stale, checked by hand against the calendar.

Dates used: Monday 2 March 2026 (an ordinary week, CET = UTC+1), Friday 6 March; daylight saving
starts Sunday 29 March 2026 (Monday 30 March is CEST = UTC+2) and ends Sunday 25 October 2026
(Monday 26 October is CET = UTC+1 again). Reports are due weekdays by 10:00 local time."""

from __future__ import annotations

import datetime

import pytest

from samverkan.capacity import schedule as sched
from samverkan.capacity import selectors, services
from samverkan.capacity.schedule import DEFAULT_RULE, DayStatus, Rule
from samverkan.capacity.tests.helpers import at, local, report, utc

MONDAY = datetime.date(2026, 3, 2)
TUESDAY = datetime.date(2026, 3, 3)
FRIDAY = datetime.date(2026, 3, 6)


# --- Pure functions ------------------------------------------------------------------------


def test_due_at_is_ten_oclock_local_time_in_winter_and_summer():
    assert sched.due_at(MONDAY, DEFAULT_RULE) == utc(2026, 3, 2, 9)
    assert sched.due_at(datetime.date(2026, 3, 30), DEFAULT_RULE) == utc(2026, 3, 30, 8)
    assert sched.due_at(datetime.date(2026, 10, 26), DEFAULT_RULE) == utc(2026, 10, 26, 9)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (local(2026, 3, 2, 9, 59), local(2026, 2, 27, 10)),  # Monday before ten: Friday's
        (local(2026, 3, 2, 10), local(2026, 3, 2, 10)),  # exactly at the due time
        (local(2026, 3, 3, 15), local(2026, 3, 3, 10)),
        (local(2026, 3, 7, 12), local(2026, 3, 6, 10)),  # Saturday: Friday's
        (local(2026, 3, 8, 23, 59), local(2026, 3, 6, 10)),  # Sunday night: still Friday's
        (utc(2026, 3, 2, 23, 30), local(2026, 3, 3, 10) - datetime.timedelta(days=1)),  # 00:30 local Tuesday
    ],
)
def test_last_due_is_the_latest_due_time_passed(now, expected):
    assert sched.last_due(now, DEFAULT_RULE) == expected


def test_last_due_with_one_reporting_day_a_week_looks_back_a_whole_week():
    mondays = Rule(weekdays=frozenset({0}), due_time=datetime.time(10))
    assert sched.last_due(local(2026, 3, 9, 9), mondays) == local(2026, 3, 2, 10)
    assert sched.last_due(local(2026, 3, 9, 10), mondays) == local(2026, 3, 9, 10)


def test_without_reporting_days_nothing_is_due_or_stale():
    never = Rule(weekdays=frozenset(), due_time=datetime.time(10))
    assert sched.last_due(local(2026, 3, 2, 12), never) is None
    assert sched.current_since(local(2026, 3, 2, 12), never) is None
    assert not sched.is_stale(local(2025, 1, 1), local(2026, 3, 2, 12), never)
    assert sched.is_stale(None, local(2026, 3, 2, 12), never)


def test_a_unit_that_never_reported_is_stale():
    assert sched.is_stale(None, local(2026, 3, 2, 12), DEFAULT_RULE)


def test_current_since_is_local_midnight_of_the_last_due_day():
    assert sched.current_since(local(2026, 3, 3, 11), DEFAULT_RULE) == local(2026, 3, 3)
    assert sched.current_since(local(2026, 3, 3, 11), DEFAULT_RULE) == utc(2026, 3, 2, 23)
    assert sched.current_since(local(2026, 3, 30, 11), DEFAULT_RULE) == utc(2026, 3, 29, 22)  # CEST midnight


@pytest.mark.parametrize(
    ("now", "stale"),
    [
        (local(2026, 3, 2, 11), False),  # Monday 11:00
        (local(2026, 3, 2, 23, 59), False),
        (local(2026, 3, 3, 9, 59, 59), False),  # Tuesday 09:59:59
        (local(2026, 3, 3, 10), True),  # Tuesday 10:00
        (local(2026, 3, 3, 12), True),
    ],
)
def test_a_monday_morning_report_is_current_until_tuesdays_due_time(now, stale):
    assert sched.is_stale(local(2026, 3, 2, 9), now, DEFAULT_RULE) is stale


@pytest.mark.parametrize(
    ("now", "stale"),
    [
        (local(2026, 3, 6, 16), False),
        (local(2026, 3, 7, 12), False),  # Saturday
        (local(2026, 3, 8, 12), False),  # Sunday
        (local(2026, 3, 9, 9, 59), False),  # Monday 09:59
        (local(2026, 3, 9, 10), True),  # Monday 10:00
    ],
)
def test_a_friday_report_stays_current_over_the_weekend(now, stale):
    assert sched.is_stale(local(2026, 3, 6, 9), now, DEFAULT_RULE) is stale


def test_a_report_made_after_the_due_time_counts_for_that_day():
    """Reported late on Monday: current for the rest of Monday and until Tuesday's due time."""
    assert not sched.is_stale(local(2026, 3, 2, 14), local(2026, 3, 2, 15), DEFAULT_RULE)
    assert not sched.is_stale(local(2026, 3, 2, 14), local(2026, 3, 3, 9), DEFAULT_RULE)
    assert sched.is_stale(local(2026, 3, 2, 14), local(2026, 3, 3, 10), DEFAULT_RULE)


def test_a_report_made_before_ten_on_a_reporting_day_is_current_for_it():
    # Monday 08:00 report, Monday 10:30: last due is Monday 10:00, current since Monday 00:00.
    assert not sched.is_stale(local(2026, 3, 2, 8), local(2026, 3, 2, 10, 30), DEFAULT_RULE)
    # A Sunday-evening report is stale once Monday's due time passes.
    assert not sched.is_stale(local(2026, 3, 1, 20), local(2026, 3, 2, 9, 59), DEFAULT_RULE)
    assert sched.is_stale(local(2026, 3, 1, 20), local(2026, 3, 2, 10), DEFAULT_RULE)


@pytest.mark.parametrize(
    ("reported", "now", "stale"),
    [
        # Spring: Friday 27 March (CET) report; Monday 30 March due 10:00 CEST = 08:00 UTC.
        (local(2026, 3, 27, 9), utc(2026, 3, 30, 7, 59), False),
        (local(2026, 3, 27, 9), utc(2026, 3, 30, 8, 0), True),
        (local(2026, 3, 27, 9), utc(2026, 3, 29, 12), False),  # the Sunday of the change
        # Autumn: Friday 23 October (CEST) report; Monday 26 October due 10:00 CET = 09:00 UTC.
        (local(2026, 10, 23, 9), utc(2026, 10, 26, 8, 59), False),
        (local(2026, 10, 23, 9), utc(2026, 10, 26, 9, 0), True),
        (local(2026, 10, 23, 9), utc(2026, 10, 25, 1, 30), False),  # during the repeated hour
        # Monday 30 March 09:00 CEST (07:00 UTC) report is current Monday and stale Tuesday 10:00 CEST.
        (utc(2026, 3, 30, 7), utc(2026, 3, 31, 7, 59), False),
        (utc(2026, 3, 30, 7), utc(2026, 3, 31, 8), True),
        # A report at 23:30 UTC Sunday 29 March is Monday 01:30 CEST: current on Monday.
        (utc(2026, 3, 29, 23, 30), utc(2026, 3, 30, 9), False),
        # ... but 21:30 UTC Sunday is Sunday 23:30 CEST: stale once Monday's due time has passed.
        (utc(2026, 3, 29, 21, 30), utc(2026, 3, 30, 9), True),
    ],
)
def test_staleness_follows_local_time_across_daylight_saving(reported, now, stale):
    assert sched.is_stale(reported, now, DEFAULT_RULE) is stale


def test_the_due_time_stays_ten_local_on_the_monday_after_each_change():
    assert sched.last_due(utc(2026, 3, 30, 8), DEFAULT_RULE) == local(2026, 3, 30, 10)
    assert sched.last_due(utc(2026, 3, 30, 7, 59), DEFAULT_RULE) == local(2026, 3, 27, 10)
    assert sched.last_due(utc(2026, 10, 26, 9), DEFAULT_RULE) == local(2026, 10, 26, 10)
    assert sched.last_due(utc(2026, 10, 26, 8, 59), DEFAULT_RULE) == local(2026, 10, 23, 10)


def test_due_days_are_the_reporting_weekdays_both_ends_included():
    assert sched.due_days(datetime.date(2026, 2, 28), FRIDAY, DEFAULT_RULE) == [
        MONDAY,
        TUESDAY,
        datetime.date(2026, 3, 4),
        datetime.date(2026, 3, 5),
        FRIDAY,
    ]
    weekend = Rule(weekdays=frozenset({5, 6}), due_time=datetime.time(12))
    assert sched.due_days(MONDAY, datetime.date(2026, 3, 8), weekend) == [
        datetime.date(2026, 3, 7),
        datetime.date(2026, 3, 8),
    ]
    assert sched.due_days(FRIDAY, MONDAY, DEFAULT_RULE) == []


@pytest.mark.parametrize(
    ("times", "now", "expected"),
    [
        ([local(2026, 3, 2, 9)], local(2026, 3, 2, 12), DayStatus.ON_TIME),
        ([local(2026, 3, 2, 10)], local(2026, 3, 2, 12), DayStatus.ON_TIME),  # exactly at the due time
        ([local(2026, 3, 2, 0, 0)], local(2026, 3, 2, 12), DayStatus.ON_TIME),
        ([local(2026, 3, 2, 10, 0, 1)], local(2026, 3, 2, 12), DayStatus.LATE),
        ([local(2026, 3, 2, 16), local(2026, 3, 2, 9, 30)], local(2026, 3, 3), DayStatus.ON_TIME),  # any order
        ([local(2026, 3, 2, 9)], local(2026, 3, 2, 9, 30), DayStatus.ON_TIME),  # before due, already in
        ([local(2026, 3, 2, 11)], local(2026, 3, 2, 11), DayStatus.LATE),
        ([], local(2026, 3, 2, 9, 59), None),  # not yet due
        ([], local(2026, 3, 2, 10), DayStatus.MISSING),
        ([local(2026, 3, 1, 23, 59)], local(2026, 3, 2, 12), DayStatus.MISSING),  # Sunday's report
        ([local(2026, 3, 3, 8)], local(2026, 3, 3, 9), DayStatus.MISSING),  # Tuesday's report
        ([utc(2026, 3, 1, 23, 30)], local(2026, 3, 2, 12), DayStatus.ON_TIME),  # 00:30 local Monday
    ],
)
def test_day_status_on_time_late_missing_or_not_yet_due(times, now, expected):
    assert sched.day_status(times, MONDAY, DEFAULT_RULE, now) == expected


def test_day_status_uses_local_time_after_the_spring_change():
    monday = datetime.date(2026, 3, 30)
    assert sched.day_status([utc(2026, 3, 30, 7, 59)], monday, DEFAULT_RULE, utc(2026, 3, 30, 12)) == DayStatus.ON_TIME
    assert sched.day_status([utc(2026, 3, 30, 8, 1)], monday, DEFAULT_RULE, utc(2026, 3, 30, 12)) == DayStatus.LATE
    assert sched.day_status([], monday, DEFAULT_RULE, utc(2026, 3, 30, 7, 59)) is None
    assert sched.day_status([], monday, DEFAULT_RULE, utc(2026, 3, 30, 8)) == DayStatus.MISSING
    autumn = datetime.date(2026, 10, 26)
    assert sched.day_status([utc(2026, 10, 26, 8, 59)], autumn, DEFAULT_RULE, utc(2026, 10, 26, 12)) == "on_time"
    assert sched.day_status([utc(2026, 10, 26, 9, 1)], autumn, DEFAULT_RULE, utc(2026, 10, 26, 12)) == "late"


def test_rule_of_a_schedule_reads_its_weekdays_and_time(db):
    schedule = services.reporting_schedule_for("20")
    assert Rule.of(schedule) == DEFAULT_RULE
    schedule.weekdays = "0, 3,6"
    schedule.due_time = datetime.time(8, 30)
    assert Rule.of(schedule) == Rule(weekdays=frozenset({0, 3, 6}), due_time=datetime.time(8, 30))


# --- The overview and the follow-up page ---------------------------------------------------


def _rows(world, now=None) -> dict[int, selectors.UnitRow]:
    overview = selectors.county_overview(world.region_coordinator, "20", now=now)
    return {row.unit_id: row for row in overview.rows}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "stale"),
    [
        (local(2026, 3, 2, 11), False),
        (local(2026, 3, 3, 9, 59), False),
        (local(2026, 3, 3, 10), True),
    ],
)
def test_the_overview_marks_a_monday_report_stale_at_tuesdays_due_time(world, now, stale):
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 2, 9))
    with at(now):
        overview = selectors.county_overview(world.region_coordinator, "20")
    rows = {row.unit_id: row for row in overview.rows}
    assert rows[world.lunden.pk].stale is stale
    assert rows[world.avesta_unit.pk].stale  # never reported
    assert overview.totals.stale_units == 1 + stale
    assert overview.current_since == (local(2026, 3, 3) if stale else local(2026, 3, 2))


@pytest.mark.django_db
def test_the_overview_keeps_a_friday_report_current_over_the_weekend(world):
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 6, 9))
    assert not _rows(world, local(2026, 3, 8, 22))[world.lunden.pk].stale
    assert not _rows(world, local(2026, 3, 9, 9, 59))[world.lunden.pk].stale
    assert _rows(world, local(2026, 3, 9, 10))[world.lunden.pk].stale


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("friday", "before_due", "at_due"),
    [
        (local(2026, 3, 27, 9), utc(2026, 3, 30, 7, 59), utc(2026, 3, 30, 8)),
        (local(2026, 10, 23, 9), utc(2026, 10, 26, 8, 59), utc(2026, 10, 26, 9)),
    ],
    ids=["spring", "autumn"],
)
def test_the_overview_uses_ten_local_time_after_the_clock_change(world, friday, before_due, at_due):
    report(world.lunden, world.lunden_staff, when=friday)
    with at(before_due):
        assert not _rows(world)[world.lunden.pk].stale
    with at(at_due):
        assert _rows(world)[world.lunden.pk].stale


@pytest.mark.django_db
def test_the_overview_follows_the_countys_schedule(world):
    services.reporting_schedule_update(
        schedule=services.reporting_schedule_for("20"),
        by=world.region_coordinator,
        weekdays="0",
        due_time=datetime.time(8),
    )
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 3, 9))  # Tuesday
    # Only Mondays by 08:00: Tuesday's report stays current until next Monday 08:00.
    assert not _rows(world, local(2026, 3, 9, 7, 59))[world.lunden.pk].stale
    assert _rows(world, local(2026, 3, 9, 8))[world.lunden.pk].stale


@pytest.mark.django_db
def test_completeness_counts_on_time_late_and_missing_per_unit_and_municipality(world):
    # Lunden (Falun): Mon 09:00 on time, Tue 10:30 late, Wed missing, Thu 09:00 and Fri 08:00 on time.
    for when in [local(2026, 3, 2, 9), local(2026, 3, 3, 10, 30), local(2026, 3, 5, 9), local(2026, 3, 6, 8)]:
        report(world.lunden, world.lunden_staff, when=when)
    # Avesta: Monday on time, a second (later) report on Monday changes nothing; then silence.
    report(world.avesta_unit, world.avesta_coordinator, when=local(2026, 3, 2, 7))
    report(world.avesta_unit, world.avesta_coordinator, when=local(2026, 3, 2, 14))
    # The region's hospital ward does not report to this schedule (short-term units only).
    report(world.falun_ward, world.region_coordinator, when=local(2026, 3, 2, 9))

    data = selectors.reporting_completeness(world.region_coordinator, "20", days=7, now=local(2026, 3, 6, 12))

    assert data.days == [MONDAY, TUESDAY, datetime.date(2026, 3, 4), datetime.date(2026, 3, 5), FRIDAY]
    units = {entry.unit_id: entry for entry in data.units}
    assert set(units) == {world.lunden.pk, world.avesta_unit.pk}
    lunden = units[world.lunden.pk]
    assert list(lunden.statuses.values()) == ["on_time", "late", "missing", "on_time", "on_time"]
    assert (lunden.due, lunden.count("on_time"), lunden.count("late"), lunden.count("missing")) == (5, 3, 1, 1)
    assert lunden.share_on_time == pytest.approx(0.6)
    avesta = units[world.avesta_unit.pk]
    assert list(avesta.statuses.values()) == ["on_time", "missing", "missing", "missing", "missing"]
    assert data.by_municipality == [("2084", "Avesta", 5, 1, 0, 4), ("2080", "Falun", 5, 3, 1, 1)]
    assert data.totals == (10, 4, 1, 5)
    per_unit = [
        sum(u.due for u in data.units),
        sum(u.count("on_time") for u in data.units),
        sum(u.count("late") for u in data.units),
        sum(u.count("missing") for u in data.units),
    ]
    assert list(data.totals) == per_unit
    assert [sum(m[i] for m in data.by_municipality) for i in range(2, 6)] == per_unit
    # Friday noon: Lunden reported today, Avesta last on Monday.
    assert [row.unit_id for row in data.overdue] == [world.avesta_unit.pk]


@pytest.mark.django_db
def test_completeness_leaves_today_open_until_the_due_time(world):
    report(world.avesta_unit, world.avesta_coordinator, when=local(2026, 3, 5, 9))
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 6, 8))
    data = selectors.reporting_completeness(world.region_coordinator, "20", days=1, now=local(2026, 3, 6, 9, 30))
    statuses = {entry.unit_id: entry.statuses[FRIDAY] for entry in data.units}
    assert statuses == {world.lunden.pk: "on_time", world.avesta_unit.pk: None}
    assert data.totals == (1, 1, 0, 0)
    assert data.by_municipality == [("2084", "Avesta", 0, 0, 0, 0), ("2080", "Falun", 1, 1, 0, 0)]
    # Avesta's Thursday report stays current until Friday's due time: not overdue yet.
    assert data.overdue == []
    data = selectors.reporting_completeness(world.region_coordinator, "20", days=1, now=local(2026, 3, 6, 10))
    assert [row.unit_id for row in data.overdue] == [world.avesta_unit.pk]
    assert data.totals == (2, 1, 0, 1)


@pytest.mark.django_db
def test_completeness_goes_by_arrival_not_by_the_time_a_report_describes(world):
    """A report sent on Tuesday describing Monday does not fill Monday's gap."""
    with at(local(2026, 3, 3, 9)):
        services.capacity_report_create(
            data=services.ReportInput(
                unit=world.lunden, physical=20, staffed=16, occupied=12, reported_at=local(2026, 3, 2, 9)
            ),
            by=world.lunden_staff,
        )
    data = selectors.reporting_completeness(world.region_coordinator, "20", days=2, now=local(2026, 3, 3, 12))
    lunden = next(u for u in data.units if u.unit_id == world.lunden.pk)
    assert lunden.statuses == {MONDAY: "missing", TUESDAY: "on_time"}


@pytest.mark.django_db
def test_completeness_counts_across_the_spring_clock_change(world):
    # Monday 30 March: 09:30 CEST is on time (a UTC-offset mistake would call it late).
    report(world.lunden, world.lunden_staff, when=utc(2026, 3, 30, 7, 30))
    report(world.avesta_unit, world.avesta_coordinator, when=utc(2026, 3, 30, 8, 30))  # 10:30 CEST: late
    data = selectors.reporting_completeness(world.region_coordinator, "20", days=3, now=utc(2026, 3, 30, 12))
    statuses = {entry.unit_id: entry.statuses for entry in data.units}
    friday = datetime.date(2026, 3, 27)
    monday = datetime.date(2026, 3, 30)
    assert data.days == [monday]  # Saturday 28 and Sunday 29 are not reporting days; Friday is outside
    assert statuses[world.lunden.pk] == {monday: "on_time"}
    assert statuses[world.avesta_unit.pk] == {monday: "late"}
    assert friday not in data.days
    assert data.totals == (2, 1, 1, 0)
