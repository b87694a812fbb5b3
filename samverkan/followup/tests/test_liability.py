"""Hand-computed cases for every rule of liability.py. Each case says the dates and the count."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from samverkan.capacity.schedule import LOCAL
from samverkan.followup import liability
from samverkan.followup.liability import LAW, Agreements, Reason, Terms

UTC = datetime.UTC
RATES = {2022: Decimal("9300"), 2023: Decimal("10500"), 2024: Decimal("11000")}
FAR_FUTURE = datetime.date(2030, 1, 1)


def at(year, month, day, hour=10, minute=0, second=0):
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=LOCAL)


def episode(ready, discharged=None, *, care_type="somatic", admitted=None, notice="auto", sip=None):
    admitted = admitted or ready - datetime.timedelta(days=2)
    return SimpleNamespace(
        pk=id(ready),
        care_type=care_type,
        admitted_at=admitted,
        admission_notice_at=admitted + datetime.timedelta(hours=3) if notice == "auto" else notice,
        ready_at=ready,
        sip_called_at=sip,
        discharged_at=discharged,
    )


def month(episodes, year, month_, *, terms=(), rates=RATES, today=FAR_FUTURE, code="2080"):
    result = liability.month_statement(
        [(code, e) for e in episodes],
        agreements=Agreements(terms),
        rates=rates,
        year=year,
        month=month_,
        today=today,
    )
    return result.get(code)


def days(episodes, year, month_, **options) -> list[int]:
    found = month(episodes, year, month_, **options)
    return [line.liable_days for line in found.lines] if found else []


def test_the_laws_example_two_liable_days():
    # Notice Monday 6 March 2023, discharge Saturday 11 March: liable 9 and 10 March.
    found = month([episode(at(2023, 3, 6), at(2023, 3, 11, 14))], 2023, 3)
    (line,) = found.lines
    assert (line.first_day, line.last_day, line.liable_days) == (
        datetime.date(2023, 3, 9),
        datetime.date(2023, 3, 10),
        2,
    )
    assert line.day_rate == Decimal("10500") and line.amount == Decimal("21000.00")
    assert line.reason == Reason.LIABLE
    assert found.liable_days == 2 and found.amount == Decimal("21000.00")


def test_notice_day_not_counted_starts_a_day_later():
    # Grace days 7, 8, 9 March: liable only 10 March.
    terms = [Terms(valid_from=datetime.date(2020, 1, 1), notice_day_counts=False)]
    assert days([episode(at(2023, 3, 6), at(2023, 3, 11))], 2023, 3, terms=terms) == [1]


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (at(2023, 3, 6, 11, 59, 59), 2),  # before noon: counts from 6 March, liable 9, 10
        (at(2023, 3, 6, 12, 0, 0), 1),  # at noon: counts from 7 March, liable 10
        (at(2023, 3, 6, 23, 59), 1),
    ],
)
def test_cutoff_time(sent, expected):
    terms = [Terms(valid_from=datetime.date(2020, 1, 1), cutoff_time=datetime.time(12, 0))]
    assert days([episode(sent, at(2023, 3, 11))], 2023, 3, terms=terms) == [expected]


def test_notices_at_midnight_belong_to_the_day_that_begins():
    # 00:00 on 6 March is 6 March (23:00 UTC on the 5th): liable 9, 10.
    assert days([episode(at(2023, 3, 6, 0, 0), at(2023, 3, 11))], 2023, 3) == [2]
    # 23:59 on 5 March: liable 8, 9, 10.
    assert days([episode(at(2023, 3, 5, 23, 59), at(2023, 3, 11))], 2023, 3) == [3]
    # A discharge at 00:00 on 11 March is on the 11th, which is not liable.
    assert days([episode(at(2023, 3, 6), at(2023, 3, 11, 0, 0))], 2023, 3) == [2]


def test_psychiatric_care_has_thirty_grace_days_across_the_month():
    # Notice 1 March, discharge 5 April: first liable day 31 March; 1 day in March, 4 in April = 35 − 30.
    stay = episode(at(2023, 3, 1), at(2023, 4, 5), care_type="psychiatric")
    assert days([stay], 2023, 3) == [1]
    assert days([stay], 2023, 4) == [4]


def test_discharged_within_grace_gives_no_line():
    assert month([episode(at(2023, 3, 6), at(2023, 3, 9, 8))], 2023, 3) is None


def test_no_admission_notice_means_nothing_liable_and_says_why():
    found = month([episode(at(2023, 3, 6), at(2023, 3, 11), notice=None)], 2023, 3)
    (line,) = found.lines
    assert line.liable_days == 0 and line.amount == 0 and line.reason == Reason.NO_ADMISSION_NOTICE
    assert found.amount == 0
    # An agreement that requires none: liable.
    terms = [Terms(valid_from=datetime.date(2020, 1, 1), admission_notice_required=False)]
    assert days([episode(at(2023, 3, 6), at(2023, 3, 11), notice=None)], 2023, 3, terms=terms) == [2]


def test_admission_notice_within_24_hours():
    terms = [Terms(valid_from=datetime.date(2020, 1, 1), admission_notice_within_hours=24)]
    admitted = at(2023, 3, 1, 8)
    in_time = episode(
        at(2023, 3, 6), at(2023, 3, 11), admitted=admitted, notice=admitted + datetime.timedelta(hours=24)
    )
    late = episode(
        at(2023, 3, 6), at(2023, 3, 11), admitted=admitted, notice=admitted + datetime.timedelta(hours=24, minutes=1)
    )
    found = month([in_time, late], 2023, 3, terms=terms)
    assert [(line.liable_days, line.reason) for line in found.lines] == [
        (2, Reason.LIABLE),
        (0, Reason.LATE_ADMISSION_NOTICE),
    ]


def test_sip_call_with_and_without_that_precondition():
    late_sip = episode(at(2023, 3, 6, 15), at(2023, 3, 11), sip=at(2023, 3, 10, 9))  # 4 days after
    in_time = episode(at(2023, 3, 6, 15), at(2023, 3, 11), sip=at(2023, 3, 9, 23, 59))  # 3 days after
    no_sip = episode(at(2023, 3, 6, 15), at(2023, 3, 11))
    required = [Terms(valid_from=datetime.date(2020, 1, 1), sip_call_within_days=3)]
    found = month([late_sip, in_time, no_sip], 2023, 3, terms=required)
    assert [(line.liable_days, line.reason) for line in found.lines] == [
        (0, Reason.LATE_SIP_CALL),
        (2, Reason.LIABLE),
        (0, Reason.NO_SIP_CALL),
    ]
    # Without the precondition (the law's default) all three are liable.
    assert days([late_sip, in_time, no_sip], 2023, 3) == [2, 2, 2]


def test_month_boundary_splits_the_days():
    # Notice 27 January, discharge 3 February: liable 30, 31 January and 1, 2 February.
    stay = episode(at(2023, 1, 27), at(2023, 2, 3))
    january, february = month([stay], 2023, 1).lines[0], month([stay], 2023, 2).lines[0]
    assert (january.first_day, january.last_day, january.liable_days) == (
        datetime.date(2023, 1, 30),
        datetime.date(2023, 1, 31),
        2,
    )
    assert (february.first_day, february.last_day, february.liable_days) == (
        datetime.date(2023, 2, 1),
        datetime.date(2023, 2, 2),
        2,
    )


def test_leap_day_is_a_liable_day():
    # Notice 26 February 2024, discharge 2 March: liable 29 February and 1 March.
    stay = episode(at(2024, 2, 26), at(2024, 3, 2))
    assert days([stay], 2024, 2) == [1]
    assert month([stay], 2024, 2).lines[0].first_day == datetime.date(2024, 2, 29)
    assert days([stay], 2024, 3) == [1]


def test_daylight_saving_changes_count_local_calendar_days():
    # Spring: notice 00:30 on 25 March 2023 (23:30 UTC on the 24th), discharge 30 March: local days
    # give first liable day 28 March, liable 28, 29 (UTC dates would give 27, 28, 29).
    spring = episode(at(2023, 3, 25, 0, 30), at(2023, 3, 30, 12))
    assert spring.ready_at.astimezone(UTC).date() == datetime.date(2023, 3, 24)
    assert days([spring], 2023, 3) == [2]
    # Autumn (29 October has 25 hours): notice 23:30 on 28 October (21:30 UTC), discharge 00:15 on
    # 2 November (23:15 UTC on 1 November): liable 31 October and 1 November.
    autumn = episode(at(2023, 10, 28, 23, 30), at(2023, 11, 2, 0, 15))
    assert autumn.discharged_at.astimezone(UTC).date() == datetime.date(2023, 11, 1)
    assert days([autumn], 2023, 10) == [1]
    assert days([autumn], 2023, 11) == [1]


def test_rate_change_on_the_first_of_january():
    # Notice 27 December 2022, discharge 4 January 2023: 30, 31 Dec at 9 300; 1, 2, 3 Jan at 10 500.
    stay = episode(at(2022, 12, 27), at(2023, 1, 4))
    december, january = month([stay], 2022, 12), month([stay], 2023, 1)
    assert (december.liable_days, december.amount) == (2, Decimal("18600.00"))
    assert (january.liable_days, january.amount) == (3, Decimal("31500.00"))
    assert january.lines[0].day_rate == Decimal("10500")


def test_agreement_change_mid_month_applies_to_notices_from_its_date():
    terms = [
        Terms(valid_from=datetime.date(2020, 1, 1)),
        Terms(valid_from=datetime.date(2023, 3, 15), grace_days_somatic=5),
    ]
    before = episode(at(2023, 3, 14, 23, 30), at(2023, 3, 25))  # 3 grace days: liable 17 … 24
    after = episode(at(2023, 3, 15, 0, 0), at(2023, 3, 25))  # 5 grace days: liable 20 … 24
    assert days([before, after], 2023, 3, terms=terms) == [8, 5]


def test_the_cutoff_does_not_move_a_notice_into_the_next_agreement():
    # The agreement is chosen by the notice's own date; its cut-off then moves the ready day.
    terms = [
        Terms(valid_from=datetime.date(2020, 1, 1), cutoff_time=datetime.time(12)),
        Terms(valid_from=datetime.date(2023, 3, 15), grace_days_somatic=5),
    ]
    # 14 March 13:00 under the first agreement: counts from 15 March, 3 grace days: liable 18 … 24.
    assert days([episode(at(2023, 3, 14, 13), at(2023, 3, 25))], 2023, 3, terms=terms) == [7]


def test_not_yet_discharged_counts_up_to_today():
    stay = episode(at(2023, 3, 6), None)
    # Today 12 March: liable 9, 10, 11 (today may still be the day of discharge).
    assert days([stay], 2023, 3, today=datetime.date(2023, 3, 12)) == [3]
    # A whole later month: every day of April.
    assert days([stay], 2023, 4, today=datetime.date(2023, 6, 1)) == [30]


def test_average_model():
    # Target 2 days per patient. Discharged in March: days ready 1, 4 and 6 = 11 over 3 patients:
    # 11 − 3 × 2 = 5 liable days at 10 500. One without an admission notice is left out (and says
    # so), one discharged in April counts in April.
    terms = [Terms(valid_from=datetime.date(2020, 1, 1), model="average", average_target_days=Decimal("2.0"))]
    stays = [
        episode(at(2023, 3, 1), at(2023, 3, 2)),
        episode(at(2023, 3, 10), at(2023, 3, 14)),
        episode(at(2023, 3, 20), at(2023, 3, 26)),
        episode(at(2023, 3, 20), at(2023, 3, 30), notice=None),
        episode(at(2023, 3, 28), at(2023, 4, 3)),
    ]
    found = month(stays, 2023, 3, terms=terms)
    assert [(line.days_ready, line.reason) for line in found.lines] == [
        (1, Reason.AVERAGE_MODEL),
        (4, Reason.AVERAGE_MODEL),
        (6, Reason.AVERAGE_MODEL),
        (10, Reason.NO_ADMISSION_NOTICE),
    ]
    (average,) = found.averages
    assert (average.patients, average.days_ready, average.liable_days) == (3, 11, Decimal("5.0"))
    assert average.amount == Decimal("52500.00") and found.amount == Decimal("52500.00")
    # April: one patient, 28 March to 3 April = 6 days ready: 6 − 2 = 4 liable days.
    april = month(stays, 2023, 4, terms=terms)
    assert (april.averages[0].liable_days, april.amount) == (Decimal("4.0"), Decimal("42000.00"))
    # At or below the target: nothing.
    assert month(stays[:1], 2023, 3, terms=terms).averages[0].liable_days == 0


def test_a_year_without_a_rate_cannot_be_priced():
    with pytest.raises(liability.MissingDayRate) as missing:
        month([episode(at(2025, 3, 6), at(2025, 3, 11))], 2025, 3)
    assert missing.value.year == 2025
    # Without liable days no rate is needed.
    assert month([episode(at(2025, 3, 6), at(2025, 3, 11), notice=None)], 2025, 3).amount == 0


def test_the_law_in_plain_words():
    with translation.override("en"):
        text = " ".join(liability.plain_rule(LAW))
    assert "from day 4" in text and "from day 31" in text and "admission notice" in text
