"""Opening an uploaded Excel workbook within limits, so that no file can hold a worker for long
or fill the server's memory.

A workbook is a zip of XML parts, and a zip can unpack to a thousand times its size. openpyxl (in
read-only mode) streams the worksheets row by row but reads every other part whole into memory:
the shared-strings table with every text of the sheets, the styles, the workbook itself. So before
openpyxl opens a workbook, `check` reads only the zip's directory and the small parts that say
which parts are worksheets, and refuses one

- whose parts unpack to more than IMPORT_XLSX_MAX_UNPACKED_MB in all (bounds the time to read it),
- whose parts read whole unpack to more than IMPORT_XLSX_MAX_IN_MEMORY_MB (bounds the memory),
- any part of which unpacks to more than MAX_RATIO times its packed size (a zip bomb).

`open_sheet` then refuses a sheet whose dimension (Excel's used range) has more than
IMPORT_XLSX_MAX_ROWS rows besides the header, and `read` stops there whatever the dimension says. Rows are read only as wide as the header, so a cell far to the right cannot make every row
16 384 cells wide."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import _find_workbook_part
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.xml.constants import (
    ARC_CONTENT_TYPES,
    ARC_CORE,
    ARC_CUSTOM,
    ARC_STYLE,
    ARC_THEME,
    SHARED_STRINGS,
    SHEET_MAIN_NS,
)
from openpyxl.xml.functions import fromstring, iterparse

from samverkan.flow import imports
from samverkan.flow.imports import FileRejected, cell_text, error
from samverkan.flow.validation import Row

MB = 1024 * 1024
MAX_RATIO = 200  # real workbooks pack 5 to 20 times; deflate allows about 1 000
RATIO_FROM_BYTES = MB  # smaller parts may pack tighter without harm
MAX_PACKAGE_PART_BYTES = MB  # [Content_Types].xml and each .rels part, read to find the worksheets
MAX_PARTS = 1000
MAX_COLUMNS = 200  # of the header row
# Parts openpyxl always reads whole, at fixed places.
_WHOLE = {ARC_CONTENT_TYPES, ARC_STYLE, ARC_THEME, ARC_CORE, ARC_CUSTOM}


_DIMENSION = f"{{{SHEET_MAIN_NS}}}dimension"
_SHEET_DATA = f"{{{SHEET_MAIN_NS}}}sheetData"


def _size_from_the_start(worksheet: ReadOnlyWorksheet) -> None:
    """Replaces openpyxl's ReadOnlyWorksheet._get_size, which every sheet runs as the workbook
    opens: it looks for <dimension> until the *end* of <sheetData>, so a sheet without one (as
    openpyxl's own write-only mode writes them) is parsed whole before a single row is asked
    for. <dimension> comes before <sheetData>, so this stops at its start. Same result."""
    with worksheet._get_source() as source:
        for _event, element in iterparse(source, events=("start",)):
            if element.tag == _DIMENSION and element.get("ref"):
                bounds = range_boundaries(element.get("ref"))
                if None not in bounds:
                    worksheet._min_column, worksheet._min_row, worksheet._max_column, worksheet._max_row = bounds
                return
            if element.tag == _SHEET_DATA:
                return


ReadOnlyWorksheet._get_size = _size_from_the_start


def _refused(message: str) -> FileRejected:
    return FileRejected([error(None, None, message)])


def not_a_workbook() -> FileRejected:
    return _refused(_("The file is not an Excel workbook (.xlsx)."))


def _megabytes(size: int) -> str:
    return f"{size / MB:,.1f}"


def _streamed_parts(archive: zipfile.ZipFile) -> set[str]:
    """The worksheets, which openpyxl reads row by row: the targets of the workbook's worksheet
    relationships, found as openpyxl finds them; a part also read whole for another reason
    (the styles, the strings, the workbook) does not count."""
    manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    workbook = _find_workbook_part(manifest).PartName.lstrip("/")
    relationships = get_rels_path(workbook)
    if relationships not in archive.namelist():
        return set()
    sheets = {r.target for r in get_dependents(archive, relationships) if r.Type.endswith("/worksheet")}
    strings = manifest.find(SHARED_STRINGS)
    whole = _WHOLE | {workbook, relationships, strings.PartName.lstrip("/") if strings else ""}
    return {sheet for sheet in sheets if sheet not in whole and not sheet.endswith(".rels")}


def check(data: BinaryIO) -> None:
    """Refuse (FileRejected) a workbook over the limits, before anything but its package parts is
    unpacked. The file is left at its start."""
    try:
        with zipfile.ZipFile(data) as archive:
            parts = archive.infolist()
            package = [p for p in parts if p.filename == ARC_CONTENT_TYPES or p.filename.endswith(".rels")]
            if len(parts) > MAX_PARTS or any(p.file_size > MAX_PACKAGE_PART_BYTES for p in package):
                raise not_a_workbook()
            streamed = _streamed_parts(archive)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError, AttributeError, SyntaxError):
        raise not_a_workbook() from None  # not a zip, or a broken package
    finally:
        data.seek(0)
    _check_sizes(parts, streamed)


def _check_sizes(parts: list[zipfile.ZipInfo], streamed: set[str]) -> None:
    for part in parts:
        if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise _refused(
                _(
                    "A part of the workbook unpacks to %(ratio)s times its packed size, which no real workbook "
                    "does; it was not read."
                )
                % {"ratio": f"{part.file_size // max(part.compress_size, 1):,}"}
            )
    unpacked = sum(p.file_size for p in parts)
    if unpacked > settings.IMPORT_XLSX_MAX_UNPACKED_MB * MB:
        raise _refused(
            _(
                "The workbook unpacks to %(size)s MB, more than the %(limit)s MB that can be read. Save the sheet as "
                "CSV (UTF-8) and upload that, or split it."
            )
            % {"size": _megabytes(unpacked), "limit": settings.IMPORT_XLSX_MAX_UNPACKED_MB}
        )
    whole = sum(p.file_size for p in parts if p.filename not in streamed)
    if whole > settings.IMPORT_XLSX_MAX_IN_MEMORY_MB * MB:
        raise _refused(
            _(
                "The workbook's texts, formatting and other parts besides the sheets unpack to %(size)s MB, more "
                "than the %(limit)s MB that can be read. Save the sheet as CSV (UTF-8) and upload that."
            )
            % {"size": _megabytes(whole), "limit": settings.IMPORT_XLSX_MAX_IN_MEMORY_MB}
        )


def open_sheet(data: BinaryIO, sheet: str | None):
    """The workbook's sheet (the first, or `sheet`) in read-only mode, after `check` and a look at
    the sheet's dimension. Raises FileRejected."""
    check(data)
    try:
        workbook = load_workbook(data, read_only=True, data_only=True, keep_links=False)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError):
        raise not_a_workbook() from None
    if sheet is not None and sheet not in workbook.sheetnames:
        raise _refused(
            _("The workbook has no sheet %(sheet)r; it has: %(sheets)s.")
            % {"sheet": sheet, "sheets": ", ".join(workbook.sheetnames)}
        )
    if not workbook.worksheets:
        raise not_a_workbook()
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    if (worksheet.max_row or 0) - 1 > settings.IMPORT_XLSX_MAX_ROWS:
        raise _too_many_rows()
    return worksheet


def _too_many_rows() -> FileRejected:
    return _refused(
        _(
            "The sheet has more than %(limit)s rows besides the header (Excel's used range, empty formatted rows "
            "included). Delete empty rows below the data, split the sheet, or save it as CSV."
        )
        % {"limit": f"{settings.IMPORT_XLSX_MAX_ROWS:,}"}
    )


def _header_row(worksheet) -> tuple:
    """Row 1's values, at most MAX_COLUMNS of them (an empty tuple for an empty sheet)."""
    first = next(worksheet.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS + 1, values_only=True), ())
    if len(first) > MAX_COLUMNS and first[MAX_COLUMNS] not in (None, ""):
        raise _refused(_("The header row has more than %(limit)s columns.") % {"limit": MAX_COLUMNS})
    return first


def _sheet_rows(worksheet, width: int):
    """The values of rows 2, 3, … (`width` of them each); FileRejected past IMPORT_XLSX_MAX_ROWS."""
    limit = settings.IMPORT_XLSX_MAX_ROWS
    # One row past the limit is read (openpyxl stops parsing there) to tell that there are more.
    rows = worksheet.iter_rows(min_row=2, max_row=limit + 2, max_col=max(width, 1), values_only=True)
    for count, values in enumerate(rows, start=1):
        if count > limit:
            raise _too_many_rows()
        yield values[:width]


def read(data: BinaryIO, sheet: str | None) -> tuple[list[str], Iterator[list[str]]]:
    """The sheet's header (row 1 in lower case, without empty columns at its end) and its rows
    after it as texts, as wide as the header, read one at a time. Raises FileRejected."""
    worksheet = open_sheet(data, sheet)
    first = _header_row(worksheet)
    if all(value in (None, "") for value in first):
        raise _refused(_("The sheet is empty."))
    header = [cell_text(value).lower() for value in first]
    while header and not header[-1]:
        header.pop()
    return header, ([cell_text(value) for value in values] for values in _sheet_rows(worksheet, len(header)))


def read_xlsx(
    data: bytes | BinaryIO, *, sheet: str | None = None, layout: dict[str, str] | None = None
) -> Iterator[tuple[int, Row]]:
    """Rows of an Excel workbook whose sheet (the first, or `sheet`) has the canonical header in row 1,
    or another layout's header renamed by `layout` (as in `read_csv`). `data` is the workbook's
    bytes or a binary file open for reading; it is checked against the workbook limits before it
    is opened, then read row by row (samverkan/flow/workbooks.py)."""

    header, rows = read(imports.binary(data), sheet)
    yield from imports.data_rows(imports.apply_layout(header, layout), rows)
