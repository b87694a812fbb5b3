"""The one way to hand a table out as a file: CSV (UTF-8, comma) or an Excel workbook, with the
same rows as the page shows. Empty cells are None.

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


def csv_text(header: list, rows: Iterable[list]) -> str:
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
