"""followup_month: a county's monthly discharge follow-up — the liability of every municipality
(the statement lines and totals) and the indicator report for the county with its 12-month trend —
over 100 000 generated episodes a year (Dalarna, 2024–2025), through the app's selectors, against
a hand-written SQL query of the same month's liable days per municipality, measured in the same
run. The SQL's liable days are compared with the selectors' (the statements' and the report's)
before timing.

The report and the totals read the months that have ended from the stored monthly figures
(samverkan/followup/monthly.py), as a user's page does once the import's task has built them: the
benchmark builds them first, as that task does after an import of the county, and reports what it
costs as `followup_store` (seconds) against flow's daily rows of the same county built from scratch
(`daily.rebuild`, what an import already stores), measured in the same run. The stored figures are
compared with the same months counted from the episodes before timing.

Runs in PostgreSQL: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/samverkan_bench_followup
(created if missing). The generated episodes belong to their own source ("benchmark followup"),
are loaded with COPY (pseudonyms are a keyed hash of the generator's fake personal identity
numbers) and kept for the next run. The law's defaults apply (no agreement recorded)."""

from __future__ import annotations

import datetime
import hashlib
import itertools
import time
from decimal import Decimal

from benchmarks.__main__ import Result, median_ms
from benchmarks.database import use_postgres

PER_YEAR = 100_000
COUNTY = "20"
START = datetime.date(2024, 1, 1)
END = datetime.date(2025, 12, 31)
YEAR, MONTH = 2025, 11
SOURCE = "benchmark followup"
SEED = 9
REPEATS = 5

# The month's liable days per home municipality under the law's defaults: a ready notice and an
# admission notice; first liable day = the notice's local date + 3 (30 in psychiatric care);
# liable up to, not including, the local date of discharge (or the month's end).
SQL = """
SELECT e.home_municipality_id,
       sum(greatest(0,
           least(coalesce((e.discharged_at AT TIME ZONE 'Europe/Stockholm')::date, %(after)s), %(after)s)
           - greatest((e.ready_at AT TIME ZONE 'Europe/Stockholm')::date
                      + CASE WHEN e.care_type = 'psychiatric' THEN 30 ELSE 3 END, %(first)s)))
FROM flow_episode e
JOIN organisations_municipality mu ON mu.code = e.home_municipality_id
WHERE mu.county_id = %(county)s
  AND e.ready_at IS NOT NULL AND e.ready_at < %(until)s
  AND e.admission_notice_at IS NOT NULL
  AND (e.discharged_at IS NULL OR e.discharged_at >= %(since)s)
GROUP BY 1
"""


def _load(source) -> float:
    from django.db import connection, transaction

    from samverkan.flow.generator import episodes
    from samverkan.flow.models import Episode
    from samverkan.organisations.models import Municipality

    total = PER_YEAR * 2
    if Episode.objects.filter(source=source).count() == total:
        return 0.0
    municipalities = list(Municipality.objects.filter(county_id=COUNTY).values_list("code", "population"))
    days = (END - START).days + 1
    now = datetime.datetime.combine(END, datetime.time(12))
    started = time.perf_counter()
    columns = (
        "source_id, record_id, pseudonym, birth_year, sex, home_municipality_id, care_type, covid, admitted_at, "
        "admission_notice_at, estimated_discharge_date, ready_at, sip_called_at, discharged_at, destination, "
        "care_contact_at, updated_at"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        Episode.objects.filter(source=source).delete()
        cursor.execute("SET LOCAL TIME ZONE 'Europe/Stockholm'")  # the generator's times are local
        with cursor.cursor.copy(f"COPY flow_episode ({columns}) FROM STDIN") as copy:  # noqa: S608 - constant
            rows = episodes(municipalities, start=START, days=days, seed=SEED, count=total * 21 // 20, now=now)
            for n, row in enumerate(itertools.islice(rows, total)):
                copy.write_row(
                    (
                        source.pk,
                        row["source_id"],
                        hashlib.blake2b(row["personnummer"].encode(), key=b"bench", digest_size=16).hexdigest(),
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
                        row["ready_at"] or None if n % 3 else None,  # two in three get a care contact
                        row["admitted_at"],
                    )
                )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE flow_episode")
    return time.perf_counter() - started


def run() -> dict[str, Result]:
    use_postgres("samverkan_bench_followup")
    from django.core.management import call_command
    from django.db import connection

    from samverkan.flow import daily
    from samverkan.flow.imports import source_for
    from samverkan.flow.models import Episode
    from samverkan.followup import indicators, liability, monthly, selectors
    from samverkan.followup.models import DayRate, MonthFigures
    from samverkan.organisations import policy
    from samverkan.organisations.models import Municipality

    call_command("migrate", verbosity=0)
    if not Municipality.objects.exists():
        call_command("load_reference_data", verbosity=0)
    for year in (2024, 2025):
        DayRate.objects.get_or_create(county_id=COUNTY, year=year, defaults={"amount": Decimal("11000")})
    source = source_for(COUNTY, SOURCE)
    load_seconds = _load(source)
    total = Episode.objects.filter(home_municipality__county_id=COUNTY).count()
    print(
        f"followup_month: {total} episodes in county {COUNTY}"
        + (f", loaded in {load_seconds:.1f} s" if load_seconds else "")
    )
    today = datetime.date(2026, 1, 1)
    first, last = liability.month_bounds(YEAR, MONTH)

    # What an import of the county costs besides the episodes: the stored months built again (as
    # the import's task does), against flow's daily rows of the county built from scratch.
    MonthFigures.objects.filter(county_id=COUNTY).delete()
    started = time.perf_counter()
    stored_months = monthly.build(COUNTY)
    store_seconds = time.perf_counter() - started
    started = time.perf_counter()
    daily.rebuild(COUNTY)
    daily_seconds = time.perf_counter() - started
    print(
        f"followup_store: {stored_months} months stored in {store_seconds:.1f} s; "
        f"flow's daily rows of the county {daily_seconds:.1f} s"
    )
    # The stored months equal the same months counted from the episodes.
    starts, _, _ = selectors.county_months(COUNTY, YEAR, MONTH, count=selectors.TREND_MONTHS + 1, today=today)
    populations = dict(Municipality.objects.filter(county_id=COUNTY).values_list("code", "population_65_plus"))
    agreements, rates = selectors.agreements_of(COUNTY), selectors.rates_of(COUNTY)
    stored = selectors.stored_months(COUNTY, starts, indicators.basis(agreements, rates), populations)
    counted = selectors.compute_months(COUNTY, starts, populations, agreements=agreements, rates=rates, today=today)
    assert set(stored) == set(starts), "months not stored"
    for day in starts:
        for code, figures in counted[day].items():
            again = stored[day][code]
            assert sorted(again.days_ready) == sorted(figures.days_ready), (day, code)
            assert again.liable_episodes == figures.liable_episodes, (day, code)
            assert [again.value(i.code) for i in indicators.INDICATORS] == [
                figures.value(i.code) for i in indicators.INDICATORS
            ], (day, code)

    def month():
        totals = selectors.liability_totals(policy.SYSTEM, COUNTY, YEAR, MONTH, today=today)
        report = selectors.indicator_report(policy.SYSTEM, COUNTY, YEAR, MONTH, today=today)
        return totals, report

    def midnight(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(0), tzinfo=liability.LOCAL)

    params = {
        "county": COUNTY,
        "first": first,
        "after": last + datetime.timedelta(days=1),
        "since": midnight(first),
        "until": midnight(last + datetime.timedelta(days=1)),
    }

    def sql():
        with connection.cursor() as cursor:
            cursor.execute(SQL, params)
            return cursor.fetchall()

    totals, report = month()
    by_sql = {code: int(days) for code, days in sql()}
    for row in totals.rows:
        assert row.liable_days == by_sql.get(row.code, 0), (row.code, row.liable_days, by_sql.get(row.code))
    reported = next(row.value for row in report.rows if row.indicator.code == "liable_days")
    assert reported == sum(by_sql.values()), (reported, sum(by_sql.values()))
    month_ms = median_ms(month, REPEATS)
    sql_ms = median_ms(sql, REPEATS)
    print(
        f"followup_month: {totals.liable_days} liable days in {YEAR}-{MONTH:02d} equal the SQL's; "
        f"statements and indicators {month_ms:.0f} ms, SQL {sql_ms:.1f} ms"
    )
    return {
        "followup_month": Result(round(month_ms / 1000, 3), "s", round(sql_ms / 1000, 4)),
        "followup_store": Result(round(store_seconds, 2), "s", round(daily_seconds, 2)),
    }
