"""Small helpers shared by the flow tests: valid personnummer, CSV files, imports, database snapshots."""

from __future__ import annotations

import datetime
import json

from django.db import connection
from stdnum import luhn

from samverkan.audit.models import AuditEvent
from samverkan.capacity.schedule import LOCAL
from samverkan.flow.imports import CANONICAL_COLUMNS, ImportResult, import_rows, read_csv
from samverkan.flow.models import Episode, ImportRun, Source
from samverkan.flow.validation import RowError
from samverkan.organisations import policy

HEADER = ",".join(CANONICAL_COLUMNS)


def personnummer(birth_date: str, serial: str = "123", separator: str = "-") -> str:
    """A valid 12-digit personnummer for `birth_date` (YYYYMMDD) and a three-digit serial, with
    the Luhn check digit computed."""
    nine = birth_date[2:] + serial
    check = luhn.calc_check_digit(nine)
    return f"{birth_date}{separator}{serial}{check}"


def forms(number: str) -> list[str]:
    """Every way a 12-digit personnummer ('YYYYMMDD-NNNC') can be written down."""
    digits = number.replace("-", "").replace("+", "")
    ten = digits[2:]
    return [
        digits,
        f"{digits[:8]}-{digits[8:]}",
        f"{digits[:8]}+{digits[8:]}",
        ten,
        f"{ten[:6]}-{ten[6:]}",
        f"{ten[:6]}+{ten[6:]}",
    ]


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=LOCAL)


def row(**values: str) -> dict[str, str]:
    """A valid row (somatic care in Falun, admitted in autumn 2025) with `values` changed."""
    return {
        "source_id": "E1",
        "home_municipality": "2080",
        "care_type": "somatic",
        "admitted_at": "2025-10-01T08:00",
        **values,
    }


def csv_text(*rows: dict[str, str], columns: list[str] | None = None, delimiter: str = ",") -> str:
    """A CSV file with the header `columns` (default: every canonical column) and one line per row."""
    columns = columns or CANONICAL_COLUMNS
    lines = [delimiter.join(columns)]
    lines += [delimiter.join(r.get(c, "") for c in columns) for r in rows]
    return "\n".join(lines) + "\n"


def csv_bytes(*rows: dict[str, str], **options) -> bytes:
    return csv_text(*rows, **options).encode()


def run_import(source: Source, data: bytes, *, dry_run: bool = False, **read_options) -> ImportResult:
    """Import `data` as the command does (by the system), all or nothing."""
    return import_rows(
        source=source, rows=read_csv(data, **read_options), by=policy.SYSTEM, filename="episoder.csv", dry_run=dry_run
    )


def where(errors: list[RowError]) -> list[tuple[int | None, str | None]]:
    return [(e.row, e.column) for e in errors]


def episodes() -> list[dict]:
    """Every episode, every field: what a rejected import must leave as it was."""
    return list(Episode.objects.order_by("source_id", "record_id").values())


def counts() -> dict[str, int]:
    return {
        "episodes": Episode.objects.count(),
        "imports": ImportRun.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def database_text() -> str:
    """Every row of every table of the database as text: to search for what must not be stored."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own tables
            parts.extend(repr(values) for values in cursor.fetchall())
    return "\n".join(parts)


def flow_rows_text() -> str:
    """The episodes, the imports (with their errors) and the audit rows as JSON text."""
    return json.dumps(
        [
            list(Episode.objects.values()),
            list(ImportRun.objects.values()),
            list(AuditEvent.objects.values()),
        ],
        default=str,
        ensure_ascii=False,
    )


def leaks(number: str, *texts: str) -> list[str]:
    """The written forms of `number` found in any of `texts`."""
    return [form for form in forms(number) for text in texts if form in text]
