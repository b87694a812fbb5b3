"""Uploads kept between the upload page's steps: the column-mapping step for files in another
layout, and imports run by the task worker for large files.

The raw file may hold personnummer, so it lives only in settings.IMPORT_UPLOAD_DIR (private,
never served) under a random name, and is deleted as soon as its import is done, rejected or
cancelled; `services.stale_uploads_cancel` removes any left for longer than
IMPORT_UPLOAD_MAX_AGE_HOURS. The files are kept here; every change of an import's record is a
service (samverkan/flow/services.py)."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from samverkan.flow import imports, workbooks
from samverkan.flow.fhir import inpatient_codes_of, read_fhir
from samverkan.flow.models import ColumnLayout, ImportRun, Source
from samverkan.flow.pseudonyms import PERSONNUMMER_LIKE, looks_like_personnummer
from samverkan.flow.validation import Row

PREVIEW_ROWS = 3
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# Column names that say the column holds personal identity numbers: never previewed.
_IDENTITY_NAME = re.compile(r"person|pnr|ssn|identitet|samordning", re.IGNORECASE)
MASK = "•••"


def upload_dir() -> Path:
    path = Path(settings.IMPORT_UPLOAD_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _path(token: str) -> Path:
    if not _TOKEN.match(token):  # a name we made; never a path from elsewhere
        raise ValueError("not an upload token")
    return upload_dir() / token


def store(chunks: Iterable[bytes]) -> str:
    """Write the upload (an iterable of bytes) to a new private file; its random name."""
    token = secrets.token_urlsafe(32)
    descriptor = os.open(_path(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return token


def delete_stored(token: str) -> None:
    """Delete a stored upload (gone already is fine)."""
    _path(token).unlink(missing_ok=True)


def stored_path(run: ImportRun) -> Path | None:
    """Where the run's upload is kept, if it still is."""
    if not run.stored_file:
        return None
    path = _path(run.stored_file)
    return path if path.is_file() else None


def stale_files(limit: datetime.datetime) -> list[str]:
    """The names of the stored uploads last written before `limit`."""
    stale = []
    for path in upload_dir().iterdir():
        if not path.is_file() or not _TOKEN.match(path.name):
            continue
        if datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC) < limit:
            stale.append(path.name)
    return stale


# --- What the file's header says -------------------------------------------------------------


@dataclass
class Preview:
    header: list[str]  # lower case, stripped, as the readers see them
    rows: list[list[str]]  # the first few data rows, identity numbers masked


PREVIEW_BYTES = 256 * 1024  # of a CSV file: enough for its header and a few rows


def head_of(source: BinaryIO) -> bytes:
    """The start of an open CSV file for `preview`: PREVIEW_BYTES and one more byte, which tells
    that the file goes on. The file is left where it was."""
    position = source.tell()
    head = source.read(PREVIEW_BYTES + 1)
    source.seek(position)
    return head


def preview(data: bytes | BinaryIO, file_format: str, options: dict, *, rows: int = PREVIEW_ROWS) -> Preview:
    """The file's header and its first rows (`data`: the whole file or, for CSV, its `head_of`; an
    Excel workbook also as an open file). Raises imports.FileRejected if it cannot be read."""
    if file_format == "xlsx":
        header, lines = _xlsx_lines(data, options.get("sheet") or None, rows)
    else:
        head = data if isinstance(data, bytes) else data.read()
        header, lines = _csv_lines(head, options.get("encoding") or None, options.get("delimiter") or None, rows)
    masked_columns = {i for i, name in enumerate(header) if _IDENTITY_NAME.search(name)}
    masked = [
        [MASK if i in masked_columns or looks_like_personnummer(value) else value for i, value in enumerate(line)]
        for line in lines
    ]
    return Preview(header=header, rows=masked)


def _csv_lines(data: bytes, encoding: str | None, delimiter: str | None, count: int):
    # Only the start of the file, cut after a line (a newline byte never lies inside a character):
    # enough for a header and a few rows.
    head = data[:PREVIEW_BYTES]
    if len(head) < len(data) and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    text = "".join(imports.decoded_text(io.BytesIO(head), encoding))
    if not text.strip():
        raise imports.FileRejected([imports.error(None, None, _("The file is empty."))])
    first_line = text.splitlines()[0]
    if delimiter is None:
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    lines: list[list[str]] = []
    for values in reader:
        if len(lines) >= count:
            break
        if any(v.strip() for v in values):
            lines.append(_fit([v.strip() for v in values], len(header)))
    return header, lines


def _xlsx_lines(data: bytes | BinaryIO, sheet: str | None, count: int):

    header, rows = workbooks.read(io.BytesIO(data) if isinstance(data, bytes) else data, sheet)
    lines: list[list[str]] = []
    for texts in rows:
        if len(lines) >= count:
            break
        if any(texts):
            lines.append(texts)
    return header, lines


def _fit(values: list[str], width: int) -> list[str]:
    return (values + [""] * width)[:width]


def is_canonical(header: list[str]) -> bool:
    """Whether the readers take the header as it is (their own checks report what is wrong with it)."""
    return all(column in imports.CANONICAL_COLUMNS for column in header if column)


def holds_identity_numbers(header: list[str]) -> bool:
    """Whether a "header" holds something shaped like a personnummer: a file without a header
    row, whose first row must not become column names that are shown and saved."""
    return any(PERSONNUMMER_LIKE.search(column) for column in header)


def header_key(header: list[str]) -> str:
    return hashlib.sha256("\x1f".join(sorted(header)).encode()).hexdigest()


def layout_for(source: Source, header: list[str]) -> ColumnLayout | None:
    """The source's saved layout for exactly these file columns (in any order)."""
    return ColumnLayout.objects.filter(source=source, header_key=header_key(header)).first()


def suggested_mapping(source: Source, header: list[str]) -> dict[str, str]:
    """Canonical column → file column to preselect: same-named columns, then what the source's
    earlier layouts mapped a file column of this name to."""
    suggestion = {column: column for column in header if column in imports.CANONICAL_COLUMNS}
    for layout in ColumnLayout.objects.filter(source=source).order_by("-saved_at"):
        for file_column, canonical in layout.mapping.items():
            if file_column in header and canonical not in suggestion and file_column not in suggestion.values():
                suggestion[canonical] = file_column
    return suggestion


# --- Importing a stored file ------------------------------------------------------------------


def estimate_rows(path: Path, file_format: str, options: dict[str, Any]) -> int | None:
    """About how many data rows the stored file has: its lines (CSV), the sheet's dimension
    (Excel), its Encounters (FHIR). Read a chunk at a time."""
    if file_format == "xlsx":
        try:
            with path.open("rb") as handle:  # a file, not a path: openpyxl judges a path by its suffix
                worksheet = workbooks.open_sheet(handle, options.get("sheet") or None)
                return max((worksheet.max_row or 1) - 1, 0) or None
        except imports.FileRejected:  # an estimate only; the import reports what is wrong
            return None
    wanted = b'"Encounter"' if file_format == "fhir" else b"\n"
    count, last = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(wanted)
            last = chunk
    if file_format == "fhir":
        return count or None
    lines = count + (0 if last.endswith(b"\n") else 1)
    return max(lines - 1, 0) or None


def format_of(filename: str) -> str:
    """The import format an uploaded file's name says: xlsx, fhir (.json) or csv."""
    name = filename.lower()
    return "xlsx" if name.endswith(".xlsx") else "fhir" if name.endswith(".json") else "csv"


def read_rows(
    data: bytes | BinaryIO,
    file_format: str,
    options: dict[str, Any],
    *,
    layout: dict[str, str] | None = None,
    source: Source | None = None,
) -> Iterator[tuple[int, Row]]:
    """The file's rows (from its bytes, or streamed from a binary file) through the reader of its
    format, with the column layout for CSV and Excel (and for FHIR the source's own inpatient class codes)."""
    if file_format == "fhir":
        document = data if isinstance(data, bytes) else data.read()  # one JSON document
        return read_fhir(document, inpatient_codes=inpatient_codes_of(source))
    if file_format == "xlsx":
        return workbooks.read_xlsx(data, sheet=options.get("sheet") or None, layout=layout)
    return imports.read_csv(
        data, encoding=options.get("encoding") or None, delimiter=options.get("delimiter") or None, layout=layout
    )
