"""The one rule for grace days (samverkan/flow/grace.py): its database expression gives each
episode the same first liable day as the Python function, for every variant of the rules."""

from __future__ import annotations

import datetime

import pytest

from samverkan.flow import grace
from samverkan.flow.models import Episode
from samverkan.flow.tests.helpers import local

pytestmark = pytest.mark.django_db

D = datetime.date
RULES = grace.Rules(
    [
        grace.GraceRule(D(2025, 1, 1), 2, 10, notice_day_counts=False, cutoff_time=datetime.time(12)),
        grace.GraceRule(D(2025, 3, 15), 5, 30),
    ]
)
# (ready, care type, first liable day by hand)
CASES = [
    (local(2024, 12, 31, 13), "somatic", D(2025, 1, 3)),  # the law's before the first version: 31/12 + 3
    (local(2024, 12, 31, 13), "psychiatric", D(2025, 1, 30)),  # + 30
    (local(2025, 3, 2, 11, 59), "somatic", D(2025, 3, 5)),  # A: 2/3 + 2 + 1
    (local(2025, 3, 2, 12, 0), "somatic", D(2025, 3, 6)),  # the cut-off: from 3/3
    (local(2025, 3, 1, 9), "psychiatric", D(2025, 3, 12)),  # 1/3 + 10 + 1
    (local(2025, 3, 14, 23, 59), "somatic", D(2025, 3, 18)),  # A on 14/3, after the cut-off: 15/3 + 3
    (local(2025, 3, 15, 0, 0), "somatic", D(2025, 3, 20)),  # B from 15/3 00:00: + 5
    (local(2025, 3, 29, 23, 30), "somatic", D(2025, 4, 3)),  # B across the change to summer time
    (local(2025, 10, 26, 2, 30), "psychiatric", D(2025, 11, 25)),  # the repeated hour in October
]


def test_the_expression_and_the_function_agree(source):
    for n, (ready, care_type, _first) in enumerate(CASES):
        Episode.objects.create(
            source=source,
            record_id=f"G{n}",
            home_municipality_id="2080",
            care_type=care_type,
            admitted_at=ready - datetime.timedelta(days=1),
            ready_at=ready,
        )
    Episode.objects.create(
        source=source, record_id="none", home_municipality_id="2080", admitted_at=local(2025, 3, 1, 8)
    )
    shifts = dict(Episode.objects.annotate(shift=grace.shift({("2080",): RULES})).values_list("record_id", "shift"))
    assert shifts.pop("none") is None
    for n, (ready, care_type, first) in enumerate(CASES):
        period = grace.first_liable_day(care_type, ready, RULES)
        assert period.first_liable_day == first, (n, ready)
        assert grace.local_date(ready) + shifts[f"G{n}"] == first, (n, ready)


def test_fingerprints_differ_when_the_counting_does():
    same = grace.Rules([grace.GraceRule(D(2025, 1, 1), 2, 10, notice_day_counts=False, cutoff_time=datetime.time(12))])
    assert same.fingerprint() == grace.Rules(list(same.versions)).fingerprint()
    assert same.fingerprint() != RULES.fingerprint() != grace.Rules([]).fingerprint()
    assert grace.Rules([grace.plain(3)]).fingerprint() != grace.Rules([grace.plain(4)]).fingerprint()
