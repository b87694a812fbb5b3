"""CSV downloads from pages open in Excel set up for Sweden: UTF-8 with a byte order mark,
semicolons, decimal comma; open data and the API keep the international form (issue 16, part 10)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from samverkan import tables
from samverkan.capacity.tests.helpers import report
from samverkan.testing import csv_rows, login


def test_a_pages_csv_has_a_bom_semicolons_and_decimal_commas():
    text = tables.csv_text(["Kommun", "Andel", "Belopp", "Antal"], [["Älvdalen", 0.25, Decimal("112100.00"), 12]])
    assert text.startswith("\ufeffKommun;Andel;Belopp;Antal\r\n")
    assert text.splitlines()[1] == "Älvdalen;0,25;112100,00;12"
    assert text.encode()[:3] == b"\xef\xbb\xbf"


def test_open_data_keeps_commas_and_decimal_points():
    text = tables.csv_text_international(["field", "value"], [["share", 0.25]])
    assert text == "field,value\r\nshare,0.25\r\n"


@pytest.mark.django_db
def test_the_capacity_download_opens_in_swedish_excel_while_the_api_keeps_json_numbers(world, client):
    report(world.lunden, world.lunden_staff, staffed=16, occupied=12)
    login(client, world.region_coordinator)
    response = client.get("/kapacitet/export.csv?county=20")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, *rows = csv_rows(response.content)
    assert header[:3] == ["Kommunkod", "Kommun", "Enhet"]
    lunden = next(row for row in rows if row[2] == "Lunden korttidsboende")
    assert lunden[10] == "0,75"  # occupancy 12 / 16
    api = client.get("/api/v1/capacity/overview?county=20").json()
    assert next(u for u in api["units"] if u["unit_name"] == "Lunden korttidsboende")["occupancy_rate"] == 0.75
