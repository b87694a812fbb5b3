"""The optional column care_contact_at (when primary care appointed the named care contact): read
from the CSV, Excel and the API like the other times (FHIR's extension is in test_fhir.py),
checked by its own validator, optional as a column, and a change of it updates the episode."""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from samverkan.accounts.services import api_key_create
from samverkan.flow.imports import CANONICAL_COLUMNS, REQUIRED_COLUMNS, import_rows, source_for
from samverkan.flow.models import Episode
from samverkan.flow.tests.helpers import csv_bytes, row, run_import, where
from samverkan.flow.workbooks import read_xlsx
from samverkan.organisations import policy

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _local(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=STOCKHOLM)


def test_the_csv_column_is_stored_and_a_change_updates_the_episode(source):
    columns = [*REQUIRED_COLUMNS, "ready_at", "discharged_at", "care_contact_at"]
    first = row(ready_at="2025-10-03T09:00", discharged_at="2025-10-06T10:00", care_contact_at="2025-10-04T14:20")
    result = run_import(source, csv_bytes(first, columns=columns))
    assert result.ok, result.errors
    assert Episode.objects.get().care_contact_at == _local(2025, 10, 4, 14, 20)
    again = run_import(source, csv_bytes({**first, "care_contact_at": "2025-10-05T08:00"}, columns=columns))
    assert (again.run.updated, again.run.unchanged) == (1, 0)
    assert Episode.objects.get().care_contact_at == _local(2025, 10, 5, 8, 0)


def test_the_column_is_optional(source):
    result = run_import(source, csv_bytes(row(), columns=REQUIRED_COLUMNS))
    assert result.ok, result.errors
    assert Episode.objects.get().care_contact_at is None
    assert "care_contact_at" in CANONICAL_COLUMNS and "care_contact_at" not in REQUIRED_COLUMNS


def test_a_bad_time_names_row_and_column_and_imports_nothing(source):
    rows = [row(), row(source_id="E2", care_contact_at="4 oktober")]
    result = run_import(source, csv_bytes(*rows))
    assert not result.ok
    assert where(result.errors) == [(3, "care_contact_at")]
    assert not Episode.objects.exists()


def test_an_excel_cell_with_a_date_and_time(world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(CANONICAL_COLUMNS)
    values = {
        "source_id": "X1",
        "home_municipality": 2080,
        "care_type": "somatic",
        "admitted_at": datetime.datetime(2026, 1, 10, 8, 0),  # noqa: DTZ001 - Excel cells have no zone
        "care_contact_at": datetime.datetime(2026, 1, 12, 13, 45),  # noqa: DTZ001
    }
    sheet.append([values.get(c) for c in CANONICAL_COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_rows(source=source_for("20", "Excel"), rows=read_xlsx(buffer.getvalue()), by=policy.SYSTEM)
    assert result.ok, result.errors
    assert Episode.objects.get().care_contact_at == _local(2026, 1, 12, 13, 45)


def test_the_api_takes_the_field(client, world):
    _, key = api_key_create(organisation=world.region, name="Cosmic", role="region_coordinator", by=policy.SYSTEM)
    episode = {
        "source_id": "X1",
        "home_municipality": "2080",
        "care_type": "somatic",
        "admitted_at": "2026-01-10T08:00",
        "care_contact_at": "2026-01-11T09:15",
    }
    response = client.post(
        "/api/v1/flow/episodes",
        {"source": "Cosmic", "county": "20", "episodes": [episode]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 201, response.content
    assert Episode.objects.get().care_contact_at == _local(2026, 1, 11, 9, 15)
