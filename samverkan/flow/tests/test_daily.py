"""The daily flow rows kept by imports give the statistics exactly what the episodes give."""

from __future__ import annotations

import datetime
from dataclasses import asdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samverkan.flow import daily, generator, imports
from samverkan.flow import statistics as st
from samverkan.flow.models import DailyFlow, DailyFlowCounty, Episode
from samverkan.flow.tests.helpers import csv_bytes, row, run_import
from samverkan.organisations import policy

pytestmark = pytest.mark.django_db

MUNICIPALITIES = [("2080", 59000), ("2081", 52000), ("2084", 23000), ("2062", 20000)]
NOW = datetime.datetime(2026, 4, 30, 12, 0)  # noqa: DTZ001 - the generator takes local, naive times


def _generated(count: int, seed: int = 5) -> list[dict]:
    rows = generator.episodes(
        MUNICIPALITIES, start=datetime.date(2026, 1, 1), days=120, seed=seed, count=count, now=NOW
    )
    return list(rows)


def _import(source, rows: list[dict]):
    result = imports.import_rows(source=source, rows=enumerate(rows, start=2), by=policy.SYSTEM)
    assert result.ok, result.errors[:3]
    return result


def _both(county: str = "20", **options) -> tuple[dict, dict]:
    """The statistics from the daily rows and (with the county's daily rows set aside) from the episodes."""
    from_daily = asdict(st.statistics(policy.SYSTEM, county_code=county, **options))
    DailyFlowCounty.objects.filter(county_id=county).delete()
    from_episodes = asdict(st.statistics(policy.SYSTEM, county_code=county, **options))
    DailyFlowCounty.objects.create(county_id=county)
    return from_daily, from_episodes


PERIODS = [
    {"start": datetime.date(2026, 1, 1), "end": datetime.date(2026, 4, 30), "granularity": "week"},
    {"start": datetime.date(2026, 2, 10), "end": datetime.date(2026, 3, 31), "granularity": "day"},
    {"start": datetime.date(2026, 3, 1), "end": datetime.date(2026, 4, 30), "granularity": "month"},
    {"start": datetime.date(2026, 3, 20), "end": datetime.date(2026, 4, 6), "granularity": "week", "grace_days": 1},
]


@pytest.mark.parametrize("options", PERIODS, ids=lambda o: f"{o['start']}-{o['granularity']}")
def test_the_first_import_builds_the_days_and_they_give_the_same_figures(source, options):
    _import(source, _generated(1500))
    assert DailyFlowCounty.objects.filter(county_id="20").exists()
    assert DailyFlow.objects.exists()
    from_daily, from_episodes = _both(**options)
    assert from_daily["county"]["total"]["admissions"] > 100
    assert from_daily["county"]["buckets"][-1]["figures"]["in_hospital"] > 0  # a census to carry
    assert from_daily == from_episodes


def test_later_imports_keep_the_days_current(source):
    rows = _generated(1200)
    _import(source, rows[:800])
    # The rest, and new facts for earlier episodes: discharges arrive, a home municipality is
    # corrected, an admission moves a month earlier.
    changed = [dict(r) for r in rows[:800:40]]
    for r in changed:
        if not r["discharged_at"]:
            r["discharged_at"] = "2026-04-29T09:00"
            r["destination"] = "home"
    changed[0]["home_municipality"] = "2084" if changed[0]["home_municipality"] != "2084" else "2080"
    moved = changed[1]
    moved["admitted_at"] = "2026-01-02T08:00"
    for column in ("admission_notice_at", "ready_at", "sip_called_at", "discharged_at"):
        if moved[column] and moved[column] < moved["admitted_at"]:
            moved[column] = ""
    result = _import(source, changed + rows[800:])
    assert result.run.updated > 0 and result.run.created == 400
    for options in PERIODS:
        from_daily, from_episodes = _both(**options)
        assert from_daily == from_episodes, options


def test_a_rejected_or_checked_file_leaves_the_days_alone(source):
    run_import(source, csv_bytes(row(source_id="A"), row(source_id="B", admitted_at="2026-02-03T10:00")))
    before = list(DailyFlow.objects.values())
    run_import(source, csv_bytes(row(source_id="C"), row(source_id="D", home_municipality="9999")))
    run_import(source, csv_bytes(row(source_id="E", admitted_at="2026-02-03T11:00")), dry_run=True)
    assert list(DailyFlow.objects.values()) == before
    assert sum(d["admissions"] for d in before) == Episode.objects.count() == 2


def test_age_hospital_unit_filters_and_long_grace_periods_read_the_episodes(source):
    _import(source, _generated(300))
    period = {"start": datetime.date(2026, 1, 1), "end": datetime.date(2026, 4, 30)}
    for options in ({}, {"filters": st.Filters(care_type="somatic")}, {"filters": st.Filters(covid=True)}):
        with CaptureQueriesContext(connection) as queries:
            st.statistics(policy.SYSTEM, county_code="20", **period, **options)
        assert any("flow_dailyflow" in q["sql"] for q in queries.captured_queries), options
        assert not any("flow_episode" in q["sql"] for q in queries.captured_queries), options
    for options in (
        {"filters": st.Filters(age_band="85-")},
        {"filters": st.Filters(hospital_unit=1)},
        {"grace_days": 10},
    ):
        with CaptureQueriesContext(connection) as queries:
            st.statistics(policy.SYSTEM, county_code="20", **period, **options)
        assert not any("flow_dailyflow" in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize(
    "filters",
    [
        st.Filters(care_type="somatic"),
        st.Filters(care_type="psychiatric"),
        st.Filters(covid=True),
        st.Filters(care_type="somatic", covid=False),
    ],
    ids=repr,
)
def test_care_type_and_covid_filters_from_the_daily_rows_give_the_episodes_figures(source, filters):
    """Issue 16, part 12: filtered statistics read the daily rows (kept per care type and covid)."""
    rows = _generated(1500)
    _import(source, rows[:1000])
    _import(source, [dict(r, care_type="psychiatric") if i % 7 == 0 else r for i, r in enumerate(rows[500:])])
    for options in PERIODS:
        from_daily, from_episodes = _both(filters=filters, **options)
        assert from_daily == from_episodes, options
        assert from_daily["county"]["total"]["admissions"] > 0


def test_rebuild_gives_the_rows_the_imports_kept(source):
    rows = _generated(600)
    _import(source, rows[:400])
    _import(source, [dict(r, destination="other") if r["discharged_at"] else r for r in rows[200:]])
    columns = ("municipality_id", "day", "care_type", "covid", *daily.FLOW_FIELDS)
    kept = sorted(DailyFlow.objects.values_list(*columns))
    daily.rebuild("20")
    assert sorted(DailyFlow.objects.values_list(*columns)) == kept


def test_from_the_daily_rows_the_query_count_does_not_depend_on_the_data(source, django_assert_num_queries):
    period = {"start": datetime.date(2026, 1, 1), "end": datetime.date(2026, 4, 30), "granularity": "day"}
    _import(source, _generated(100))
    policy.scope_of(policy.SYSTEM)
    # The municipalities, the county's agreements (grace days), whether the daily rows are complete
    # (with those rules), the periods, the census at the start.
    with django_assert_num_queries(5):
        st.statistics(policy.SYSTEM, county_code="20", **period)
    _import(source, _generated(1500, seed=11))
    with django_assert_num_queries(5):
        st.statistics(policy.SYSTEM, county_code="20", **period)


def test_the_command_rebuilds_a_county(source):
    import io

    from django.core.management import CommandError, call_command

    _import(source, _generated(200))
    kept = sorted(DailyFlow.objects.values_list("municipality_id", "day", *daily.FLOW_FIELDS))
    DailyFlow.objects.all().delete()
    out = io.StringIO()
    call_command("flow_daily_rebuild", "--county", "20", stdout=out)
    assert sorted(DailyFlow.objects.values_list("municipality_id", "day", *daily.FLOW_FIELDS)) == kept
    assert f"County 20: {len(kept)} municipality days built" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("flow_daily_rebuild", "--county", "99")


def test_residents_of_other_counties_get_their_counties_days_too(source):
    rows = generator.episodes(
        [("2080", 59000), ("1880", 156000), ("0180", 980000)],
        start=datetime.date(2026, 1, 1),
        days=120,
        seed=3,
        count=900,
        now=NOW,
    )
    _import(source, list(rows))
    assert set(DailyFlowCounty.objects.values_list("county_id", flat=True)) == {"20", "18", "01"}
    for county in ("18", "01"):
        from_daily, from_episodes = _both(county, **PERIODS[0])
        assert from_daily["county"]["total"]["admissions"] > 50
        assert from_daily == from_episodes
