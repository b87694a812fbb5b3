"""The availability calculation with hand-checked cases (resources/availability.py)."""

from __future__ import annotations

import datetime

from samverkan.resources.availability import Span, periods, taken_span, weeks_from

D = datetime.date


def test_weeks_run_monday_to_sunday_from_the_week_holding_today():
    assert weeks_from(D(2030, 3, 6), 2) == [(D(2030, 3, 4), D(2030, 3, 10)), (D(2030, 3, 11), D(2030, 3, 17))]
    assert weeks_from(D(2030, 3, 4), 1) == [(D(2030, 3, 4), D(2030, 3, 10))]  # a Monday starts its own week
    assert weeks_from(D(2030, 3, 10), 1) == [(D(2030, 3, 4), D(2030, 3, 10))]  # a Sunday ends it


def test_a_loan_takes_its_item_in_every_week_it_touches():
    bounds = weeks_from(D(2030, 3, 4), 3)
    # 5 items; one lent 8-11 March (weeks 1 and 2: the 8th is in week 1, the 11th in week 2), one from the 18th.
    loans = [Span(D(2030, 3, 8), D(2030, 3, 11)), Span(D(2030, 3, 18), D(2030, 3, 31))]
    result = periods(pool=5, loans=loans, asked=[], bounds=bounds)
    assert [(p.free, p.lent) for p in result] == [(4, 1), (4, 1), (4, 1)]
    result = periods(pool=5, loans=loans[:1], asked=[], bounds=bounds)
    assert [p.free for p in result] == [4, 4, 5]


def test_the_first_and_last_days_count():
    week = [(D(2030, 3, 4), D(2030, 3, 10))]
    assert periods(pool=1, loans=[Span(D(2030, 3, 10), D(2030, 3, 20))], asked=[], bounds=week)[0].free == 0
    assert periods(pool=1, loans=[Span(D(2030, 2, 20), D(2030, 3, 4))], asked=[], bounds=week)[0].free == 0
    assert periods(pool=1, loans=[Span(D(2030, 2, 20), D(2030, 3, 3))], asked=[], bounds=week)[0].free == 1
    assert periods(pool=1, loans=[Span(D(2030, 3, 11), D(2030, 3, 20))], asked=[], bounds=week)[0].free == 1


def test_an_overdue_loan_stays_out_in_every_week():
    today = D(2030, 3, 6)
    overdue = taken_span(D(2030, 2, 1), D(2030, 3, 1), today)
    on_time = taken_span(D(2030, 2, 1), D(2030, 3, 8), today)
    assert overdue.last == D.max and on_time.last == D(2030, 3, 8)
    result = periods(pool=3, loans=[overdue, on_time], asked=[], bounds=weeks_from(today, 4))
    assert [p.free for p in result] == [1, 2, 2, 2]


def test_free_is_never_negative_and_asked_marks_a_shortage():
    bounds = weeks_from(D(2030, 3, 4), 2)
    loans = [Span(D(2030, 3, 1), D(2030, 3, 20))] * 3
    asked = [Span(D(2030, 3, 12), D(2030, 3, 14), count=2)]
    result = periods(pool=2, loans=loans, asked=asked, bounds=bounds)
    assert [(p.free, p.lent, p.asked, p.short) for p in result] == [(0, 3, 0, False), (0, 3, 2, True)]
    assert not periods(pool=4, loans=[], asked=asked, bounds=bounds)[1].short


def test_an_empty_pool():
    assert [p.free for p in periods(pool=0, loans=[], asked=[], bounds=weeks_from(D(2030, 1, 1), 2))] == [0, 0]
