from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from samverkan.capacity.schedule import LOCAL
from samverkan.flow.imports import source_for
from samverkan.flow.models import Episode, Source
from samverkan.followup.models import DayRate


def at(year, month, day, hour=10, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=LOCAL)


@pytest.fixture
def source(db) -> Source:
    return source_for("20", "Cosmic")


@pytest.fixture
def rates(db) -> None:
    for year, amount in ((2022, "9300"), (2023, "10500"), (2024, "11000")):
        DayRate.objects.create(county_id="20", year=year, amount=Decimal(amount))


def make_episode(source: Source, record_id: str, municipality: str, ready, discharged, **values) -> Episode:
    admitted = values.pop("admitted_at", None) or ready - datetime.timedelta(days=2)
    return Episode.objects.create(
        source=source,
        record_id=record_id,
        home_municipality_id=municipality,
        care_type=values.pop("care_type", "somatic"),
        admitted_at=admitted,
        admission_notice_at=values.pop("admission_notice_at", admitted + datetime.timedelta(hours=3)),
        ready_at=ready,
        discharged_at=discharged,
        **values,
    )


@pytest.fixture
def march(source, rates) -> list[Episode]:
    """March 2023 in Falun and Avesta (the law's defaults, 10 500 kr a day):
    F1: notice 6 March, discharged 11 March: 2 liable days (9, 10) = 21 000.
    F2: notice 27 February, discharged 3 March: liable 2 March only = 10 500 (and 2 in February).
    F3: no admission notice, notice 6 March, discharged 20 March: 0 (a line saying why).
    A1 (Avesta): notice 20 March, discharged 2 April: liable 23 … 31 March = 9 days = 94 500.
    F4: discharged within grace: no line."""
    return [
        make_episode(source, "F1", "2080", at(2023, 3, 6), at(2023, 3, 11, 14)),
        make_episode(source, "F2", "2080", at(2023, 2, 27), at(2023, 3, 3)),
        make_episode(source, "F3", "2080", at(2023, 3, 6), at(2023, 3, 20), admission_notice_at=None),
        make_episode(source, "A1", "2084", at(2023, 3, 20), at(2023, 4, 2)),
        make_episode(source, "F4", "2080", at(2023, 3, 6), at(2023, 3, 8)),
    ]
