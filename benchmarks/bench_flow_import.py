"""flow_import: 1 000 000 synthetic episodes (the seeded generator, 290 municipalities, two years)
imported from the canonical CSV through the import_episodes command, against a bare `COPY` of the
same file into a plain table with the CSV's columns (typed: integers, times, dates, booleans),
measured in the same run. Then the re-import of the same file (nothing changes), and the peak
memory of the import.

Reports `flow_import` and `flow_reimport` (seconds, reference: the COPY's seconds) and
`flow_import_peak_memory` (MiB).

Each import runs in a child process of its own and the figure is that process's peak resident set
size (VmHWM): everything the import needed (Python, Django, psycopg, the buffers),
where tracemalloc would see only Python's own allocations and slow the import down. The child's
resident size before the import started is printed too, to show what the import itself added.

Runs in PostgreSQL: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/samverkan_bench_flow
(created if missing). The
database is migrated and given the reference data; the benchmark's own source, its episodes and
the plain table are removed at the end (nothing else is touched). BENCH_FLOW_EPISODES=20000 makes
a quick try (the figures are only meaningful for the million)."""

from __future__ import annotations

import datetime
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.__main__ import Result
from benchmarks.database import use_postgres

EPISODES = int(os.environ.get("BENCH_FLOW_EPISODES", "1000000"))  # fewer for a quick try
SEED = 1
DAYS = 730
COPY_REPEATS = 3
SOURCE = "Benchmark (flow_import)"
COUNTY = "20"
TABLE = "bench_flow_copy"
COPY_COLUMNS = """
    source_id text, personnummer text, birth_year integer, sex text, home_municipality text,
    hospital_unit text, care_type text, admitted_at timestamptz, admission_notice_at timestamptz,
    estimated_discharge_date date, ready_at timestamptz, sip_called_at timestamptz,
    discharged_at timestamptz, destination text, covid boolean, care_contact_at timestamptz
"""


def _remove_benchmark_source() -> None:
    from django.db import connection

    from samverkan.flow.models import Source

    ids = list(Source.objects.filter(county_id=COUNTY, name=SOURCE).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        for table in ("flow_episode", "flow_importrun"):
            cursor.execute(f"DELETE FROM {table} WHERE source_id = ANY(%s)", [ids])  # noqa: S608 - constant names
    Source.objects.filter(pk__in=ids).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE flow_episode")  # no dead rows of an earlier run in the indexes


def _write_csv(path: Path) -> int:
    from django.utils import timezone

    from samverkan.flow import generator
    from samverkan.organisations.models import Municipality

    municipalities = list(Municipality.objects.values_list("code", "population"))
    today = timezone.localdate()
    rows = generator.episodes(
        municipalities,
        start=today - datetime.timedelta(days=DAYS),
        days=DAYS,
        seed=SEED,
        count=EPISODES * 21 // 20,  # the rates give a little less than `count`: take the first million
        now=timezone.localtime().replace(tzinfo=None),
    )
    with path.open("w", encoding="utf-8", newline="") as out:
        return generator.write_csv(itertools.islice(rows, EPISODES), out)


def _copy_seconds(url: str, path: Path) -> float:
    """A bare COPY of the file, sent from this client as the import's rows are, into a fresh plain table."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET TimeZone = 'Europe/Stockholm'")  # naive times mean local time, as in the import
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(f"CREATE TABLE {TABLE} ({COPY_COLUMNS})")
        conn.execute("CHECKPOINT")
        started = time.perf_counter()
        with conn.cursor() as cursor:
            with (
                path.open("rb") as handle,
                cursor.copy(f"COPY {TABLE} FROM STDIN (FORMAT csv, HEADER true)") as copy,
            ):
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            seconds = time.perf_counter() - started
            cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608 - a constant name
            assert cursor.fetchone()[0] == EPISODES
        conn.execute(f"DROP TABLE {TABLE}")
    return seconds


def _import_in_child(url: str, path: Path) -> dict:
    """Run the import command on `path` in a process of its own; its time, counts and peak memory."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "samverkan.settings"}
    output = subprocess.run(  # noqa: S603 - this interpreter, this module, our own arguments
        [sys.executable, "-m", "benchmarks.bench_flow_import", url, str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def _high_water_kib() -> int:
    """This process's peak resident set size (VmHWM, KiB). Not getrusage's ru_maxrss: Linux
    carries that over from the parent across fork and exec, so it would count the benchmark's own
    memory."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def _child(url: str, path: str) -> None:
    """In the child: the import_episodes command, timed; then the peak resident set size."""
    import io

    os.environ["BENCH_DATABASE_URL"] = url
    use_postgres("samverkan_bench_flow")
    from django.core.management import call_command
    from django.db import connection

    from samverkan.flow.models import ImportRun

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    before = _high_water_kib()
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_episodes", path, "--source", SOURCE, "--county", COUNTY, stdout=out)
    seconds = time.perf_counter() - started
    peak = _high_water_kib()
    run = ImportRun.objects.filter(source__name=SOURCE).latest("pk")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mib": peak / 1024,
                "before_mib": before / 1024,
                "rows": run.rows,
                "created": run.created,
                "updated": run.updated,
                "unchanged": run.unchanged,
                "status": run.status,
            }
        )
    )


def run() -> dict[str, Result]:
    url = use_postgres("samverkan_bench_flow")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    _remove_benchmark_source()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-flow-") as directory:
            path = Path(directory) / "episodes.csv"
            started = time.perf_counter()
            written = _write_csv(path)
            assert written == EPISODES, written
            print(
                f"flow_import: generated {written:,} episodes ({path.stat().st_size / 2**20:.0f} MiB) "
                f"in {time.perf_counter() - started:.1f} s"
            )
            copies = [_copy_seconds(url, path) for _ in range(COPY_REPEATS)]
            copy_seconds = statistics.median(copies)
            print(f"flow_import: COPY {', '.join(f'{c:.2f}' for c in copies)} s (median {copy_seconds:.2f} s)")
            first = _import_in_child(url, path)
            assert (first["status"], first["rows"], first["created"]) == ("done", EPISODES, EPISODES), first
            print(f"flow_import: import {first}")
            again = _import_in_child(url, path)
            assert (again["status"], again["unchanged"], again["created"], again["updated"]) == (
                "done",
                EPISODES,
                0,
                0,
            ), again
            print(f"flow_import: re-import {again}")
    finally:
        _remove_benchmark_source()
    return {
        "flow_import": Result(round(first["seconds"], 2), "s", round(copy_seconds, 2)),
        "flow_reimport": Result(round(again["seconds"], 2), "s", round(copy_seconds, 2)),
        "flow_import_peak_memory": Result(round(max(first["peak_mib"], again["peak_mib"]), 1), "MiB"),
    }


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
