"""Importing episodes: parse, validate every row (collecting every error with its row and
column), then upsert on (source, source id) all or nothing.

How to add an import format: write a reader that yields (row number, {column: text}) in the
canonical columns (see CANONICAL_COLUMNS) and pass it to `import_rows`; the validation, the
pseudonymisation, the upsert and the audit are shared. A reader whose rows are not lines with
columns (FHIR: bundle entries with element paths, samverkan/flow/fhir.py) puts two more keys in a
row: "__paths__" ({column: element path}), so that the row's errors say "entry N, PATH" instead of
"row N, column NAME", and "__errors__" (errors it found itself, e.g. an entry that is not valid
FHIR), which stand for the row instead of its validation."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from samverkan.audit.services import audit_record
from samverkan.capacity.schedule import LOCAL
from samverkan.flow.models import (
    CareType,
    Destination,
    DestinationMapping,
    Episode,
    ImportRun,
    ImportStatus,
    Sex,
    Source,
    UnitMapping,
)
from samverkan.flow.pseudonyms import InvalidPersonnummer, pseudonym
from samverkan.organisations.models import Municipality, Organisation, OrganisationKind

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
]
REQUIRED_COLUMNS = ["source_id", "home_municipality", "care_type", "admitted_at"]
TIMESTAMPS = ["admitted_at", "admission_notice_at", "ready_at", "sip_called_at", "discharged_at"]
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
]
MAX_ROWS = 2_000_000
MAX_ERRORS_KEPT = 1000
PROGRESS_EVERY = 5000  # rows between calls of import_rows' progress callback
FUTURE_TOLERANCE = datetime.timedelta(hours=24)


class FileRejected(Exception):
    """The file cannot be read at all (encoding, delimiter, header). Nothing was imported."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


# Anything shaped like a personnummer, in a value an error message quotes (e.g. a number in the
# wrong column): never stored or shown.
_PERSONNUMMER_LIKE = re.compile(r"(?<!\d)(\d{2})?\d{6}[-+ ]?\d{4}(?!\d)")


def error(row: int | None, column: str | None, message: str, *, kind: str = "row") -> dict:
    """An error at a row and column, or (kind "entry") at a FHIR bundle entry and element path."""
    found = {"row": row, "column": column, "message": _PERSONNUMMER_LIKE.sub("…", message)}
    if kind != "row":
        found["kind"] = kind
    return found


def format_error(e: dict) -> str:
    """'row N, column NAME: message', or 'entry N, Encounter.period.end: message'."""
    where = []
    by_entry = e.get("kind") == "entry"
    if e.get("row") is not None:
        where.append(f"{'entry' if by_entry else 'row'} {e['row']}")
    if e.get("column"):
        where.append(e["column"] if by_entry else f"column {e['column']}")
    return f"{', '.join(where)}: {e['message']}" if where else e["message"]


def _at_paths(errors: list[dict], paths: dict[str, str]) -> list[dict]:
    """Errors named by canonical column, renamed to the reader's element paths (entry kind)."""
    return [{**e, "column": paths.get(e["column"], e["column"]), "kind": "entry"} for e in errors]


def _decode(data: bytes, encoding: str | None) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise FileRejected(
                [error(None, None, f"The file is not valid {encoding}. Save it as UTF-8 and try again.")]
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # Excel's Swedish default; five bytes are undefined in it
    except UnicodeDecodeError:
        raise FileRejected(
            [
                error(
                    None, None, "The file is neither UTF-8 nor Windows-1252 text. Save it as CSV (UTF-8) and try again."
                )
            ]
        ) from None


def _check_header(header: list[str]) -> None:
    """Every column once, the required ones present, no unknown ones (row 1 is the header)."""
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        raise FileRejected([error(1, c, f"The column {c} appears more than once.") for c in repeated])
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise FileRejected(
            [
                error(
                    1, c, f"The required column {c} is missing. The header must contain {', '.join(REQUIRED_COLUMNS)}."
                )
                for c in missing
            ]
        )
    unknown = [c for c in header if c not in CANONICAL_COLUMNS]
    if unknown:
        raise FileRejected(
            [error(1, c, f"Unknown column {c}. Known columns: {', '.join(CANONICAL_COLUMNS)}.") for c in unknown]
        )


def _apply_layout(header: list[str], layout: dict[str, str] | None) -> list[str]:
    """The header in canonical columns: with a layout (file column → canonical column), each
    file column renamed, and the ones it does not map ignored (""); then checked."""
    if layout is None:
        _check_header(header)
        return header
    mapped = [layout.get(column, "") for column in header]
    _check_header([column for column in mapped if column])
    return mapped


def read_csv(
    data: bytes,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    layout: dict[str, str] | None = None,
) -> Iterator[tuple[int, dict]]:
    """Rows of the canonical CSV as (row number, {column: text}); the header is row 1. Another
    layout's columns are renamed by `layout` (file column, lower case → canonical column)."""
    if not data.strip():
        raise FileRejected([error(None, None, "The file is empty.")])
    text = _decode(data, encoding)
    if not text.strip():
        raise FileRejected([error(None, None, "The file is empty.")])
    if "\x00" in text:
        raise FileRejected([error(None, None, "The file contains NUL characters: is it a CSV text file?")])
    first_line = text.splitlines()[0] if text else ""
    if delimiter is None:
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    if len(header) == 1 and ("," in header[0] or ";" in header[0]):
        raise FileRejected([error(1, None, f"The header has one column only: is the delimiter '{delimiter}' right?")])
    header = _apply_layout(header, layout)
    yield from _data_rows(header, ([v.strip() for v in values] for values in reader))


def _data_rows(header: list[str], lines) -> Iterator[tuple[int, dict]]:
    """(row number, {column: text}) for each non-empty line after the header (row 1)."""
    count = 0
    for number, values in enumerate(lines, start=2):
        if not values or all(not v for v in values):
            continue
        count += 1
        if count > MAX_ROWS:
            raise FileRejected([error(number, None, f"The file has more than {MAX_ROWS:,} rows; split it.")])
        if len(values) != len(header):
            yield (
                number,
                {"__fields__": f"has {len(values)} fields, the header {len(header)} (a truncated or broken line?)"},
            )
            continue
        yield number, dict(zip(header, values, strict=True))
    if count == 0:
        raise FileRejected([error(None, None, "The file has a header but no rows.")])


def _cell_text(value) -> str:
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


def read_xlsx(
    data: bytes, *, sheet: str | None = None, layout: dict[str, str] | None = None
) -> Iterator[tuple[int, dict]]:
    """Rows of an Excel workbook whose sheet (the first, or `sheet`) has the canonical header in
    row 1, or another layout's header renamed by `layout` (as in `read_csv`)."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError):
        raise FileRejected([error(None, None, "The file is not an Excel workbook (.xlsx).")]) from None
    if sheet is not None and sheet not in workbook.sheetnames:
        raise FileRejected(
            [error(None, None, f"The workbook has no sheet {sheet!r}; it has: {', '.join(workbook.sheetnames)}.")]
        )
    rows = workbook[sheet].iter_rows(values_only=True) if sheet else workbook.worksheets[0].iter_rows(values_only=True)
    first = next(rows, None)
    if first is None:
        raise FileRejected([error(None, None, "The sheet is empty.")])
    header = [_cell_text(c).lower() for c in first]
    while header and not header[-1]:
        header.pop()
    header = _apply_layout(header, layout)
    width = len(header)
    yield from _data_rows(
        header, ([_cell_text(c) for c in row[:width]] + [""] * (width - len(row[:width])) for row in rows)
    )


@dataclass
class Lookups:
    source: Source
    municipalities: set[str]
    units: dict[str, int]
    destinations: dict[str, str]

    @classmethod
    def for_source(cls, source: Source) -> Lookups:
        return cls(
            source=source,
            municipalities=set(Municipality.objects.values_list("code", flat=True)),
            units=dict(UnitMapping.objects.filter(source=source).values_list("code", "unit_id")),
            destinations=dict(DestinationMapping.objects.filter(source=source).values_list("code", "destination")),
        )


def _timestamp(text: str) -> datetime.datetime:
    value = parse_datetime(text.replace(" ", "T", 1) if "T" not in text and " " in text else text)
    if value is None:
        date = parse_date(text)
        if date is None:
            raise ValueError("not an ISO 8601 time (e.g. 2026-03-04T08:15)")
        value = datetime.datetime.combine(date, datetime.time(0))
    if timezone.is_naive(value):
        value = value.replace(tzinfo=LOCAL)
    # In UTC, as the database gives it back: a local time in the hour the clocks skip or repeat never
    # compares equal to another zone's (PEP 495), so it would count as changed on every re-import.
    return value.astimezone(datetime.UTC)


def validate_row(number: int, row: dict, lookups: Lookups, now: datetime.datetime) -> tuple[dict | None, list[dict]]:
    """The episode's fields, or the row's errors (every one of them)."""
    if "__fields__" in row:
        return None, [error(number, None, row["__fields__"])]
    if "__errors__" in row:
        return None, list(row["__errors__"])
    errors: list[dict] = []
    out: dict = {}

    def text(column: str) -> str:
        return (row.get(column) or "").strip()

    source_id = text("source_id")
    if not source_id:
        errors.append(error(number, "source_id", "Required."))
    elif len(source_id) > 64:
        errors.append(error(number, "source_id", "At most 64 characters."))
    out["source_id"] = source_id
    personnummer = text("personnummer")
    out["pseudonym"] = ""
    if personnummer:
        try:
            out["pseudonym"] = pseudonym(personnummer)
        except InvalidPersonnummer as invalid:
            errors.append(error(number, "personnummer", f"Not a valid personnummer ({invalid})."))
    birth_year = text("birth_year")
    out["birth_year"] = None
    if birth_year:
        if not birth_year.isdigit() or not 1890 <= int(birth_year) <= now.year:
            errors.append(error(number, "birth_year", f"{birth_year!r} is not a plausible birth year."))
        else:
            out["birth_year"] = int(birth_year)
    sex = text("sex").upper() or Sex.UNKNOWN
    if sex not in Sex.values:
        errors.append(error(number, "sex", f"Use F, M or U, not {text('sex')!r}."))
    out["sex"] = sex
    municipality = (
        text("home_municipality").zfill(4) if text("home_municipality").isdigit() else text("home_municipality")
    )
    if not municipality:
        errors.append(error(number, "home_municipality", "Required: the four-digit SCB municipality code."))
    elif municipality not in lookups.municipalities:
        errors.append(error(number, "home_municipality", f"Unknown municipality code {municipality!r}."))
    out["home_municipality_id"] = municipality
    unit_code = text("hospital_unit")
    out["hospital_unit_id"] = None
    if unit_code:
        if unit_code not in lookups.units:
            errors.append(
                error(
                    number, "hospital_unit", f"Unknown unit code {unit_code!r} for {lookups.source.name}; map it first."
                )
            )
        else:
            out["hospital_unit_id"] = lookups.units[unit_code]
    care_type = text("care_type").lower()
    if care_type not in CareType.values:
        errors.append(error(number, "care_type", f"Use somatic or psychiatric, not {text('care_type')!r}."))
    out["care_type"] = care_type
    covid = text("covid").lower()
    if covid not in {"", "0", "1", "true", "false"}:
        errors.append(error(number, "covid", f"Use 0, 1, true or false, not {text('covid')!r}."))
    out["covid"] = covid in {"1", "true"}
    for column in TIMESTAMPS:
        value = text(column)
        out[column] = None
        if not value:
            if column == "admitted_at":
                errors.append(error(number, column, "Required."))
            continue
        try:
            moment = _timestamp(value)
        except ValueError as bad:
            errors.append(
                error(
                    number, column, f"{value!r} is {bad}." if "ISO" in str(bad) else f"{value!r} is not a valid time."
                )
            )
            continue
        if moment > now + FUTURE_TOLERANCE:
            errors.append(error(number, column, "The time is in the future."))
        out[column] = moment
    estimated = text("estimated_discharge_date")
    out["estimated_discharge_date"] = None
    if estimated:
        parsed = parse_date(estimated) if len(estimated) == 10 else None
        if parsed is None:
            errors.append(error(number, "estimated_discharge_date", f"{estimated!r} is not a date (YYYY-MM-DD)."))
        out["estimated_discharge_date"] = parsed
    admitted, ready, discharged = out["admitted_at"], out["ready_at"], out["discharged_at"]
    if admitted and discharged and discharged < admitted:
        errors.append(error(number, "discharged_at", "Discharge is before admission."))
    if admitted and ready and ready < admitted:
        errors.append(error(number, "ready_at", "The ready-for-discharge notice is before admission."))
    if ready and discharged and discharged < ready:
        errors.append(error(number, "discharged_at", "Discharge is before the ready-for-discharge notice."))
    destination = text("destination")
    out["destination"] = ""
    if destination:
        mapped = destination if destination in Destination.values else lookups.destinations.get(destination)
        if mapped is None:
            errors.append(
                error(
                    number,
                    "destination",
                    f"Unknown destination {destination!r}: use {', '.join(Destination.values)} or map the code.",
                )
            )
        out["destination"] = mapped or ""
    return (None if errors else out), errors


@dataclass
class ImportResult:
    run: ImportRun
    errors: list[dict] = field(default_factory=list)
    total_errors: int = 0

    @property
    def ok(self) -> bool:
        return self.run.status == ImportStatus.DONE


def import_rows(
    *,
    source: Source,
    rows: Iterable[tuple[int, dict]],
    by,
    filename: str = "",
    file_format: str = "csv",
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    run: ImportRun | None = None,
) -> ImportResult:
    """Validate every row, then (unless any row failed, or dry_run) create or update episodes.

    `progress` is called with the number of rows read so far every PROGRESS_EVERY rows and once
    at the end. `run` is an import already recorded (e.g. queued for the background) to fill in
    and save instead of a new one."""
    from samverkan.accounts.models import ApiKey, User

    if run is None:
        run = ImportRun(
            source=source,
            imported_by=by if isinstance(by, User) else None,
            imported_via=f"{by.name} ({by.prefix})" if isinstance(by, ApiKey) else "",
            filename=filename[:255],
            file_format=file_format,
        )
    now = timezone.now()
    lookups = Lookups.for_source(source)
    valid: dict[str, dict] = {}
    errors: list[dict] = []
    total_errors = 0
    seen: dict[str, int] = {}
    try:
        for number, row in rows:
            run.rows += 1
            if progress is not None and run.rows % PROGRESS_EVERY == 0:
                progress(run.rows)
            data, row_errors = validate_row(number, row, lookups, now)
            record = (row.get("source_id") or "").strip()
            if record and record in seen:
                where = "entry" if "__paths__" in row else "row"
                row_errors.append(error(number, "source_id", f"Duplicate source id: also on {where} {seen[record]}."))
                data = None
            elif record:
                seen[record] = number
            if "__paths__" in row:
                row_errors = _at_paths(row_errors, row["__paths__"])
            total_errors += len(row_errors)
            if len(errors) < MAX_ERRORS_KEPT:
                errors.extend(row_errors[: MAX_ERRORS_KEPT - len(errors)])
            if data is not None and total_errors == 0:
                valid[data.pop("source_id")] = data
    except FileRejected as rejected:
        errors = rejected.errors + errors
        total_errors += len(rejected.errors)
    if progress is not None:
        progress(run.rows)
    if total_errors or dry_run:
        run.status = ImportStatus.REJECTED if total_errors else ImportStatus.DONE
        run.errors = errors
        if dry_run and not total_errors:
            _upsert(run, source, valid, by, write=False)  # only counts what would be new or updated
        run.finished_at = timezone.now()
        if not dry_run:
            run.save()
        return ImportResult(run, errors, total_errors)
    with transaction.atomic():
        run.save()
        _upsert(run, source, valid, by)
        run.status = ImportStatus.DONE
        run.finished_at = timezone.now()
        run.save()
        audit_record(
            actor=by,
            event_type="flow.import_done",
            obj=run,
            organisation=_region_of(source),
            after={"rows": run.rows, "created": run.created, "updated": run.updated, "unchanged": run.unchanged},
        )
    return ImportResult(run, [], 0)


def _upsert(run: ImportRun, source: Source, valid: dict[str, dict], by, *, write: bool = True) -> None:
    region = _region_of(source)
    existing = {}
    ids = list(valid)
    for start in range(0, len(ids), 5000):
        for episode in Episode.objects.filter(source=source, record_id__in=ids[start : start + 5000]):
            existing[episode.record_id] = episode
    to_create, to_update = [], []
    for source_id, data in valid.items():
        episode = existing.get(source_id)
        if episode is None:
            to_create.append(Episode(source=source, record_id=source_id, **data))
            continue
        changed = {
            name: (getattr(episode, name), value) for name, value in data.items() if getattr(episode, name) != value
        }
        if not changed:
            run.unchanged += 1
            continue
        for name, (_old, value) in changed.items():
            setattr(episode, name, value)
        episode.updated_at = timezone.now()
        to_update.append(episode)
        if not write:
            continue
        audit_record(
            actor=by,
            event_type="flow.episode_updated",
            obj=episode,
            organisation=region,
            before={
                name: str(old) if old is not None else None
                for name, (old, _new) in changed.items()
                if name != "pseudonym"
            },
            after={
                name: str(new) if new is not None else None
                for name, (_old, new) in changed.items()
                if name != "pseudonym"
            },
        )
    run.created, run.updated = len(to_create), len(to_update)
    if not write:
        return
    Episode.objects.bulk_create(to_create, batch_size=2000)
    if to_update:
        Episode.objects.bulk_update(to_update, [*EPISODE_FIELDS, "updated_at"], batch_size=2000)


def _region_of(source: Source) -> Organisation | None:
    return Organisation.objects.filter(county_id=source.county_id, kind=OrganisationKind.REGION).first()


def source_for(county_code: str, name: str) -> Source:
    """The county's source with this name, created on first use."""
    return Source.objects.get_or_create(county_id=county_code, name=name)[0]
