"""The one way to hand a table out as a file: CSV or an Excel workbook, with the same rows as the
page shows. Empty cells are None.

CSV from a page is for Excel set up for Sweden, which most readers open it in: UTF-8 with a byte
order mark (without it Excel reads å, ä, ö as two characters each), semicolons between fields
and a decimal comma ("27,16"), as Excel reads them with Swedish regional settings
(`csv_text`). Open data files and the API keep the international form, comma-separated with a
decimal point (`csv_text_international`).

Texts come from users (unit names typed on the admin pages, for instance), so none may become a
live formula in a spreadsheet (formula injection): in CSV a text that starts like a formula (=,
+, -, @, tab or carriage return) gets an apostrophe in front, which spreadsheets take as "this is
text"; in Excel every such text is written as a text cell, unchanged. Numbers, negative ones too,
and texts that are just a number stay as they are."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def starts_like_formula(value) -> bool:
    """Whether a cell is a text a spreadsheet could take for a formula (not a plain number)."""
    return isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value)


def _csv_cell(value):
    return "'" + value if starts_like_formula(value) else value


@dataclass
class Sheet:
    header: list
    rows: Iterable[list]
    title: str | None = None  # Excel's default name when None
    frozen: str | None = None  # the first cell that does not stay in view, e.g. "A2"


BOM = "\ufeff"


def _swedish_number(value):
    """A decimal number with a decimal comma; everything else unchanged."""
    if isinstance(value, bool) or not isinstance(value, float | Decimal):
        return value
    return format(value, "f" if isinstance(value, Decimal) else "").replace(".", ",")


def csv_text(header: list, rows: Iterable[list]) -> str:
    """CSV as Excel in Swedish reads it: byte order mark, semicolons, decimal comma."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";")
    for row in [header, *rows]:
        writer.writerow([_csv_cell(_swedish_number(value)) for value in row])  # None: an empty field
    return buffer.getvalue()


def csv_text_international(header: list, rows: Iterable[list]) -> str:
    """CSV for programs (open data): UTF-8 without a byte order mark, commas, decimal point."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in [header, *rows]:
        writer.writerow([_csv_cell(value) for value in row])  # None is written as an empty field
    return buffer.getvalue()


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    workbook = Workbook()
    for i, sheet in enumerate(sheets):
        target = workbook.active if i == 0 else workbook.create_sheet()
        if sheet.title:
            target.title = sheet.title[:31]  # Excel's limit
        for row in [sheet.header, *sheet.rows]:
            target.append(row)
            for cell in target[target.max_row]:
                if starts_like_formula(cell.value):
                    cell.data_type = "s"  # openpyxl makes "=…" a formula; a text cell is shown as it is
        if sheet.frozen:
            target.freeze_panes = sheet.frozen
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(content: str | bytes, filename: str) -> HttpResponse:
    """A file to save: CSV text or Excel bytes, by the file name's ending."""
    content_type = XLSX_TYPE if filename.endswith(".xlsx") else "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
