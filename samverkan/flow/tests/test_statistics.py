"""County statistics of patient flow checked by hand on a small fixture.

The fixture (local Swedish times; Falun 2080, Borlänge 2081, Avesta 2084; period Mon 24 March to
Sun 13 April 2025 = ISO weeks 13, 14 and 15). Week 14 (31 March – 6 April) spans the month end;
summer time starts on Sunday 30 March at 02:00 (week 13).

    id   home  admitted        ready           discharged      destination   birth  other
    E1   Falun 20/3 10:00      22/3 09:00      26/3 14:00      short_term    1940
    E2   Falun 25/3 08:00      27/3 10:00      27/3 16:00      home_care     1950   falun_ward
    E3   Falun 29/3 22:00      30/3 23:30      31/3 00:30      nursing_home  1945
    E4   Falun 31/3 23:30      1/4 09:00       8/4 10:00       home_care     1960   psychiatric, falun_ward
    E5   Falun 1/4 00:15       –               2/4 12:00       home          2000   covid
    E6   Falun 10/4 12:00      12/4 08:00      –                             1930
    E7   Falun 5/4 10:00       –               –                             1938
    E8   Borl. 10/3 10:00      15/3 10:00      –                             –
    E9   Borl. 13/4 23:59      –               14/4 01:00      home          1990
    E10  Falun 14/4 00:00      –               –                             1990   (after the period)
    E11  Avesta 2/4 10:00      3/4 12:00       6/4 23:00       deceased      –

E3's discharge (31/3 00:30 local) is 30/3 22:30 UTC and E5's admission (1/4 00:15 local) is 31/3
22:15 UTC: counted in UTC they would fall in another week or month.

Days ready (local dates): E1 26−22 = 4, E2 0, E3 31/3−30/3 = 1, E4 8/4−1/4 = 7, E11 3.
By the law's grace days (no agreement recorded: 3 in somatic and 30 in psychiatric care, the notice
day counted as day 1): within grace E2, E3, E4 (psychiatric, 7 ≤ 30), E11; beyond grace E1 (4−3 = 1 day).

Falun per week:
    census at the start (24/3 00:00): E1 in hospital and ready -> 1, 1
    W13: admissions E2 E3 = 2; discharges E1 E2 = 2; notices E2 E3 = 2; discharged after a notice
         E1 E2 = 2, days 4+0 = 4, same day 1 (E2), within grace 1 (E2), beyond grace 1 day;
         destinations short_term 1, home_care 1; census at the end 1+2−2 = 1 (E3), ready 1+2−2 = 1.
    W14: admissions E4 E5 E7 = 3; discharges E3 E5 = 2; notices E4 = 1; after a notice E3: days 1,
         within grace 1; destinations nursing_home 1, home 1; census 1+3−2 = 2 (E4 E7), ready
         1+1−1 = 1 (E4).
    W15: admissions E6 = 1; discharges E4 = 1 (days 7, within 30 grace days, home_care); notices E6 = 1;
         census 2+1−1 = 2 (E6 E7), ready 1+1−1 = 1 (E6).
    whole period: admissions 6, discharges 5, notices 4, after a notice 4, days 12 (mean 3.0),
         same day 1, within grace 3, days beyond grace 1, home_care 2, short_term 1,
         nursing_home 1, home 1; in hospital at the end 2, ready 1.
Falun per month (24/3–31/3, 1/4–13/4):
    March: admissions E2 E3 E4 = 3; discharges E1 E2 E3 = 3; notices E2 E3 = 2; days 4+0+1 = 5;
           census 1+3−3 = 1 (E4), ready 1+2−3 = 0.
    April: admissions E5 E7 E6 = 3; discharges E5 E4 = 2; notices E4 E6 = 2; days 7;
           census 1+3−2 = 2, ready 0+2−1 = 1.
Borlänge: census at the start 1 (E8, ready); W15 admission E9 (its discharge is after the period);
    at the end 2 in hospital, 1 ready.
Avesta: W14 admission, notice and discharge of E11 (3 days, within grace, deceased).
County: admissions 8, discharges 6, notices 5, after a notice 5, days 15, same day 1, within grace 4,
    days beyond grace 1, in hospital at the end 4, ready 2.
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from samverkan.flow import selectors
from samverkan.flow import statistics as st
from samverkan.flow.models import Episode
from samverkan.flow.tests.helpers import local
from samverkan.organisations import policy
from samverkan.organisations.models import Municipality
from samverkan.testing import csv_rows, login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


D = datetime.date
START, END = D(2025, 3, 24), D(2025, 4, 13)


def _episode(source, record_id, home, admitted, ready=None, discharged=None, destination="", **extra):
    return Episode.objects.create(
        source=source,
        record_id=record_id,
        home_municipality_id=home,
        care_type=extra.pop("care_type", "somatic"),
        admitted_at=admitted,
        ready_at=ready,
        discharged_at=discharged,
        destination=destination,
        **extra,
    )


@pytest.fixture
def fixture(source, world):
    ward = world.falun_ward
    _episode(source, "E1", "2080", local(2025, 3, 20, 10), local(2025, 3, 22, 9), local(2025, 3, 26, 14), "short_term", birth_year=1940)  # fmt: skip
    _episode(source, "E2", "2080", local(2025, 3, 25, 8), local(2025, 3, 27, 10), local(2025, 3, 27, 16), "home_care", birth_year=1950, hospital_unit=ward)  # fmt: skip
    _episode(source, "E3", "2080", local(2025, 3, 29, 22), local(2025, 3, 30, 23, 30), local(2025, 3, 31, 0, 30), "nursing_home", birth_year=1945)  # fmt: skip
    _episode(source, "E4", "2080", local(2025, 3, 31, 23, 30), local(2025, 4, 1, 9), local(2025, 4, 8, 10), "home_care", birth_year=1960, care_type="psychiatric", hospital_unit=ward)  # fmt: skip
    _episode(source, "E5", "2080", local(2025, 4, 1, 0, 15), None, local(2025, 4, 2, 12), "home", birth_year=2000, covid=True)  # fmt: skip
    _episode(source, "E6", "2080", local(2025, 4, 10, 12), local(2025, 4, 12, 8), birth_year=1930)
    _episode(source, "E7", "2080", local(2025, 4, 5, 10), birth_year=1938)
    _episode(source, "E8", "2081", local(2025, 3, 10, 10), local(2025, 3, 15, 10))
    _episode(source, "E9", "2081", local(2025, 4, 13, 23, 59), None, local(2025, 4, 14, 1), "home", birth_year=1990)
    _episode(source, "E10", "2080", local(2025, 4, 14, 0), birth_year=1990)
    _episode(source, "E11", "2084", local(2025, 4, 2, 10), local(2025, 4, 3, 12), local(2025, 4, 6, 23), "deceased")
    return world


def _stats(world, granularity="week", filters=None, start=START, end=END):
    return selectors.statistics(
        world.region_coordinator, county_code="20", start=start, end=end, granularity=granularity, filters=filters
    )


def _flows(f: st.Figures) -> tuple:
    return (f.admissions, f.discharges, f.ready_notices, f.in_hospital, f.ready_in_hospital)


def _waits(f: st.Figures) -> tuple:
    return (f.discharged_ready, f.days_ready, f.same_day, f.within_grace, f.days_beyond_grace)


def _destinations(f: st.Figures) -> dict[str, int]:
    return {d: n for d, n in f.destinations.items() if n}


def test_weekly_figures_per_municipality_and_county(fixture):
    stats = _stats(fixture)
    falun = stats.area("2080")
    assert [(b.start, b.end) for b in falun.buckets] == [
        (D(2025, 3, 24), D(2025, 3, 30)),
        (D(2025, 3, 31), D(2025, 4, 6)),
        (D(2025, 4, 7), D(2025, 4, 13)),
    ]
    w13, w14, w15 = (b.figures for b in falun.buckets)
    assert _flows(w13) == (2, 2, 2, 1, 1)
    assert _waits(w13) == (2, 4, 1, 1, 1)
    assert _destinations(w13) == {"short_term": 1, "home_care": 1}
    assert _flows(w14) == (3, 2, 1, 2, 1)
    assert _waits(w14) == (1, 1, 0, 1, 0)
    assert _destinations(w14) == {"nursing_home": 1, "home": 1}
    assert _flows(w15) == (1, 1, 1, 2, 1)
    assert _waits(w15) == (1, 7, 0, 1, 0)
    assert _destinations(w15) == {"home_care": 1}

    total = falun.total
    assert _flows(total) == (6, 5, 4, 2, 1)
    assert _waits(total) == (4, 12, 1, 3, 1)
    assert _destinations(total) == {"home_care": 2, "short_term": 1, "nursing_home": 1, "home": 1}
    assert total.mean_days_ready == 3.0
    assert total.same_day_share == 0.25
    assert total.within_grace_share == 0.75
    assert total.destination_share("home_care") == 0.4
    population = Municipality.objects.get(code="2080").population
    assert total.population == population
    assert total.per_1000(total.admissions) == pytest.approx(6000 / population)

    borlange = stats.area("2081")
    assert [_flows(b.figures) for b in borlange.buckets] == [(0, 0, 0, 1, 1), (0, 0, 0, 1, 1), (1, 0, 0, 2, 1)]
    avesta = stats.area("2084").total
    assert _flows(avesta) == (1, 1, 1, 0, 0)
    assert _waits(avesta) == (1, 3, 0, 1, 0)

    county = stats.county.total
    assert _flows(county) == (8, 6, 5, 4, 2)
    assert _waits(county) == (5, 15, 1, 4, 1)
    assert _destinations(county) == {"home_care": 2, "short_term": 1, "nursing_home": 1, "home": 1, "deceased": 1}
    assert county.population == sum(Municipality.objects.filter(county_id="20").values_list("population", flat=True))
    assert [_flows(b.figures) for b in stats.county.buckets] == [(2, 2, 2, 2, 2), (4, 3, 2, 3, 2), (2, 1, 1, 4, 2)]
    assert stats.area("20") is stats.county
    assert len(stats.municipalities) == Municipality.objects.filter(county_id="20").count()


def test_monthly_buckets_split_the_week_that_spans_the_month_end(fixture):
    falun = _stats(fixture, "month").area("2080")
    assert [(b.start, b.end) for b in falun.buckets] == [
        (D(2025, 3, 24), D(2025, 3, 31)),
        (D(2025, 4, 1), D(2025, 4, 13)),
    ]
    march, april = (b.figures for b in falun.buckets)
    assert _flows(march) == (3, 3, 2, 1, 0)
    assert march.days_ready == 5
    assert _flows(april) == (3, 2, 2, 2, 1)
    assert april.days_ready == 7
    assert _flows(falun.total) == (6, 5, 4, 2, 1)


def test_daily_buckets_follow_local_dates_across_summer_time(fixture):
    falun = _stats(fixture, "day", start=D(2025, 3, 29), end=D(2025, 4, 2)).area("2080")
    by_day = {b.start: b.figures for b in falun.buckets}
    assert list(by_day) == [D(2025, 3, 29), D(2025, 3, 30), D(2025, 3, 31), D(2025, 4, 1), D(2025, 4, 2)]
    # 29/3: E3 admitted. 30/3 (summer time starts): E3's notice. 31/3: E3 discharged, E4 admitted.
    # 1/4: E5 admitted, E4's notice. 2/4: E5 discharged. Census at the start (29/3 00:00): E1 left
    # on 26/3, so nobody.
    assert [_flows(f) for f in by_day.values()] == [
        (1, 0, 0, 1, 0),
        (0, 0, 1, 1, 1),
        (1, 1, 0, 1, 0),
        (1, 0, 1, 2, 1),
        (0, 1, 0, 1, 1),
    ]


def test_filters(fixture):
    psychiatric = _stats(fixture, filters=st.Filters(care_type="psychiatric"))
    assert [_flows(b.figures) for b in psychiatric.county.buckets] == [
        (0, 0, 0, 0, 0),
        (1, 0, 1, 1, 1),
        (0, 1, 0, 0, 0),
    ]
    assert _waits(psychiatric.county.total) == (1, 7, 0, 1, 0)

    covid = _stats(fixture, filters=st.Filters(covid=True)).county.total
    assert _flows(covid) == (1, 1, 0, 0, 0)
    assert _destinations(covid) == {"home": 1}
    without_covid = _stats(fixture, filters=st.Filters(covid=False)).county.total
    assert without_covid.admissions == 7

    # Ages in 2025: E2 75 and E3 80; E1 (85), E6 (95) and E7 (87) are 85+; E8 and E11 have no birth year.
    old = _stats(fixture, filters=st.Filters(age_band="75-84")).county.total
    assert _flows(old) == (2, 2, 2, 0, 0)
    oldest = _stats(fixture, filters=st.Filters(age_band="85-")).county.total
    assert _flows(oldest) == (2, 1, 1, 2, 1)  # E6 E7 admitted, E1 discharged, E6's notice

    ward = _stats(fixture, filters=st.Filters(hospital_unit=fixture.falun_ward.pk)).county.total
    assert _flows(ward) == (2, 2, 2, 0, 0)  # E2 and E4
    assert _waits(ward) == (2, 7, 1, 2, 0)

    with pytest.raises(ValueError):
        st.Filters(age_band="90-")


def test_grace_days_can_be_chosen(fixture):
    stats = selectors.statistics(
        fixture.region_coordinator, county_code="20", start=START, end=END, granularity="week", grace_days=0
    )
    # With no grace days only E2 (0 days) is within; beyond: 4 + 1 + 7 + 3 = 15 days.
    assert _waits(stats.county.total) == (5, 15, 1, 1, 15)


def test_cells_show_readers_rounded_counts_and_nothing_from_fewer_than_ten_patients():
    assert st.count_cell(0, False).value == 0
    assert st.count_cell(15, False).value == 15
    assert st.count_cell(3, True).value == 3
    with pytest.raises(ValueError):
        st.count_cell(4, False)  # an unrounded count never reaches a reader
    assert st.share_cell(10, 20, False).value == 0.5
    assert st.share_cell(5, 5, False).value is None  # fewer than 10
    assert st.share_cell(15, 10, False).value == 1.0  # part and whole are rounded each on its own
    assert st.share_cell(6, 8, True).value == 0.75
    assert st.share_cell(0, 0, True).value is None
    assert st.rate_cell(5, 1000, False).value == 5.0
    assert st.mean_cell(30, 5, False).value is None
    assert st.mean_cell(30, 10, False).value == 3.0
    assert st.mean_cell(12, 4, True).value == 3.0
    assert st.mean_cell(0, 0, True).value is None


COUNTS = ("admissions", "discharges", "ready_notices", "in_hospital", "ready_in_hospital", "destination_home_care")


def test_readers_see_rounded_counts_and_coordinators_exact(client, fixture):
    reader_stats = selectors.statistics(fixture.viewer, county_code="20", start=START, end=END, granularity="week")
    assert reader_stats.exact is False and (reader_stats.start, reader_stats.end) == (START, END)
    with translation.override("en"):
        exact = _cells(_stats(fixture).area("2080").total, True)
        reader = _cells(reader_stats.area("2080").total, False)
    assert [exact[key] for key in COUNTS] == [6, 5, 4, 2, 1, 2]
    assert exact["same_day_share"] == 0.25 and exact["mean_days_ready"] == 3.0
    assert exact["destination_home_care_share"] == 0.4
    exact_weeks = [_cells(b.figures, True) for b in _stats(fixture).area("2080").buckets]
    reader_weeks = [_cells(b.figures, False) for b in reader_stats.area("2080").buckets]
    for key in COUNTS:
        for week, exact_week in zip(reader_weeks, exact_weeks, strict=True):
            assert week[key] % 5 == 0 and abs(week[key] - exact_week[key]) < 5, key
        # The whole period's flows are the sums of the rounded weeks, the census that of the last.
        if key.startswith(("in_hospital", "ready_in")):
            assert reader[key] == reader_weeks[-1][key], key
        else:
            assert reader[key] == sum(week[key] for week in reader_weeks), key
    # From fewer than 10 patients (rounded): not shown.
    assert reader["same_day_share"] is None and reader["mean_days_ready"] is None
    assert reader["days_ready"] % 5 == 0 and reader["days_beyond_grace"] % 5 == 0  # rounded sums of days
    assert reader["admissions_per_1000"] == pytest.approx(
        reader["admissions"] * 1000 / Municipality.objects.get(code="2080").population
    )

    url = "/flode/?county=20&from=2025-03-24&to=2025-04-13&granularity=week&municipality=2080"
    for persona in ("region_coordinator", "falun_coordinator", "admin"):
        page = login(client, getattr(fixture, persona)).get(url).content.decode()
        assert '<td class="num">4</td>' in page and "Every count, days included" not in page, persona
        client.logout()
        client.cookies["django_language"] = "en"  # logging out forgets the language too
    for persona in ("viewer", "lunden_staff", "forum_secretary"):
        page = login(client, getattr(fixture, persona)).get(url).content.decode()
        assert "Every count, days included, is rounded to a multiple of 5" in page, persona
        for small in range(1, 5):
            assert f'<td class="num">{small}</td>' not in page, (persona, small)
        client.logout()
        client.cookies["django_language"] = "en"


def _cells(figures, exact):
    return {c.key: cell.value for c, cell in zip(st.columns(3), st.cells(figures, st.columns(3), exact), strict=True)}


def test_csv_and_excel_exports_hold_the_same_figures_as_the_page(client, fixture):
    query = "?county=20&from=2025-03-24&to=2025-04-13&granularity=week&municipality=2080"
    response = login(client, fixture.region_coordinator).get("/flode/statistik.csv" + query)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="flode-20-20250324-20250413-week.csv"'
    rows = csv_rows(response.content)
    header, body = rows[0], rows[1:]
    index = {key: 4 + i for i, key in enumerate(c.key for c in st.columns(3))}
    municipalities = Municipality.objects.filter(county_id="20").count()
    assert len(body) == municipalities + 1 + 3  # the municipalities, the county, three weeks of Falun
    falun = next(r for r in body if r[0] == "2080" and r[2] == "2025-03-24" and r[3] == "2025-04-13")
    assert falun[index["admissions"]] == "6"
    assert falun[index["ready_notices"]] == "4"
    assert falun[index["mean_days_ready"]] == "3,0"
    assert falun[index["same_day_share"]] == "0,25"
    county = body[municipalities]
    assert county[0] == "20" and county[index["admissions"]] == "8" and county[index["in_hospital"]] == "4"
    weeks = body[municipalities + 1 :]
    assert [(r[2], r[3], r[index["admissions"]], r[index["in_hospital"]]) for r in weeks] == [
        ("2025-03-24", "2025-03-30", "2", "1"),
        ("2025-03-31", "2025-04-06", "3", "2"),
        ("2025-04-07", "2025-04-13", "1", "2"),
    ]
    client.logout()
    client.cookies["django_language"] = "en"  # logging out forgets the language too

    viewer_csv = login(client, fixture.viewer).get("/flode/statistik.csv" + query).content
    falun = next(r for r in csv_rows(viewer_csv) if r[0] == "2080" and r[3] == "2025-04-13")
    assert int(falun[index["ready_notices"]]) % 5 == 0
    assert falun[index["mean_days_ready"]] == ""
    assert falun[index["same_day_share"]] == ""

    workbook = load_workbook(io.BytesIO(client.get("/flode/statistik.xlsx" + query).content))
    sheet, series = workbook.worksheets
    assert [cell.value for cell in sheet[1]] == header
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["2080"][index["admissions"]] == sum(
        row[index["admissions"]] for row in series.iter_rows(min_row=2, values_only=True)
    )
    assert values["2080"][index["ready_notices"]] % 5 == 0
    # The county is the sum of the municipalities' rounded figures.
    assert values["20"][index["admissions"]] == sum(
        row[index["admissions"]] for code, row in values.items() if code != "20"
    )
    assert [row[index["admissions"]] % 5 for row in series.iter_rows(min_row=2, values_only=True)] == [0, 0, 0]


def test_export_rejects_a_bad_period(client, fixture):
    response = login(client, fixture.region_coordinator).get(
        "/flode/statistik.csv?county=20&from=2025-04-13&to=2025-03-24"
    )
    assert response.status_code == 400
    assert "ends before it starts" in response.content.decode()


def _more_episodes(source, count: int) -> None:
    homes = ["2080", "2081", "2084", "2085"]
    Episode.objects.bulk_create(
        Episode(
            source=source,
            record_id=f"M{i}",
            home_municipality_id=homes[i % 4],
            care_type="somatic",
            admitted_at=local(2025, 3, 1) + datetime.timedelta(hours=7 * i),
            ready_at=local(2025, 3, 2) + datetime.timedelta(hours=7 * i) if i % 3 else None,
            discharged_at=local(2025, 3, 4) + datetime.timedelta(hours=7 * i) if i % 5 else None,
            destination="home" if i % 5 else "",
            birth_year=1930 + i % 80,
        )
        for i in range(count)
    )


def test_query_count_does_not_depend_on_the_data(client, fixture, source, django_assert_num_queries):
    policy.scope_of(fixture.region_coordinator)  # the principal's scope is looked up once and cached
    # The municipalities, the county's agreements (grace days), whether the daily rows are complete
    # (not for episodes made here without an import), admissions, ready notices, discharges and the
    # census at the start.
    with django_assert_num_queries(7):
        _stats(fixture)
    url = "/flode/?county=20&from=2025-03-01&to=2025-06-30&granularity=week&age_band=75-84"
    login(client, fixture.viewer)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _more_episodes(source, 400)
    with django_assert_num_queries(7):
        _stats(fixture)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)
    with CaptureQueriesContext(connection) as export:
        assert client.get(url.replace("/flode/", "/flode/statistik.xlsx")).status_code == 200
    assert len(export) <= len(small)


@pytest.mark.parametrize("granularity", ["day", "week", "month"])
def test_the_page_renders_for_every_granularity(client, fixture, granularity):
    login(client, fixture.region_coordinator)
    response = client.get(
        f"/flode/?county=20&from=2025-03-24&to=2025-04-13&granularity={granularity}&care_type=somatic&covid=no",
    )
    assert response.status_code == 200
    page = response.content.decode()
    # 24 March – 13 April: 21 days, 3 whole weeks, 2 parts of months (not drawn)
    assert ('<svg class="chart"' in page) == (granularity != "month")
    assert "How the figures are counted" in page
    rows = {"day": 21, "week": 3, "month": 2}[granularity]
    assert len(response.context["series_rows"]) == rows
    assert response.context["area"].name == "County total"


def test_the_chart_draws_whole_periods_only_and_the_table_marks_the_part(client, fixture):
    """Issue 16, part 6: the last week, cut by the chosen dates, was drawn as a cliff."""
    login(client, fixture.region_coordinator)
    response = client.get("/flode/?county=20&from=2025-03-24&to=2025-04-09&granularity=week")
    chart = str(response.context["chart"])
    lines = re.findall(r'<polyline class="chart-line series-1" points="([^"]*)"', chart)
    assert [len(points.split()) for points in lines] == [2]  # 24 and 31 March; not 7–9 April
    assert [whole for _bucket, _row, whole in response.context["series_rows"]] == [True, True, False]
    page = response.content.decode()
    assert "Only whole periods are drawn" in page
    assert page.count('<span class="tag">part</span>') == 1


def test_the_page_shows_form_errors_instead_of_figures(client, fixture):
    login(client, fixture.region_coordinator)
    response = client.get("/flode/?county=20&from=2020-01-01&to=2025-01-01&granularity=day")
    assert response.status_code == 200
    assert response.context["stats"] is None
    assert "Too many periods" in response.content.decode()


def test_outsider_gets_no_statistics_of_another_county(client, fixture):
    login(client, fixture.outsider)
    assert client.get("/flode/?county=20").status_code == 403
    assert client.get("/flode/statistik.csv?county=20").status_code == 403


def test_api_gives_the_same_figures_with_small_counts_hidden_for_viewers(client, fixture):
    url = "/api/v1/flow/statistics?county=20&from=2025-03-24&to=2025-04-13&granularity=week&municipality=2080"
    body = login(client, fixture.region_coordinator).get(url).json()
    assert body["exact"] is True
    assert body["series_for"] == "2080"
    assert [
        (w["start"], w["end"], w["figures"]["admissions"], w["figures"]["in_hospital"]) for w in body["series"]
    ] == [
        ("2025-03-24", "2025-03-30", 2, 1),
        ("2025-03-31", "2025-04-06", 3, 2),
        ("2025-04-07", "2025-04-13", 1, 2),
    ]
    falun = next(m for m in body["municipalities"] if m["code"] == "2080")
    assert falun["total"]["days_ready"] == 12
    assert falun["total"]["same_day_share"] == 0.25
    assert body["county_total"]["total"]["admissions"] == 8
    client.logout()

    viewer = login(client, fixture.viewer).get(url + "&care_type=somatic").json()
    assert viewer["exact"] is False
    falun = next(m for m in viewer["municipalities"] if m["code"] == "2080")
    # Falun's 5 somatic admissions (E4 is psychiatric), rounded week by week and added up
    assert falun["total"]["admissions"] == sum(w["figures"]["admissions"] for w in viewer["series"])
    assert all(abs(w["figures"]["admissions"] - n) < 5 for w, n in zip(viewer["series"], [2, 2, 1], strict=True))
    assert falun["total"]["ready_notices"] % 5 == 0
    assert falun["total"]["same_day_share"] is None


def test_api_rejects_bad_parameters(client, fixture):
    login(client, fixture.region_coordinator)
    base = "/api/v1/flow/statistics?county=20&from=2025-03-24&to=2025-04-13"
    assert client.get(base.replace("from=2025-03-24", "from=2025-05-01")).status_code == 422
    assert client.get(base + "&age_band=90-").status_code == 422
    assert client.get(base + "&municipality=1880").status_code == 422
    assert client.get(base + "&granularity=year").status_code == 422
    assert client.get(base.replace("county=20", "county=18")).status_code == 403


@pytest.mark.parametrize(
    ("value", "kind", "page", "exported"),
    [
        (27.158, "rate", "27,16", 27.16),
        (27.155, "rate", "27,16", 27.16),  # halves up, from the decimal value (the float is 27.15499…)
        (1.565, "mean", "1,6", 1.6),
        (1.549, "mean", "1,5", 1.5),
        (0.125, "share", "13 %", 0.13),
        (2 / 3, "share", "67 %", 0.67),
    ],
)
def test_the_page_and_the_exports_round_a_figure_alike(value, kind, page, exported):
    """Issue 16, part 2: one rounding rule (st.DECIMALS); the page used to truncate."""
    cell = st.Cell(value, kind)
    with translation.override("sv"):
        assert str(cell) == page
    assert cell.export() == exported


def test_page_csv_excel_and_api_give_the_same_rounded_rate(client, fixture):
    # Avesta's one admission (E11) among 64 inhabitants: 15.625 per 1 000, shown everywhere as 15.63.
    Municipality.objects.filter(code="2084").update(population=64)
    query = "?county=20&from=2025-03-24&to=2025-04-13&granularity=week&municipality=2084"
    login(client, fixture.region_coordinator)
    page = client.get("/flode/" + query).content.decode()
    assert "15.63" in page and "15.62" not in page
    index = 4 + [c.key for c in st.columns(3)].index("admissions_per_1000")
    rows = csv_rows(client.get("/flode/statistik.csv" + query).content)
    assert next(r for r in rows if r[0] == "2084")[index] == "15,63"  # Swedish Excel: decimal comma
    workbook = load_workbook(io.BytesIO(client.get("/flode/statistik.xlsx" + query).content))
    sheet_row = next(r for r in workbook.worksheets[0].iter_rows(min_row=2, values_only=True) if r[0] == "2084")
    assert sheet_row[index] == 15.63
    api = client.get("/api/v1/flow/statistics" + query).json()
    assert next(m for m in api["municipalities"] if m["code"] == "2084")["total"]["admissions_per_1000"] == 15.63
