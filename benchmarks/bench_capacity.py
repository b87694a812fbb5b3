"""capacity_overview: the national capacity overview (290 municipalities, 1 500 units, 90 days of
daily reports) in PostgreSQL, served through the real API view, against one hand-written SQL
query returning the same table, measured in the same run. Also reports the view's query count.

Needs PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/samverkan_bench);
the database is dropped and created anew."""

from __future__ import annotations

import datetime
import os
import random

from benchmarks.__main__ import Result, median_ms
from benchmarks.database import recreate_database

UNITS = 1500
DAYS = 90
REPEATS = 25
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/samverkan_bench"

SQL = """
SELECT u.id, u.name, u.kind, m.code, m.name, r.physical, r.staffed, r.occupied, c.reserved,
       GREATEST(r.staffed - r.occupied - c.reserved, 0) AS free, r.surge, r.open_for_admission,
       r.closure_reason, r.reported_at
FROM organisations_unit u
JOIN organisations_municipality m ON m.code = u.municipality_id
JOIN organisations_organisation o ON o.id = u.organisation_id
LEFT JOIN capacity_unitcapacity c ON c.unit_id = u.id
LEFT JOIN capacity_capacityreport r ON r.id = c.latest_report_id
WHERE u.is_active AND u.kind = 'short_term'
ORDER BY m.name, u.name
"""


def _seed() -> None:
    from django.core.management import call_command
    from django.db import connection

    from samverkan.capacity.models import CapacityReport, UnitCapacity
    from samverkan.organisations.models import Organisation, Unit, UnitKind

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    rng = random.Random(1500)
    organisations = list(Organisation.objects.filter(kind="municipality").select_related("municipality"))
    units = [
        Unit(
            code=f"bench-{i}",
            name=f"Korttidsenhet {i}",
            kind=UnitKind.SHORT_TERM,
            organisation=organisations[i % len(organisations)],
            municipality=organisations[i % len(organisations)].municipality,
        )
        for i in range(UNITS)
    ]
    Unit.objects.bulk_create(units, batch_size=1000)
    units = list(Unit.objects.filter(code__startswith="bench-"))
    now = datetime.datetime.now(datetime.UTC)
    reports = []
    for unit in units:
        physical = rng.randint(8, 40)
        staffed = rng.randint(physical // 2, physical)
        for day in range(DAYS, -1, -1):
            at = now - datetime.timedelta(days=day, minutes=rng.randint(0, 600))
            reports.append(
                CapacityReport(
                    unit=unit,
                    reported_at=at,
                    created_at=at,
                    physical=physical,
                    staffed=staffed,
                    occupied=rng.randint(0, staffed),
                    surge=rng.randint(0, 3),
                )
            )
    CapacityReport.objects.bulk_create(reports, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO capacity_unitcapacity (unit_id, latest_report_id, reserved, updated_at)
            SELECT DISTINCT ON (unit_id) unit_id, id, 0, now() FROM capacity_capacityreport
            ORDER BY unit_id, reported_at DESC, id DESC
            """
        )
        cursor.execute("ANALYZE")
    assert UnitCapacity.objects.count() == UNITS


def run() -> dict[str, Result]:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "1"
    recreate_database(url)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from samverkan.accounts.models import User
    from samverkan.testing import login

    settings.ALLOWED_HOSTS.append("testserver")
    setup_test_environment()
    _seed()
    admin = User.objects.create_superuser("bench@samverkan.se", "Bench-lösenord-2026")
    client = login(Client(), admin)

    def view():
        response = client.get("/api/v1/capacity/overview?county=SE")
        assert response.status_code == 200, response.content[:500]
        return response

    rows = len(view().json()["units"])
    assert rows == UNITS, rows

    def sql():
        with connection.cursor() as cursor:
            cursor.execute(SQL)
            return cursor.fetchall()

    assert len(sql()) == UNITS
    view_ms = median_ms(view, REPEATS)
    sql_ms = median_ms(sql, REPEATS)
    with CaptureQueriesContext(connection) as queries:
        view()
    print(f"capacity_overview: {rows} units, view {view_ms:.1f} ms, SQL {sql_ms:.1f} ms, {len(queries)} queries")
    return {
        "capacity_overview": Result(round(view_ms, 2), "ms", round(sql_ms, 2)),
        "capacity_overview_queries": Result(len(queries), "queries"),
    }
