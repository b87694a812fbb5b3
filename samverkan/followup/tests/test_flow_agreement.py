"""The flow statistics' "days beyond grace" and liability's liable days agree, under the law's
defaults and under the county's agreement (versions, cut-off time, day 0 or 1, psychiatric care),
for patients ready and discharged in the same month with an admission notice: both count by
`samverkan.flow.grace` (docs/decisions/liability-counting.md). Flow counts by the month of
discharge, from the episodes or from its daily rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samverkan.flow import daily
from samverkan.flow import statistics as flow_statistics
from samverkan.flow.models import DailyFlowCounty, Episode
from samverkan.followup import selectors, services
from samverkan.followup.tests.conftest import at, make_episode
from samverkan.organisations import policy
from samverkan.organisations.models import County

pytestmark = pytest.mark.django_db


def test_days_beyond_grace_equal_liable_days_under_the_default(source, rates):
    waits = [0, 1, 2, 3, 4, 5, 9, 17]  # days from the notice (2, 3, … 9 March at 10:00) to discharge
    for n, days in enumerate(waits):
        ready = at(2023, 3, 2 + n)
        make_episode(source, f"W{n}", "2080", ready, ready + datetime.timedelta(days=days, hours=2))
    stats = flow_statistics.statistics(
        policy.SYSTEM,
        county_code="20",
        start=datetime.date(2023, 3, 1),
        end=datetime.date(2023, 3, 31),
        granularity=flow_statistics.Granularity.MONTH,
    )
    falun = stats.area("2080").total
    liable = selectors.compute(Episode.objects.all(), "20", 2023, 3, today=datetime.date(2030, 1, 1))["2080"]
    assert falun.days_beyond_grace == sum(max(0, d - 3) for d in waits) == liable.liable_days == 23


def _save(valid_from: datetime.date, **values) -> None:
    services.agreement_save(
        county=County.objects.get(code="20"),
        valid_from=valid_from,
        values={"name": "Avtal", **values},
        by=policy.SYSTEM,
    )


def _flow_march() -> flow_statistics.Figures:
    stats = flow_statistics.statistics(
        policy.SYSTEM,
        county_code="20",
        start=datetime.date(2023, 3, 1),
        end=datetime.date(2023, 3, 31),
        granularity=flow_statistics.Granularity.MONTH,
    )
    return stats.area("2080").total


def test_days_beyond_grace_follow_the_county_agreement_as_liability_does(source, rates):
    """Two versions of Dalarna's agreement:
    A from 1 Jan 2023: 2 grace days somatic, 10 psychiatric, counted from the day after the notice,
      cut-off 12:00; B from 15 March 2023: 5 somatic, 30 psychiatric, the notice day is day 1.
    Falun, all ready and discharged in March 2023 (first liable day L, E the day of discharge):
      V1 A somatic, notice 2/3 11:59 → D 2/3, L = 2+2+1 = 5/3, E 10/3: 5 days beyond grace
      V2 A somatic, notice 2/3 12:00 (the cut-off) → D 3/3, L 6/3, E 10/3: 4
      V3 A psychiatric, notice 1/3 09:00 → L = 1+10+1 = 12/3, E 14/3: 2
      V4 B somatic, notice 15/3 13:00 (no cut-off in B) → L = 15+5 = 20/3, E 22/3: 2
      V5 A (notice 14/3 is before B) 12:30 → D 15/3, L = 15+2+1 = 18/3, E 18/3: within grace
      V6 B somatic, notice 20/3, E 20/3: within grace
      V7 B somatic, notice 25/3 23:30, summer time from 26/3, L 30/3, E 31/3 00:30: 1
    Days beyond grace 5+4+2+2+1 = 14, within grace 2 of 7: the same as the liable days."""
    _save(
        datetime.date(2023, 1, 1),
        grace_days_somatic=2,
        grace_days_psychiatric=10,
        notice_day_counts=False,
        cutoff_time=datetime.time(12, 0),
    )
    _save(datetime.date(2023, 3, 15), grace_days_somatic=5, grace_days_psychiatric=30)
    cases = [
        ("V1", at(2023, 3, 2, 11, 59), at(2023, 3, 10), "somatic"),
        ("V2", at(2023, 3, 2, 12, 0), at(2023, 3, 10), "somatic"),
        ("V3", at(2023, 3, 1, 9), at(2023, 3, 14), "psychiatric"),
        ("V4", at(2023, 3, 15, 13), at(2023, 3, 22), "somatic"),
        ("V5", at(2023, 3, 14, 12, 30), at(2023, 3, 18), "somatic"),
        ("V6", at(2023, 3, 20, 8), at(2023, 3, 20, 15), "somatic"),
        ("V7", at(2023, 3, 25, 23, 30), at(2023, 3, 31, 0, 30), "somatic"),
    ]
    for record_id, ready, discharged, care_type in cases:
        make_episode(source, record_id, "2080", ready, discharged, care_type=care_type)

    liable = selectors.compute(Episode.objects.all(), "20", 2023, 3, today=datetime.date(2030, 1, 1))["2080"]
    assert liable.liable_days == 14
    assert {line.episode.record_id: line.liable_days for line in liable.lines} == {
        "V1": 5, "V2": 4, "V3": 2, "V4": 2, "V7": 1,
    }  # fmt: skip

    from_episodes = _flow_march()  # no daily rows yet: counted from the episodes
    assert (from_episodes.days_beyond_grace, from_episodes.within_grace, from_episodes.discharged_ready) == (14, 2, 7)

    daily.rebuild("20")
    with CaptureQueriesContext(connection) as queries:
        from_rows = _flow_march()
    assert any("flow_dailyflow" in q["sql"] for q in queries.captured_queries)
    assert (from_rows.days_beyond_grace, from_rows.within_grace) == (14, 2)

    # A changed agreement: the daily rows are built again, and both still agree (B: 3 grace days).
    _save(datetime.date(2023, 3, 15), grace_days_somatic=3, grace_days_psychiatric=30)
    liable = selectors.compute(Episode.objects.all(), "20", 2023, 3, today=datetime.date(2030, 1, 1))["2080"]
    # V4: L 18/3 → 4; V6 within; V7: L 28/3 → 3. 5+4+2+4+3 = 18
    assert liable.liable_days == 18
    with CaptureQueriesContext(connection) as queries:
        after = _flow_march()
    assert any("flow_dailyflow" in q["sql"] for q in queries.captured_queries)
    assert (after.days_beyond_grace, after.within_grace) == (18, 2)
    DailyFlowCounty.objects.filter(county_id="20").delete()
    assert _flow_march().days_beyond_grace == 18
