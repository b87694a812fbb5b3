"""The flow statistics' "days beyond grace" and liability's liable days agree under the law's
defaults (3 grace days, the notice day counted, no cut-off), for patients ready and discharged in
the same month with an admission notice. Flow counts by the month of discharge and with its fixed
GRACE_DAYS; it does not read the county's agreement (docs/decisions/liability-counting.md)."""

from __future__ import annotations

import datetime

import pytest

from samverkan.flow import statistics as flow_statistics
from samverkan.flow.models import Episode
from samverkan.followup import selectors
from samverkan.followup.tests.conftest import at, make_episode
from samverkan.organisations import policy

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
