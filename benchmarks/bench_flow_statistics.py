"""flow_statistics: the county statistics of patient flow (Dalarna, weekly, per home municipality,
two years) over 1 000 000 generated episodes in PostgreSQL, through the app's selector, against one
hand-written SQL query producing the same figures, measured in the same run. The two answers are
compared figure by figure before timing.

Also reports `flow_statistics_page` (the statistics page for the county, server time through the
test client), `flow_statistics_filtered` (the same page filtered to somatic care, against the
unfiltered page: from the daily rows kept per care type, checked once against the episodes), `flow_statistics_queries` (its query count) and `flow_daily_rebuild` (seconds to build
the county's daily rows from every episode, which a county's first import does; later imports
refresh only the days they touch).

Runs in PostgreSQL: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/samverkan_bench_flow
(created if missing). The database is migrated and keeps its other data; the generated episodes belong to their own
source ("benchmark"), are loaded with COPY (the generator's rows, no pseudonyms: statistics do not
need them) and are reused by the next run when they are already there."""

from __future__ import annotations

import contextlib
import datetime
import itertools
import time
from dataclasses import asdict

from benchmarks.__main__ import Result, median_ms
from benchmarks.database import use_postgres

EPISODES = 1_000_000
COUNTY = "20"
START = datetime.date(2024, 1, 1)
END = datetime.date(2025, 12, 31)
SOURCE = "benchmark"
SEED = 20
REPEATS = 7

# One scan: each episode's local dates computed once (the OFFSET 0 keeps PostgreSQL from inlining
# and so repeating the time zone conversions), then up to four events per episode (admission,
# ready notice, discharge, and being in hospital at the start), grouped by municipality and ISO
# week; the census at the end of each week is a running sum.
SQL = """
WITH episodes AS (
    SELECT e.home_municipality_id AS m,
           (e.admitted_at AT TIME ZONE 'Europe/Stockholm')::date AS admitted,
           (e.ready_at AT TIME ZONE 'Europe/Stockholm')::date AS ready,
           (e.discharged_at AT TIME ZONE 'Europe/Stockholm')::date AS discharged,
           e.destination,
           CASE WHEN e.care_type = 'psychiatric' THEN %(grace_psychiatric)s ELSE %(grace_somatic)s END AS grace
    FROM flow_episode e
    JOIN organisations_municipality mu ON mu.code = e.home_municipality_id
    WHERE mu.county_id = %(county)s
      AND e.admitted_at < %(until)s
      AND (e.discharged_at IS NULL OR e.discharged_at >= %(since)s)
    OFFSET 0
), weeks AS (
    SELECT x.m, date_trunc('week', v.day::timestamp)::date AS week,
           count(*) FILTER (WHERE v.kind = 'a') AS admissions,
           count(*) FILTER (WHERE v.kind = 'd') AS discharges,
           count(*) FILTER (WHERE v.kind = 'r') AS ready_notices,
           count(*) FILTER (WHERE v.kind = 'd' AND x.ready IS NOT NULL) AS discharged_ready,
           coalesce(sum(x.discharged - x.ready) FILTER (WHERE v.kind = 'd'), 0) AS days_ready,
           count(*) FILTER (WHERE v.kind = 'd' AND x.discharged - x.ready <= 0) AS same_day,
           count(*) FILTER (WHERE v.kind = 'd' AND x.discharged - x.ready <= x.grace) AS within_grace,
           coalesce(sum(x.discharged - x.ready - x.grace)
                    FILTER (WHERE v.kind = 'd' AND x.discharged - x.ready > x.grace), 0) AS days_beyond_grace,
           count(*) FILTER (WHERE v.kind = 's') AS start_in_hospital,
           count(*) FILTER (WHERE v.kind = 's' AND x.ready < %(start)s) AS start_ready,
           count(*) FILTER (WHERE v.kind = 'd' AND x.destination = 'home') AS home,
           count(*) FILTER (WHERE v.kind = 'd' AND x.destination = 'home_care') AS home_care,
           count(*) FILTER (WHERE v.kind = 'd' AND x.destination = 'short_term') AS short_term,
           count(*) FILTER (WHERE v.kind = 'd' AND x.destination = 'nursing_home') AS nursing_home,
           count(*) FILTER (WHERE v.kind = 'd' AND x.destination = 'other_region') AS other_region,
           count(*) FILTER (WHERE v.kind = 'd' AND x.destination = 'deceased') AS deceased,
           count(*) FILTER (WHERE v.kind = 'd' AND x.destination = 'other') AS other
    FROM episodes x
    CROSS JOIN LATERAL (VALUES
        ('a', x.admitted), ('r', x.ready), ('d', x.discharged),
        ('s', CASE WHEN x.admitted < %(start)s THEN %(start)s END)
    ) AS v(kind, day)
    WHERE v.day BETWEEN %(start)s AND %(end)s
    GROUP BY 1, 2
)
SELECT m, week, admissions, discharges, ready_notices, discharged_ready, days_ready, same_day,
       within_grace, days_beyond_grace,
       sum(start_in_hospital + admissions - discharges) OVER (PARTITION BY m ORDER BY week) AS in_hospital,
       sum(start_ready + ready_notices - discharged_ready) OVER (PARTITION BY m ORDER BY week)
         AS ready_in_hospital,
       home, home_care, short_term, nursing_home, other_region, deceased, other
FROM weeks
ORDER BY m, week
"""
FIGURES = [
    "admissions",
    "discharges",
    "ready_notices",
    "discharged_ready",
    "days_ready",
    "same_day",
    "within_grace",
    "days_beyond_grace",
    "in_hospital",
    "ready_in_hospital",
]
DESTINATIONS = ["home", "home_care", "short_term", "nursing_home", "other_region", "deceased", "other"]


def _load(source) -> float:
    """The generated episodes COPYed into flow_episode (seconds taken); kept for the next run."""
    from django.db import connection, transaction

    from samverkan.flow.generator import episodes
    from samverkan.flow.models import Episode
    from samverkan.organisations.models import Municipality

    if Episode.objects.filter(source=source).count() == EPISODES:
        return 0.0
    municipalities = list(Municipality.objects.filter(county_id=COUNTY).values_list("code", "population"))
    days = (END - START).days + 1
    now = datetime.datetime.combine(END, datetime.time(12))
    started = time.perf_counter()
    columns = (
        "source_id, record_id, pseudonym, birth_year, sex, home_municipality_id, care_type, covid, admitted_at, "
        "admission_notice_at, estimated_discharge_date, ready_at, sip_called_at, discharged_at, destination, "
        "updated_at"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        Episode.objects.filter(source=source).delete()
        cursor.execute("SET LOCAL TIME ZONE 'Europe/Stockholm'")  # the generator's times are local
        with cursor.cursor.copy(f"COPY flow_episode ({columns}) FROM STDIN") as copy:  # noqa: S608 - constant
            # The generator makes a little fewer than `count` (fewer admissions at weekends): ask
            # for more and keep the first million (the last days of the period get a few less).
            rows = episodes(municipalities, start=START, days=days, seed=SEED, count=EPISODES * 21 // 20, now=now)
            for row in itertools.islice(rows, EPISODES):
                copy.write_row(
                    (
                        source.pk,
                        row["source_id"],
                        "",
                        row["birth_year"] or None,
                        row["sex"],
                        row["home_municipality"],
                        row["care_type"],
                        row["covid"] == "1",
                        row["admitted_at"],
                        row["admission_notice_at"] or None,
                        row["estimated_discharge_date"] or None,
                        row["ready_at"] or None,
                        row["sip_called_at"] or None,
                        row["discharged_at"] or None,
                        row["destination"],
                        row["admitted_at"],
                    )
                )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE flow_episode")
        cursor.execute("ANALYZE organisations_municipality")
    return time.perf_counter() - started


def _compare(stats, rows) -> int:
    """Every (municipality, week) of the SQL answer equals the selector's; weeks the SQL leaves out
    (no events) have no flows and the census of the week before. Returns the cells compared."""
    sql = {(r[0], r[1]): r for r in rows}
    compared = 0
    for area in stats.municipalities:
        previous = None
        for bucket in area.buckets:
            f = bucket.figures
            mine = [getattr(f, name) for name in FIGURES] + [f.destinations[d] for d in DESTINATIONS]
            row = sql.get((area.code, bucket.start))
            if row is None:
                flows_zero = all(getattr(f, n) == 0 for n in FIGURES[:8]) and not any(f.destinations.values())
                same_census = previous is None or (f.in_hospital, f.ready_in_hospital) == previous
                assert flows_zero and same_census, (area.code, bucket.start, mine)
            else:
                theirs = [int(v) for v in row[2:]]
                assert mine == theirs, (area.code, bucket.start, mine, theirs)
            previous = (f.in_hospital, f.ready_in_hospital)
            compared += len(mine)
    return compared


def run() -> dict[str, Result]:
    use_postgres("samverkan_bench_flow")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from samverkan.flow import daily, selectors
    from samverkan.flow.grace import LAW
    from samverkan.flow.imports import source_for
    from samverkan.flow.models import DailyFlowCounty, Episode
    from samverkan.flow.statistics import Filters, local_midnight
    from samverkan.organisations import policy
    from samverkan.organisations.models import Municipality
    from samverkan.testing import build_world, login

    call_command("migrate", verbosity=0)
    if not Municipality.objects.exists():
        call_command("load_reference_data", verbosity=0)
    source = source_for(COUNTY, SOURCE)
    load_seconds = _load(source)
    total = Episode.objects.filter(home_municipality__county_id=COUNTY).count()
    print(
        f"flow_statistics: {total} episodes in county {COUNTY}"
        + (f", loaded in {load_seconds:.1f} s" if load_seconds else "")
    )
    # COPY bypasses the import, which keeps the daily rows: build them as the county's first
    # import would.
    started = time.perf_counter()
    daily.rebuild(COUNTY)
    rebuild_seconds = time.perf_counter() - started
    print(f"flow_statistics: the county's daily rows built from every episode in {rebuild_seconds:.1f} s")

    def selector():
        return selectors.statistics(
            policy.SYSTEM, county_code=COUNTY, start=START, end=END, granularity="week", filters=None
        )

    params = {
        "county": COUNTY,
        "start": START,
        "end": END,
        "since": local_midnight(START),
        "until": local_midnight(END + datetime.timedelta(days=1)),
        "grace_somatic": LAW.grace_days_somatic,  # no agreement recorded: the law's grace days
        "grace_psychiatric": LAW.grace_days_psychiatric,
    }

    def sql():
        with connection.cursor() as cursor:
            cursor.execute(SQL, params)
            return cursor.fetchall()

    compared = _compare(selector(), sql())
    selector_ms = median_ms(selector, REPEATS)
    sql_ms = median_ms(sql, REPEATS)

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS.append("testserver")
    with contextlib.suppress(RuntimeError):  # another benchmark of this run set it up already
        setup_test_environment()
    client = login(Client(), build_world().region_coordinator)
    page_url = f"/flode/?county={COUNTY}&from={START}&to={END}&granularity=week"

    def page():
        response = client.get(page_url)
        assert response.status_code == 200, response.status_code
        return response

    page_ms = median_ms(page, 5)
    with CaptureQueriesContext(connection) as queries:
        page()
    page_queries = len(queries)  # now: later queries rotate the connection's log under the context

    # The same page filtered to somatic care (issue 16, part 12): from the daily rows kept per care
    # type, checked once against the episodes themselves, then timed against the unfiltered page.
    somatic = Filters(care_type="somatic")

    def filtered_selector():
        return selectors.statistics(
            policy.SYSTEM, county_code=COUNTY, start=START, end=END, granularity="week", filters=somatic
        )

    from_daily = asdict(filtered_selector())
    counties = list(DailyFlowCounty.objects.filter(county_id=COUNTY).values())
    DailyFlowCounty.objects.filter(county_id=COUNTY).delete()
    started = time.perf_counter()
    from_episodes = asdict(filtered_selector())
    episodes_ms = (time.perf_counter() - started) * 1000
    DailyFlowCounty.objects.bulk_create([DailyFlowCounty(**row) for row in counties])
    assert from_daily == from_episodes, "the daily rows and the episodes disagree on somatic care"

    def filtered_page():
        response = client.get(page_url + "&care_type=somatic")
        assert response.status_code == 200, response.status_code
        return response

    filtered_ms = median_ms(filtered_page, 5)
    print(
        f"flow_statistics: somatic care from the daily rows equals the episodes' answer "
        f"(which took {episodes_ms:.0f} ms); filtered page {filtered_ms:.1f} ms against {page_ms:.1f} ms unfiltered"
    )
    print(
        f"flow_statistics: {compared} figures equal; selector {selector_ms:.1f} ms, "
        f"SQL {sql_ms:.1f} ms, "
        f"page {page_ms:.1f} ms in {page_queries} queries"
    )
    return {
        "flow_statistics": Result(round(selector_ms, 2), "ms", round(sql_ms, 2)),
        "flow_statistics_page": Result(round(page_ms, 2), "ms", round(sql_ms, 2)),
        "flow_statistics_queries": Result(page_queries, "queries"),
        "flow_daily_rebuild": Result(round(rebuild_seconds, 2), "s"),
        # The filtered page against the unfiltered one: the target is a ratio of at most 2.
        "flow_statistics_filtered": Result(round(filtered_ms, 2), "ms", round(page_ms, 2)),
    }
