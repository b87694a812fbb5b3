"""Excel workbooks with the canonical header in row 1 import like the CSV."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from samverkan.flow.imports import CANONICAL_COLUMNS, FileRejected, import_rows, source_for
from samverkan.flow.models import Episode, ImportRun, ImportStatus
from samverkan.flow.validation import as_json
from samverkan.flow.workbooks import read_xlsx
from samverkan.organisations import policy
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def _workbook(rows, *, sheet: str = "Vårdtillfällen") -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(CANONICAL_COLUMNS)
    for row in rows:
        worksheet.append([row.get(c) for c in CANONICAL_COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD = [
    {
        "source_id": "X1",
        "home_municipality": 2080,
        "care_type": "somatic",
        "admitted_at": datetime.datetime(2026, 10, 1, 8, 0),  # noqa: DTZ001 - Excel cells have no zone
        "discharged_at": datetime.datetime(2026, 10, 3, 9, 30),  # noqa: DTZ001
        "destination": "home",
        "covid": 0,
        "birth_year": 1940,
    },
    {"source_id": "X2", "home_municipality": "2084", "care_type": "psychiatric", "admitted_at": "2026-10-02T10:00"},
]


def test_a_workbook_imports_with_excel_dates_and_numbers(world):
    result = import_rows(source=source_for("20", "Excel"), rows=read_xlsx(_workbook(GOOD)), by=policy.SYSTEM)
    assert result.ok, result.errors
    first = Episode.objects.get(record_id="X1")
    assert (first.home_municipality_id, first.birth_year, first.destination) == ("2080", 1940, "home")
    assert first.discharged_at.hour == 7  # 09:30 Swedish summer time is 07:30 UTC


def test_a_wrong_sheet_names_the_sheets_there_are(world):
    with pytest.raises(FileRejected, match="no sheet 'Blad1'; it has: Vårdtillfällen"):
        list(read_xlsx(_workbook(GOOD), sheet="Blad1"))


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(FileRejected, match="not an Excel workbook"):
        list(read_xlsx(b"source_id,care_type\n1,somatic\n"))


def test_bad_rows_in_a_workbook_are_reported_by_row_and_column(world):
    rows = [*GOOD, {"source_id": "X3", "home_municipality": 9999, "care_type": "somatic", "admitted_at": "2026-10-02"}]
    result = import_rows(source=source_for("20", "Excel"), rows=read_xlsx(_workbook(rows)), by=policy.SYSTEM)
    assert not result.ok
    assert as_json(result.errors) == [
        {"row": 4, "column": "home_municipality", "message": "Unknown municipality code '9999'."}
    ]
    assert not Episode.objects.exists()


def test_the_command_reads_xlsx_by_its_name(tmp_path, world):
    path = tmp_path / "episoder.xlsx"
    path.write_bytes(_workbook(GOOD))
    out = io.StringIO()
    call_command("import_episodes", str(path), "--source", "Excel", "--county", "20", stdout=out)
    assert "2 new" in out.getvalue()
    with pytest.raises(CommandError):
        call_command(
            "import_episodes",
            str(path),
            "--source",
            "Excel",
            "--county",
            "20",
            "--sheet",
            "Nej",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_the_upload_page_takes_a_workbook_and_the_task_worker_imports_it(client, world, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client.cookies["django_language"] = "en"
    login(client, world.region_coordinator)
    upload = SimpleUploadedFile("episoder.xlsx", _workbook(GOOD))
    response = client.post("/flode/import/", {"county": "20", "source": "Excel", "file": upload})
    run = ImportRun.objects.get()
    assert response["Location"] == f"/flode/import/{run.pk}/"  # the import's page, with its progress
    assert run.status == ImportStatus.DONE
    assert Episode.objects.count() == 2
