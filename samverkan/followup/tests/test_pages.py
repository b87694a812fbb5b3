"""The liability pages, exports, API and command through the test client and call_command."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from samverkan.audit.models import AccessLogEntry
from samverkan.followup.models import DayRate
from samverkan.testing import csv_rows, login

pytestmark = pytest.mark.django_db


def test_region_coordinator_sees_liability_per_municipality(client, world, march):
    login(client, world.region_coordinator)
    response = client.get("/uppfoljning/?county=20&month=2023-03")
    assert response.status_code == 200
    rows = {row.code: row for row in response.context["totals"].rows}
    assert (rows["2080"].episodes, rows["2080"].liable_days, rows["2080"].amount) == (2, 3, Decimal("31500.00"))
    assert (rows["2084"].episodes, rows["2084"].liable_days, rows["2084"].amount) == (1, 9, Decimal("94500.00"))
    assert response.context["totals"].amount == Decimal("126000.00")
    assert rows["2080"].lines_visible
    # Totals are aggregates: no access-log row.
    assert not AccessLogEntry.objects.exists()


def test_statement_lines_are_explained_and_logged(client, world, march):
    login(client, world.falun_coordinator)
    response = client.get("/uppfoljning/underlag/2080/?month=2023-03")
    assert response.status_code == 200
    statement = response.context["statement"]
    assert [(line.episode.record_id, line.liable_days, line.reason) for line in statement.lines] == [
        ("F2", 1, "liable"),
        ("F1", 2, "liable"),
        ("F3", 0, "no_admission_notice"),
    ]
    assert statement.amount == Decimal("31500.00") == sum(line.amount for line in statement.lines)
    text = response.content.decode()
    assert "F1" in text and "A1" not in text
    entry = AccessLogEntry.objects.get()
    assert entry.actor == world.falun_coordinator and "followup.statement" in entry.resource
    assert sorted(entry.object_ids) == sorted(str(e.pk) for e in march if e.record_id in {"F1", "F2", "F3"})


def test_a_municipality_cannot_read_anothers_statement(client, world, march):
    login(client, world.falun_coordinator)
    assert client.get("/uppfoljning/underlag/2084/?month=2023-03").status_code == 403
    rows = {row.code: row for row in client.get("/uppfoljning/?county=20&month=2023-03").context["totals"].rows}
    assert rows["2080"].lines_visible and not rows["2084"].lines_visible
    assert not AccessLogEntry.objects.exists()


def test_csv_and_excel_hold_the_same_lines(client, world, march):
    login(client, world.region_coordinator)
    response = client.get("/uppfoljning/underlag/2080/?month=2023-03&format=csv")
    header, *body = csv_rows(response.content)
    lines = [dict(zip(header, row, strict=True)) for row in body]
    assert [(r["source_id"], r["liable_days"], r["amount"], r["reason"]) for r in lines] == [
        ("F2", "1", "10500,00", "liable"),
        ("F1", "2", "21000,00", "liable"),
        ("F3", "0", "0,00", "no_admission_notice"),
    ]
    assert lines[1]["ready_at"] == "2023-03-06T10:00+01:00" and lines[1]["first_liable_day"] == "2023-03-09"
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get("/uppfoljning/underlag/2080/?month=2023-03&format=xlsx").content)
    )
    sheet = list(workbook.active.iter_rows(values_only=True))
    assert [row[0] for row in sheet[1:]] == ["F2", "F1", "F3"]


def test_missing_day_rate_is_said_not_guessed(client, world, march):
    DayRate.objects.filter(year=2023).delete()
    login(client, world.region_coordinator)
    response = client.get("/uppfoljning/?county=20&month=2023-03")
    assert response.status_code == 200 and response.context["totals"] is None
    assert "2023" in response.content.decode()


def test_api_statements(client, world, march):
    login(client, world.avesta_coordinator)
    response = client.get("/api/v1/followup/statements?county=20&month=2023-03")
    assert response.status_code == 200
    data = response.json()
    assert [m["code"] for m in data["municipalities"]] == ["2084"]
    assert data["amount"] == "94500.00" and data["liable_days"] == "9"
    (line,) = data["municipalities"][0]["lines"]
    assert (line["source_id"], line["first_day"], line["last_day"], line["liable_days"]) == (
        "A1",
        "2023-03-23",
        "2023-03-31",
        "9",
    )
    assert client.get("/api/v1/followup/statements?county=20&month=2023-13").status_code == 422
    assert client.get("/api/v1/followup/statements?county=20&month=2023-03&municipality=2080").status_code == 403


def test_command_prints_the_lines(march):
    out = io.StringIO()
    call_command("liability_statement", "--county", "20", "--month", "2023-03", stdout=out)
    lines = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [
        (r["source_id"], r["home_municipality"], r["liable_days"], r["day_rate"], r["amount"], r["reason"])
        for r in lines
    ] == [
        ("F2", "2080", "1", "10500.00", "10500.00", "liable"),
        ("F1", "2080", "2", "10500.00", "21000.00", "liable"),
        ("F3", "2080", "0", "10500.00", "0.00", "no_admission_notice"),
        ("A1", "2084", "9", "10500.00", "94500.00", "liable"),
    ]
    out = io.StringIO()
    call_command(
        "liability_statement",
        "--county",
        "20",
        "--month",
        "2023-03",
        "--municipality",
        "2084",
        "--format",
        "json",
        stdout=out,
    )
    assert [r["source_id"] for r in json.loads(out.getvalue())] == ["A1"]
    with pytest.raises(CommandError):
        call_command("liability_statement", "--county", "20", "--month", "März", stdout=io.StringIO())
