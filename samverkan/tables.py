"""The one way to hand a table out as a file: CSV (UTF-8, comma) or an Excel workbook, with the
same rows as the page shows. Empty cells are None."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.http import HttpResponse
from openpyxl import Workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Sheet:
    header: list
    rows: Iterable[list]
    title: str | None = None  # Excel's default name when None
    frozen: str | None = None  # the first cell that does not stay in view, e.g. "A2"


def csv_text(header: list, rows: Iterable[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)  # None is written as an empty field
    return buffer.getvalue()


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    workbook = Workbook()
    for i, sheet in enumerate(sheets):
        target = workbook.active if i == 0 else workbook.create_sheet()
        if sheet.title:
            target.title = sheet.title[:31]  # Excel's limit
        target.append(sheet.header)
        for row in sheet.rows:
            target.append(row)
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
