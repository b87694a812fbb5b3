from __future__ import annotations

import datetime

import pytest

from samverkan.capacity.models import CapacityReport
from samverkan.capacity.schedule import LOCAL
from samverkan.flow.models import DailyFlow, DailyFlowCounty

TODAY = datetime.date(2026, 3, 2)
END = TODAY - datetime.timedelta(days=1)
DAYS = 120


def day_of(i: int) -> datetime.date:
    """Day i of the history (0 = the first of DAYS days ending yesterday)."""
    return END - datetime.timedelta(days=DAYS - 1 - i)


@pytest.fixture
def history(world):
    """DAYS days of flow in Falun (2080) and Avesta (2084), and daily reports of their short-term
    units. Falun: 6 admissions on weekdays and 2 at weekends, 5 discharges a day of which 1 to
    short-term care, 1 ready notice and 1 discharge after one. Avesta: 2 admissions, 2 discharges.
    Lunden (Falun): 20 staffed, 3 surge, occupied 15 + i % 3; Avesta's unit: 10 staffed, occupied 9."""
    rows = []
    for i in range(DAYS):
        day = day_of(i)
        weekend = day.weekday() >= 5
        rows.append(
            DailyFlow(
                municipality_id="2080",
                day=day,
                admissions=2 if weekend else 6,
                discharges=5,
                to_short_term=1,
                ready_notices=1,
                discharged_ready=1,
            )
        )
        rows.append(DailyFlow(municipality_id="2084", day=day, admissions=2, discharges=2))
    # Before the window: 40 admitted and 10 discharged in Falun, 3 ready never discharged.
    rows.append(
        DailyFlow(
            municipality_id="2080",
            day=day_of(0) - datetime.timedelta(days=800),
            admissions=40,
            discharges=10,
            ready_notices=3,
        )
    )
    DailyFlow.objects.bulk_create(rows)
    DailyFlowCounty.objects.get_or_create(county_id="20")
    reports = []
    for i in range(DAYS):
        moment = datetime.datetime.combine(day_of(i), datetime.time(9), tzinfo=LOCAL)
        reports.append(
            CapacityReport(unit=world.lunden, reported_at=moment, physical=24, staffed=20, occupied=15 + i % 3, surge=3)
        )
        reports.append(CapacityReport(unit=world.avesta_unit, reported_at=moment, physical=12, staffed=10, occupied=9))
    CapacityReport.objects.bulk_create(reports)
    return world
