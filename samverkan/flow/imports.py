"""Importing episodes: parse, validate every row (collecting every error with its row and
column), then upsert on (source, source id) all or nothing.

Everything streams, so a file of a million episodes takes little memory: the readers take the
file's bytes or an open binary file and decode it a chunk at a time, and `import_rows` validates
and stages the rows a batch at a time (see import_rows for the PostgreSQL and the other path).

How to add an import format: write a reader that yields (row number, row) in the canonical columns
(see CANONICAL_COLUMNS) and pass it to `import_rows`; the validation (one validator per column,
samverkan/flow/validation.py), the pseudonymisation, the upsert and the audit are shared. A row is
a dict {column: text}; a reader whose rows are not lines with columns (FHIR: bundle entries with
element paths, samverkan/flow/fhir.py) yields `EntryRow`s, whose errors say "entry N, PATH"
instead of "row N, column NAME", and an `UnreadRow` for a row it could not read at all."""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import io
import itertools
import operator
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samverkan.accounts.models import ApiKey, User
from samverkan.audit.services import actor_fields, audit_record
from samverkan.flow import columnar, daily
from samverkan.flow.models import Episode, ImportRun, ImportStatus, Source
from samverkan.flow.signals import episodes_changed
from samverkan.flow.validation import EntryRow, Lookups, Row, RowError, SkippedRow, UnreadRow, as_json, validate_row
from samverkan.organisations.models import Municipality, Organisation, Unit
from samverkan.organisations.roles import OrganisationKind
from samverkan.principals import Principal
from samverkan.requestcontext import current_request_id

CANONICAL_COLUMNS = [
    "source_id",
    "personnummer",
    "birth_year",
    "sex",
    "home_municipality",
    "hospital_unit",
    "care_type",
    "admitted_at",
    "admission_notice_at",
    "estimated_discharge_date",
    "ready_at",
    "sip_called_at",
    "discharged_at",
    "destination",
    "covid",
    "care_contact_at",
]
REQUIRED_COLUMNS = ["source_id", "home_municipality", "care_type", "admitted_at"]
EPISODE_FIELDS = [
    "pseudonym",
    "birth_year",
    "sex",
    "home_municipality_id",
    "hospital_unit_id",
    "care_type",
    "covid",
    "admitted_at",
    "admission_notice_at",
    "estimated_discharge_date",
    "ready_at",
    "sip_called_at",
    "discharged_at",
    "destination",
    "care_contact_at",
]
MAX_ROWS = 2_000_000
# A PostgreSQL import of at least this many rows into a smaller flow_episode builds its secondary
# indexes after loading (_PostgresStage._secondary_indexes_built_after).
INDEXES_AFTER_ROWS = 100_000
MAX_ERRORS_KEPT = 1000


class FileRejected(Exception):
    """The file cannot be read at all (encoding, delimiter, header). Nothing was imported."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def error(row: int | None, column: str | None, message: str) -> RowError:
    """An error at a row and column (None, None: the whole file)."""
    return RowError(row, column, message)


def format_error(e: RowError) -> str:
    """'row N, column NAME: message', or 'entry N, Encounter.period.end: message'."""
    return str(e)


def _duplicate(number: int, first: int, path: str | None = None) -> RowError:
    """A source id seen before: on an earlier row, or (with the element `path`) an earlier FHIR entry."""
    if path is None:
        return RowError(number, "source_id", _("Duplicate source id: also on row %(row)s.") % {"row": first})
    return RowError(number, path, _("Duplicate source id: also on entry %(entry)s.") % {"entry": first}, "entry")


CHUNK_SIZE = 1 << 20  # bytes read and decoded at a time


def _not_encoding(encoding: str | None) -> FileRejected:
    return FileRejected(
        [
            error(
                None,
                None,
                _("The file is not valid %(encoding)s. Save it as UTF-8 and try again.")
                % {"encoding": encoding or "UTF-8"},
            )
        ]
    )


def _neither() -> FileRejected:
    return FileRejected(
        [error(None, None, _("The file is neither UTF-8 nor Windows-1252 text. Save it as CSV (UTF-8) and try again."))]
    )


def decoded_text(stream: BinaryIO, encoding: str | None) -> Iterator[str]:
    """The file's text, a chunk at a time. With no `encoding`: UTF-8 (a byte order mark dropped),
    else Windows-1252, Excel's Swedish default. Which one is decided by the first byte that is not
    valid UTF-8: until then everything decoded is ASCII, which reads the same in both, so switching
    to Windows-1252 there gives what decoding the whole file as Windows-1252 would. A file that has
    non-ASCII UTF-8 text first and then something else mixes encodings and is refused."""
    forced = encoding is not None
    try:
        decoder = codecs.getincrementaldecoder(encoding or "utf-8-sig")()
    except LookupError:
        raise _not_encoding(encoding) from None
    ascii_so_far, switched, offset = True, False, 0
    while True:
        raw = stream.read(CHUNK_SIZE)
        final = not raw
        pending = decoder.getstate()[0] if offset and not forced and not switched else b""
        try:
            text = decoder.decode(raw, final)
        except UnicodeDecodeError:
            if forced:
                raise _not_encoding(encoding) from None
            if switched:
                raise _neither() from None
            if not ascii_so_far:
                raise FileRejected(
                    [
                        error(
                            None,
                            None,
                            _(
                                "The file is UTF-8 for its first %(bytes)s bytes and then not: it mixes "
                                "encodings. Save it as CSV (UTF-8) and try again."
                            )
                            % {"bytes": f"{offset:,}"},
                        )
                    ]
                ) from None
            switched = True
            decoder = codecs.getincrementaldecoder("cp1252")()
            try:
                text = decoder.decode(pending + raw, final)
            except UnicodeDecodeError:  # five bytes are undefined in Windows-1252
                raise _neither() from None
        if ascii_so_far and not switched:
            ascii_so_far = text.isascii()
        if "\x00" in text:
            raise FileRejected([error(None, None, _("The file contains NUL characters: is it a CSV text file?"))])
        offset += len(raw)
        if text:
            yield text
        if final:
            return


def _lines(chunks: Iterable[str]) -> Iterator[str]:
    """Lines with their endings (\\n, \\r\\n or \\r, as csv wants them) from text chunks."""
    carry = ""
    for chunk in chunks:
        lines = io.StringIO(carry + chunk, newline="").readlines()
        carry = "" if lines[-1].endswith("\n") else lines.pop()  # a line, or a CR LF, cut by the chunk
        yield from lines
    if carry:
        yield carry


def binary(data: bytes | BinaryIO) -> BinaryIO:
    return io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data


def _check_header(header: list[str]) -> None:
    """Every column once, the required ones present, no unknown ones (row 1 is the header)."""
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        raise FileRejected(
            [error(1, c, _("The column %(column)s appears more than once.") % {"column": c}) for c in repeated]
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise FileRejected(
            [
                error(
                    1,
                    c,
                    _("The required column %(column)s is missing. The header must contain %(required)s.")
                    % {"column": c, "required": ", ".join(REQUIRED_COLUMNS)},
                )
                for c in missing
            ]
        )
    unknown = [c for c in header if c not in CANONICAL_COLUMNS]
    if unknown:
        raise FileRejected(
            [
                error(
                    1,
                    c,
                    _("Unknown column %(column)s. Known columns: %(known)s.")
                    % {"column": c, "known": ", ".join(CANONICAL_COLUMNS)},
                )
                for c in unknown
            ]
        )


def apply_layout(header: list[str], layout: dict[str, str] | None) -> list[str]:
    """The header in canonical columns: with a layout (file column → canonical column), each
    file column renamed, and the ones it does not map ignored (""); then checked."""
    if layout is None:
        _check_header(header)
        return header
    mapped = [layout.get(column, "") for column in header]
    _check_header([column for column in mapped if column])
    return mapped


def read_csv(
    data: bytes | BinaryIO,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    layout: dict[str, str] | None = None,
) -> CsvRows:
    """Rows of the canonical CSV as (row number, {column: text}); the header is row 1. `data` is the
    file's bytes or a binary file open for reading, read as it goes (never whole into memory).
    Another layout's columns are renamed by `layout` (file column, lower case → canonical column).
    import_rows reads what this returns in blocks of columns instead (samverkan/flow/columnar.py)
    when it can."""
    return CsvRows(data, encoding=encoding, delimiter=delimiter, layout=layout)


class CsvRows:
    """A CSV file's rows: iterated, (row number, row) one at a time (the per-row reader); or, for
    import_rows, in blocks of columns (columnar.read_blocks), falling back to the rows one at a time
    from the start (`rewind`) when the file needs the per-row reader. Only a file that can be read
    again from where it started (bytes, a seekable file) is read in blocks."""

    def __init__(
        self, data: bytes | BinaryIO, *, encoding: str | None, delimiter: str | None, layout: dict[str, str] | None
    ):
        self.stream = binary(data)
        self.options: dict[str, Any] = {"encoding": encoding, "delimiter": delimiter, "layout": layout}
        self._rows: Iterator[tuple[int, Row]] | None = None
        self._blocks: Generator[columnar.Block] | None = None
        try:
            self.start: int | None = self.stream.tell() if self.stream.seekable() else None
        except (AttributeError, OSError, ValueError):
            self.start = None

    def __iter__(self) -> Iterator[tuple[int, Row]]:
        return self

    def __next__(self) -> tuple[int, Row]:
        if self._rows is None:
            self._rows = _csv_rows(self.stream, **self.options)
        return next(self._rows)

    @property
    def in_blocks(self) -> bool:
        """Whether the blocks can be read (and the rows after them, from the start, if need be)."""
        return self.start is not None and self._rows is None and COLUMNAR

    def blocks(self) -> Iterator[columnar.Block]:
        """The rows in blocks of columns (columnar.read_blocks); NotColumnar for a file that the
        per-row reader must read (and so also for one it refuses: it says why)."""
        self._blocks = self._read_blocks()
        return self._blocks

    def _read_blocks(self) -> Generator[columnar.Block]:
        try:
            first, rest = columnar.first_line(decoded_text(self.stream, self.options["encoding"]))
            if not first.strip() or '"' in first:
                raise columnar.NotColumnar("header")
            delimiter = self.options["delimiter"]
            if delimiter is None:
                delimiter = ";" if first.count(";") > first.count(",") else ","
            header = [h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter))]
            if len(header) < 2:
                raise columnar.NotColumnar("one column")
            header = apply_layout(header, self.options["layout"])
            yield from columnar.read_blocks(rest, delimiter=delimiter, header=header, columns=CANONICAL_COLUMNS)
        except FileRejected:
            raise columnar.NotColumnar("refused") from None

    def rewind(self) -> None:
        """Back to where the file started, for the per-row reader: the blocks' reading closed
        first (pyarrow reads ahead in a thread of its own; see columnar._Utf8.stop)."""
        assert self.start is not None  # noqa: S101 - only a columnar reading is rewound
        if self._blocks is not None:
            self._blocks.close()
        self.stream.seek(self.start)


COLUMNAR = True  # read CSV files in blocks of columns where they allow it (tests compare both readers)


def _csv_rows(
    data: bytes | BinaryIO,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    layout: dict[str, str] | None = None,
) -> Iterator[tuple[int, Row]]:
    """The per-row reader: see read_csv."""
    chunks = decoded_text(binary(data), encoding)
    head = []  # the text up to the first that is not white space
    for chunk in chunks:
        head.append(chunk)
        if not chunk.isspace():
            break
    if not "".join(head).strip():
        raise FileRejected([error(None, None, _("The file is empty."))])
    lines = _lines(itertools.chain(head, chunks))
    first_line = next(lines)
    if delimiter is None:
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(itertools.chain([first_line], lines), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    if len(header) == 1 and ("," in header[0] or ";" in header[0]):
        raise FileRejected(
            [
                error(
                    1,
                    None,
                    _("The header has one column only: is the delimiter '%(delimiter)s' right?")
                    % {"delimiter": delimiter},
                )
            ]
        )
    header = apply_layout(header, layout)
    strip = str.strip
    yield from data_rows(header, (list(map(strip, values)) for values in reader))


def data_rows(header: list[str], lines: Iterable[list[str]]) -> Iterator[tuple[int, Row]]:
    """(row number, {column: text}) for each non-empty line after the header (row 1)."""
    count = 0
    for number, values in enumerate(lines, start=2):
        if not any(values):  # a blank line, or one with only delimiters
            continue
        count += 1
        if count > MAX_ROWS:
            raise FileRejected(
                [error(number, None, _("The file has more than %(rows)s rows; split it.") % {"rows": f"{MAX_ROWS:,}"})]
            )
        if len(values) != len(header):
            message = _("has %(fields)s fields, the header %(header)s (a truncated or broken line?)") % {
                "fields": len(values),
                "header": len(header),
            }
            yield number, UnreadRow((RowError(number, None, message),))
            continue
        yield number, dict(zip(header, values, strict=False))  # the lengths were compared above
    if count == 0:
        raise FileRejected([error(None, None, _("The file has a header but no rows."))])


def cell_text(value) -> str:
    """An Excel cell as the text the CSV would hold (times in ISO 8601, whole numbers without .0)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class ImportResult:
    run: ImportRun
    errors: list[RowError] = field(default_factory=list)
    total_errors: int = 0

    @property
    def ok(self) -> bool:
        return self.run.status == ImportStatus.DONE


BATCH_ROWS = 5000  # rows validated, staged and reported to `progress` at a time


def new_run(*, source: Source, by: Principal, filename: str = "", file_format: str = "csv") -> ImportRun:
    """An import not yet saved: import_rows saves it when it ends."""
    return ImportRun(
        source=source,
        imported_by=by if isinstance(by, User) else None,
        imported_via=f"{by.name} ({by.prefix})" if isinstance(by, ApiKey) else "",
        filename=filename[:255],
        file_format=file_format,
    )


def import_rows(
    *,
    source: Source,
    rows: Iterable[tuple[int, Row]],
    by: Principal,
    filename: str = "",
    file_format: str = "csv",
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    run: ImportRun | None = None,
) -> ImportResult:
    """Validate every row, then (unless any row failed, or dry_run) create or update episodes.

    Streams: rows are validated and staged a batch at a time, never all held in memory. On
    PostgreSQL the valid rows are copied into a temporary table and upserted set-based at the
    end; elsewhere they are upserted a batch at a time (keeping the source ids seen, to find
    duplicates). Both run in one transaction (a savepoint inside the caller's) that is rolled
    back when any row failed, so a file imports completely or not at all. `progress`, if given,
    is called with the number of rows read so far after every batch of BATCH_ROWS rows and once
    at the end. `run` is an import already recorded (e.g. queued for the background) or made by
    `new_run`, to fill in and save instead of a new one. A finished import is audited
    (flow.import_done), a refused one too (flow.import_rejected, with its count of errors)."""

    if run is None:
        run = new_run(source=source, by=by, filename=filename, file_format=file_format)
    if isinstance(rows, CsvRows) and rows.in_blocks:
        try:
            return _import_rows(
                source=source, rows=rows, by=by, dry_run=dry_run, progress=progress, run=run, blocks=True
            )
        except columnar.NotColumnar:
            rows.rewind()  # everything the blocks wrote was rolled back with their savepoint
            run.rows = run.skipped = run.created = run.updated = run.unchanged = 0
    return _import_rows(source=source, rows=rows, by=by, dry_run=dry_run, progress=progress, run=run, blocks=False)


def _import_rows(
    *,
    source: Source,
    rows: Iterable[tuple[int, Row]],
    by: Principal,
    dry_run: bool,
    progress: Callable[[int], None] | None,
    run: ImportRun,
    blocks: bool,
) -> ImportResult:
    """import_rows, reading `rows` one at a time, or (`blocks`, a CsvRows) in blocks of columns."""
    now = timezone.now()
    lookups = Lookups.for_source(source)
    errors: list[RowError] = []
    total_errors = 0
    entry_paths: dict[int, str] = {}  # FHIR: the element path of each entry's source id
    region = region_of(source)
    stage_class = _PostgresStage if connection.vendor == "postgresql" else _BatchStage
    with transaction.atomic(), stage_class(run, source, by, region, now) as stage:
        batch: list[tuple[int, str, dict | None]] = []
        try:
            if blocks:
                assert isinstance(rows, CsvRows)  # noqa: S101
                prepared = columnar.Prepared.of(lookups, now)
                for block in rows.blocks():
                    # Validated whole (pyarrow's calls cost the same for 100 rows as for 10 000),
                    # staged and reported BATCH_ROWS rows at a time, as the rows one by one are.
                    clean, values = columnar.validate_block(block.columns, prepared, now)
                    for start in range(0, block.length, BATCH_ROWS):
                        read_before = run.rows
                        part = clean[start : start + BATCH_ROWS]
                        others = np.flatnonzero(~part) + start
                        checked: list[tuple[int, str, dict | None]] = []
                        for index, values_of in zip(
                            others, columnar.rows_of(block, others, CANONICAL_COLUMNS), strict=True
                        ):
                            if values_of is None:
                                continue  # every field empty: skipped, as read_csv skips it
                            number = block.first_number + int(index)
                            data, row_errors = validate_row(number, values_of, lookups, now)
                            if row_errors:
                                total_errors += len(row_errors)
                                if len(errors) < MAX_ERRORS_KEPT:
                                    errors.extend(row_errors[: MAX_ERRORS_KEPT - len(errors)])
                            record = data["source_id"] if data is not None else values_of["source_id"]
                            checked.append((number, record, data))
                        fast = np.flatnonzero(part) + start
                        run.rows += len(fast) + len(checked)
                        if run.rows > MAX_ROWS:
                            raise columnar.NotColumnar("too many rows")  # the per-row reader says where
                        table = columnar.typed_table(values, fast)
                        numbers = (fast + block.first_number).astype(np.int64)
                        stage.add_block(numbers, table, checked, ok=not total_errors)
                        if progress is not None:
                            for done in range(read_before // BATCH_ROWS + 1, run.rows // BATCH_ROWS + 1):
                                stage.pause()  # the callback may write: the connection free
                                progress(done * BATCH_ROWS)
                if not run.rows:
                    raise columnar.NotColumnar("no rows")  # the per-row reader says so
            for number, row in rows if not blocks else ():
                if type(row) is SkippedRow:
                    run.skipped += 1
                    continue
                run.rows += 1
                if type(row) is dict:
                    data, row_errors = validate_row(number, row, lookups, now)
                    record = data["source_id"] if data is not None else (row.get("source_id") or "").strip()
                elif isinstance(row, EntryRow):
                    data, row_errors = validate_row(number, row.values, lookups, now)
                    entry_paths[number] = row.paths.get("source_id", "source_id")
                    row_errors = [e.at_paths(row.paths) for e in row_errors]
                    record = data["source_id"] if data is not None else (row.values.get("source_id") or "").strip()
                else:
                    assert isinstance(row, UnreadRow), row  # noqa: S101 - a reader's bug, not the file's
                    data, row_errors, record = None, list(row.errors), ""
                if row_errors:
                    total_errors += len(row_errors)
                    if len(errors) < MAX_ERRORS_KEPT:
                        errors.extend(row_errors[: MAX_ERRORS_KEPT - len(errors)])
                batch.append((number, record, data if not total_errors else None))
                if len(batch) == BATCH_ROWS:
                    stage.add(batch, ok=not total_errors)
                    batch = []
                    if progress is not None:
                        stage.pause()
                        progress(run.rows)
            stage.add(batch, ok=not total_errors)
        except FileRejected as rejected:
            errors = rejected.errors + errors
            total_errors += len(rejected.errors)
        if progress is not None:
            stage.pause()
            progress(run.rows)
        pairs, duplicate_count = stage.duplicates(MAX_ERRORS_KEPT)
        duplicates = [_duplicate(number, first, entry_paths.get(number)) for number, first in pairs]
        if duplicate_count:
            # In row order, each after the row's other errors, as if found row by row.
            tagged = sorted(
                [((e.row or 0, 0), e) for e in errors] + [((e.row or 0, 1), e) for e in duplicates],
                key=lambda pair: pair[0],
            )
            errors = [e for _key, e in tagged[:MAX_ERRORS_KEPT]]
            total_errors += duplicate_count
        if not total_errors:
            stage.finish(write=not dry_run)
            if not dry_run:
                daily.refresh_after_import(stage.touched)
                if stage.touched:
                    episodes_changed.send(sender=Episode, source_county=source.county_id, touched=stage.touched)
        stage.close()
        if total_errors or dry_run:
            transaction.set_rollback(True)  # the staging table too, and on SQLite the batches written
        else:
            run.status = ImportStatus.DONE
            run.finished_at = timezone.now()
            run.save()
            audit_record(
                by=by,
                event_type="flow.import_done",
                obj=run,
                organisation=region,
                after={"rows": run.rows, "created": run.created, "updated": run.updated, "unchanged": run.unchanged},
            )
    if total_errors or dry_run:
        run.status = ImportStatus.REJECTED if total_errors else ImportStatus.DONE
        run.errors = as_json(errors)
        if total_errors:
            run.created = run.updated = run.unchanged = 0
        run.finished_at = timezone.now()
        if not dry_run:
            with transaction.atomic():
                run.save()
                audit_record(
                    by=by,
                    event_type="flow.import_rejected",
                    obj=run,
                    organisation=region,
                    after={"rows": run.rows, "errors": total_errors},
                )
        return ImportResult(run, errors, total_errors)
    return ImportResult(run, [], 0)


def _text(value) -> str | None:
    """A field as the audit's before/after holds it (times in UTC, as the database gives them back)."""
    if isinstance(value, datetime.datetime):
        value = value.astimezone(datetime.UTC)
    return str(value) if value is not None else None


class _Stage:
    """Where import_rows puts the rows (_BatchStage, _PostgresStage), a context: what it holds
    open while the rows come (`resources`) is closed when import_rows leaves it, on an error too.
    It tells daily.refresh_after_import what it touched: home municipality → earliest admission
    among the episodes it created or changed (before and after the change)."""

    def __init__(self) -> None:
        self.resources = contextlib.ExitStack()
        self.touched: dict[str, datetime.datetime] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.resources.__exit__(*exc_info)

    def pause(self) -> None:
        """What the stage holds open closed, so that the connection is free for other statements
        (a progress callback's); opened again as the rows come."""
        self.resources.close()

    def _touch(self, municipality: str, admitted: datetime.datetime) -> None:
        if municipality not in self.touched or admitted < self.touched[municipality]:
            self.touched[municipality] = admitted


class _BatchStage(_Stage):
    """Any database: upserts each batch of valid rows as it comes, inside import_rows' transaction
    (rolled back if a later row fails); duplicate source ids found with the ids seen so far."""

    def __init__(self, run: ImportRun, source: Source, by: Principal, region, now):
        super().__init__()
        self.run, self.source, self.by, self.region = run, source, by, region
        self.seen: dict[str, int] = {}
        self.duplicates_found: list[tuple[int, int]] = []  # (row, the row it repeats)
        self.duplicate_count = 0

    def add(self, batch: list[tuple[int, str, dict | None]], *, ok: bool) -> None:
        valid: dict[str, dict] = {}
        for number, record, data in batch:
            if not record:
                continue
            first = self.seen.setdefault(record, number)
            if first != number:
                self.duplicate_count += 1
                if len(self.duplicates_found) < MAX_ERRORS_KEPT:
                    self.duplicates_found.append((number, first))
            elif data is not None:
                valid[record] = data
        if ok and not self.duplicate_count and valid:
            self._upsert(valid)

    def duplicates(self, limit: int) -> tuple[list[tuple[int, int]], int]:
        return self.duplicates_found[:limit], self.duplicate_count

    def add_block(
        self, numbers: np.ndarray, table: pa.Table, checked: list[tuple[int, str, dict | None]], *, ok: bool
    ) -> None:
        """A block's clean rows (`table`, at row `numbers`) and its rows checked one by one, as one
        batch in row order."""
        records = table.column("source_id").to_pylist()
        if ok:
            fast = [(int(n), r, d) for n, r, d in zip(numbers.tolist(), records, table.to_pylist(), strict=True)]
        else:
            fast = [(int(n), r, None) for n, r in zip(numbers.tolist(), records, strict=True)]
        self.add(sorted(fast + checked, key=operator.itemgetter(0)), ok=ok)

    def finish(self, *, write: bool) -> None:
        """Everything was upserted batch by batch (a dry run too: import_rows rolls it back)."""

    def close(self) -> None:
        self.seen.clear()

    def _upsert(self, valid: dict[str, dict]) -> None:
        run = self.run
        _check_references(
            self.source,
            {data["home_municipality_id"] for data in valid.values()},
            {data["hospital_unit_id"] for data in valid.values()} - {None},
        )
        existing = {
            episode.record_id: episode for episode in Episode.objects.filter(source=self.source, record_id__in=valid)
        }
        to_create, to_update = [], []
        for record, data in valid.items():
            episode = existing.get(record)
            fields = {name: data[name] for name in EPISODE_FIELDS}
            if episode is None:
                to_create.append(Episode(source=self.source, record_id=record, **fields))
                self._touch(fields["home_municipality_id"], fields["admitted_at"])
                continue
            changed = {
                name: (getattr(episode, name), value)
                for name, value in fields.items()
                if getattr(episode, name) != value
            }
            if not changed:
                run.unchanged += 1
                continue
            self._touch(episode.home_municipality_id, episode.admitted_at)
            self._touch(fields["home_municipality_id"], fields["admitted_at"])
            for name, (_old, value) in changed.items():
                setattr(episode, name, value)
            episode.updated_at = timezone.now()
            to_update.append(episode)
            audit_record(
                by=self.by,
                event_type="flow.episode_updated",
                obj=episode,
                organisation=self.region,
                before={name: _text(old) for name, (old, _new) in changed.items() if name != "pseudonym"},
                after={name: _text(new) for name, (_old, new) in changed.items() if name != "pseudonym"},
            )
        run.created += len(to_create)
        run.updated += len(to_update)
        Episode.objects.bulk_create(to_create, batch_size=2000)
        if to_update:
            Episode.objects.bulk_update(to_update, [*EPISODE_FIELDS, "updated_at"], batch_size=2000)


# The staging table's columns after row_number and record_id: the episode's, in EPISODE_FIELDS order.
_STAGING_TYPES = {
    "pseudonym": "text",
    "birth_year": "integer",
    "sex": "text",
    "home_municipality_id": "text",
    "hospital_unit_id": "bigint",
    "care_type": "text",
    "covid": "boolean",
    "admitted_at": "timestamptz",
    "admission_notice_at": "timestamptz",
    "estimated_discharge_date": "date",
    "ready_at": "timestamptz",
    "sip_called_at": "timestamptz",
    "discharged_at": "timestamptz",
    "destination": "text",
    "care_contact_at": "timestamptz",
}
_STAGING = "flow_import_staging"


def _audit_text_sql(column: str, value: str) -> str:
    """SQL for a field (`column`, its value the SQL `value`) as text the way _text (Python's str)
    writes it, NULL staying NULL."""
    kind = _STAGING_TYPES[column]
    if kind == "timestamptz":
        utc = f"({value} AT TIME ZONE 'UTC')"
        return (
            f"to_char({utc}, 'YYYY-MM-DD HH24:MI:SS') || "
            f"CASE WHEN date_part('microseconds', {utc})::bigint %% 1000000 <> 0 "
            f"THEN to_char({utc}, '.US') ELSE '' END || '+00:00'"
        )
    if kind == "date":
        return f"to_char({value}, 'YYYY-MM-DD')"
    if kind == "boolean":
        return f"CASE WHEN {value} THEN 'True' WHEN NOT {value} THEN 'False' END"
    return f"{value}::text"


class _PostgresStage(_Stage):
    """PostgreSQL: the rows are copied into a temporary table as they come, in one COPY (CSV
    written by pyarrow) that stays open while the file is read, so that the server parses a block
    while the next one is validated; at the end the duplicates are found there, and the audit rows
    of the changed episodes, the upsert of the new and changed ones and their counts are one
    statement."""

    fields = list(_STAGING_TYPES)

    def __init__(self, run: ImportRun, source: Source, by: Principal, region, now):
        super().__init__()
        self.run, self.source, self.now = run, source, now
        actor = actor_fields(by)
        self.audit_values = {
            "actor": actor["actor"].pk if actor["actor"] is not None else None,
            "label": actor["actor_label"],
            "api_key": actor["api_key"].pk if actor["api_key"] is not None else None,
            "organisation": region.pk if region is not None else None,
            "request_id": current_request_id.get(),
        }
        columns = ", ".join(f"{name} {kind}" for name, kind in _STAGING_TYPES.items())
        with connection.cursor() as cursor:
            daily.use_work_memory(cursor)
            cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
            cursor.execute(f"CREATE TEMPORARY TABLE {_STAGING} (row_number integer, record_id text, {columns})")
        # Times written without their zone where the session reads such a time as UTC (Django's
        # session is UTC): pyarrow writes an aware time ten times slower.
        moment = columnar.TYPES["admitted_at"] if connection.timezone_name != "UTC" else pa.timestamp("us")
        self.schema = pa.schema(
            [
                ("row_number", pa.int64()),
                ("record_id", pa.string()),
                *((name, moment if name in columnar.TIMESTAMPS else columnar.TYPES[name]) for name in self.fields),
            ]
        )
        self.copy: Any = None  # the COPY into the staging table, while the rows come
        self.staged = 0  # rows in the staging table
        # The municipalities and units the staged rows name (for _check_references).
        self.named: dict[str, set] = {"home_municipality_id": set(), "hospital_unit_id": set()}

    def add(self, batch: list[tuple[int, str, dict | None]], *, ok: bool) -> None:
        """Every row with a source id (for the duplicates); its fields while all rows were valid."""
        rows = [(number, record, data if ok else None) for number, record, data in batch if record]
        if not rows:
            return
        columns = {
            "row_number": [number for number, _record, _data in rows],
            "record_id": [record for _number, record, _data in rows],
            **{
                name: [data[name] if data is not None else None for _number, _record, data in rows]
                for name in self.fields
            },
        }
        kinds = {name: columnar.TYPES.get(name, self.schema.field(name).type) for name in columns}
        self._copy_in(pa.table({name: pa.array(values, kinds[name]) for name, values in columns.items()}))

    def add_block(
        self, numbers: np.ndarray, table: pa.Table, checked: list[tuple[int, str, dict | None]], *, ok: bool
    ) -> None:
        """A block's clean rows (`table`, at row `numbers`; only their row numbers and source ids
        once a row has failed), then the rows checked one by one."""
        if table.num_rows:
            length = table.num_rows
            self._copy_in(
                pa.table(
                    {
                        "row_number": pa.array(numbers, pa.int64()),
                        "record_id": table.column("source_id"),
                        **{
                            name: table.column(name) if ok else pa.nulls(length, columnar.TYPES[name])
                            for name in self.fields
                        },
                    }
                )
            )
        self.add(checked, ok=ok)

    def _copy_in(self, table: pa.Table) -> None:
        if self.copy is None:
            cursor = self.resources.enter_context(connection.cursor())
            columns = ", ".join(self.schema.names)
            self.copy = self.resources.enter_context(
                cursor.copy(f"COPY {_STAGING} ({columns}) FROM STDIN (FORMAT csv)")
            )
        out = io.BytesIO()
        pcsv.write_csv(table.cast(self.schema), out, write_options=pcsv.WriteOptions(include_header=False))
        self.copy.write(out.getbuffer())
        self.staged += table.num_rows
        for column, named in self.named.items():
            named.update(pc.drop_null(pc.unique(table.column(column))).to_pylist())

    def pause(self) -> None:
        """The COPY ended: every row so far is in the staging table."""
        super().pause()
        self.copy = None

    def duplicates(self, limit: int) -> tuple[list[tuple[int, int]], int]:
        self.pause()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH later AS (
                    SELECT row_number, min(row_number) OVER (PARTITION BY record_id) AS first_row FROM {_STAGING}
                )
                SELECT row_number, first_row, count(*) OVER () FROM later
                WHERE row_number > first_row ORDER BY row_number LIMIT %s
                """,  # noqa: S608 - constant table and column names
                [limit],
            )
            found = cursor.fetchall()
        return [(number, first) for number, first, _n in found], (found[0][2] if found else 0)

    def _distinct(self, old: str, new: str) -> str:
        return f"({', '.join(old.format(f) for f in self.fields)}) IS DISTINCT FROM ({', '.join(new.format(f) for f in self.fields)})"

    def finish(self, *, write: bool) -> None:
        run = self.run
        matches = "e.source_id = %(source)s AND e.record_id = s.record_id"
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_STAGING}")
            valid = self.staged
            if not write:
                cursor.execute(
                    f"""
                    SELECT count(*) FILTER (WHERE e.id IS NULL),
                           count(*) FILTER (WHERE e.id IS NOT NULL AND {self._distinct("e.{}", "s.{}")})
                    FROM {_STAGING} s LEFT JOIN flow_episode e ON {matches}
                    """,  # noqa: S608 - constant table and column names
                    {"source": self.source.pk},
                )
                run.created, run.updated = cursor.fetchone()
                run.unchanged = valid - run.created - run.updated
                return
            self._check_references(cursor)
            audited = [f for f in self.fields if f != "pseudonym"]
            before, after = (
                " || ".join(
                    f"CASE WHEN c.old_{f} IS DISTINCT FROM c.{f} "
                    f"THEN jsonb_build_object('{f}', {_audit_text_sql(f, value.format(f))}) ELSE '{{}}'::jsonb END"
                    for f in audited
                )
                for value in ("c.old_{}", "c.{}")
            )
            columns = ", ".join(self.fields)
            # One join of the staging table with the episodes finds the new and changed ones
            # (`changed`, with the old values of the changed); from it the changed ones' audit rows
            # and the upsert, in one statement (which sees the episodes as they were before it).
            # Only those are offered to the upsert: an unchanged episode is not even locked (ON
            # CONFLICT DO UPDATE locks every row it meets, WHERE or not, which dirties every page of
            # an unchanged re-import); ON CONFLICT stays for an episode another import adds
            # meanwhile. Returned: for daily.refresh_after_import, the home municipalities the
            # episodes belonged to before the change and where they belong now, from their earliest
            # admission; and how many were updated ('before') and written ('after').
            with self._secondary_indexes_built_after(cursor, valid):
                cursor.execute(
                    f"""
                WITH changed AS (
                    SELECT s.record_id, {", ".join(f"s.{f}" for f in self.fields)}, e.id AS episode_id,
                        {", ".join(f"e.{f} AS old_{f}" for f in self.fields)}
                    FROM {_STAGING} s LEFT JOIN flow_episode e ON {matches}
                    WHERE e.id IS NULL OR {self._distinct("e.{}", "s.{}")}
                ), audited AS (
                    INSERT INTO audit_auditevent (occurred_at, actor_id, actor_label, api_key_id, organisation_id,
                        event_type, object_type, object_id, before, after, request_id)
                    SELECT %(now)s, %(actor)s, %(label)s, %(api_key)s, %(organisation)s,
                        'flow.episode_updated', 'flow.episode', c.episode_id::text, {before}, {after}, %(request_id)s
                    FROM changed c WHERE c.episode_id IS NOT NULL
                ), written AS (
                    INSERT INTO flow_episode (source_id, record_id, {columns}, updated_at)
                    SELECT %(source)s, c.record_id, {", ".join(f"c.{f}" for f in self.fields)}, %(now)s
                    FROM changed c
                    ON CONFLICT (source_id, record_id) DO UPDATE
                    SET {", ".join(f"{f} = EXCLUDED.{f}" for f in self.fields)}, updated_at = EXCLUDED.updated_at
                    WHERE {self._distinct("flow_episode.{}", "EXCLUDED.{}")}
                    RETURNING home_municipality_id, admitted_at
                )
                SELECT 'before', old_home_municipality_id, min(old_admitted_at), count(*)
                FROM changed WHERE episode_id IS NOT NULL GROUP BY 2
                UNION ALL
                SELECT 'after', home_municipality_id, min(admitted_at), count(*) FROM written GROUP BY 2
                """,  # noqa: S608 - constant table and column names
                    {"now": timezone.now(), "source": self.source.pk, **self.audit_values},
                )
                found = cursor.fetchall()
            counts = {"before": 0, "after": 0}
            for when, municipality, admitted, count in found:
                self._touch(municipality, admitted)
                counts[when] += count
            run.updated = counts["before"]
            run.created = counts["after"] - run.updated
            run.unchanged = valid - run.created - run.updated

    @contextlib.contextmanager
    def _secondary_indexes_built_after(self, cursor, rows: int) -> Iterator[None]:
        """For a load of at least INDEXES_AFTER_ROWS rows into a flow_episode smaller than itself (a
        county's first import on a new system): the table's secondary indexes (not its primary key
        nor the unique one, which the upsert needs) dropped before it and built again after it, a
        sort each instead of a million inserts at random places (docs/decisions/columnar-import.md).
        Dropping an index locks the table until the import commits; a rollback brings it back."""
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'flow_episode'::regclass")
        if rows < INDEXES_AFTER_ROWS or rows <= cursor.fetchone()[0]:
            yield
            return
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = 'flow_episode'::regclass AND NOT indisunique AND NOT indisprimary"
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        yield
        for _name, definition in indexes:
            cursor.execute(definition)

    def _check_references(self, cursor) -> None:
        """The municipalities, units and source the staged episodes name (`named`, gathered as they
        were copied) exist, and stay until the import commits (locked FOR KEY SHARE, as the
        constraints' triggers lock them): a query per table for the few values named, instead of
        a trigger per episode (flow_episode has no foreign-key constraints)."""
        for model, column in ((Municipality, "home_municipality_id"), (Unit, "hospital_unit_id")):
            table, key = model._meta.db_table, model._meta.pk.column
            named = self.named[column]
            cursor.execute(f"SELECT {key} FROM {table} WHERE {key} = ANY(%s) FOR KEY SHARE", [sorted(named)])  # noqa: S608 - constant names
            missing = named - {found for (found,) in cursor.fetchall()}
            if missing:
                raise _missing(column, sorted(str(value) for value in missing)[:10])
        cursor.execute(f"SELECT 1 FROM {Source._meta.db_table} WHERE id = %s FOR KEY SHARE", [self.source.pk])  # noqa: S608
        if cursor.fetchone() is None:
            raise _missing("source_id", [str(self.source.pk)])

    def close(self) -> None:
        self.pause()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")


def _missing(column: str, values: list[str]) -> IntegrityError:
    """What a foreign-key constraint would have raised: episodes naming rows that do not exist."""
    return IntegrityError(f"flow_episode.{column} names rows that do not exist: {', '.join(values)}")


def _check_references(source: Source, municipalities: set[str], units: set[int]) -> None:
    """The batch stage's check of what _PostgresStage._check_references checks (SQLite has a
    single writer: nothing to lock)."""
    missing_municipalities = municipalities - set(
        Municipality.objects.filter(code__in=municipalities).values_list("code", flat=True)
    )
    if missing_municipalities:
        raise _missing("home_municipality_id", sorted(missing_municipalities)[:10])
    missing_units = units - set(Unit.objects.filter(pk__in=units).values_list("pk", flat=True))
    if missing_units:
        raise _missing("hospital_unit_id", [str(u) for u in sorted(missing_units)[:10]])
    if not Source.objects.filter(pk=source.pk).exists():
        raise _missing("source_id", [str(source.pk)])


def region_of(source: Source) -> Organisation | None:
    return Organisation.objects.filter(county_id=source.county_id, kind=OrganisationKind.REGION).first()


def source_for(county_code: str, name: str) -> Source:
    """The county's source with this name, created on first use."""
    return Source.objects.get_or_create(county_id=county_code, name=name)[0]
