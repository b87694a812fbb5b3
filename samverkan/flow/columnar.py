"""The fast path of a CSV import: the file read in large blocks into columns (pyarrow's streaming
CSV reader) and each block validated whole columns at a time.

The fast path only ever has to be right about one thing: "this row is clean, and these are its
values". A value in the plain form that nearly every file uses (an ISO time "2026-03-04T08:15", a
code from the lookups, a personnummer "YYYYMMDD-NNNN") is checked and converted vectorised; any row
with a value in another form, or that any vectorised check does not pass, goes through the per-row
`validate_row` (samverkan/flow/validation.py), which gives its value or every one of its errors with
row, column and message exactly as the per-row path does. So a row's errors, their order and their
messages are the same whichever path read the file (tests/test_flow_columnar.py compares the two on
generated rows).

A file that the columnar reader cannot number exactly as the per-row reader does (quotes, a line
with too few or too many fields, a line of white space, an encoding problem, no rows, too many
rows) makes the import start again on the per-row path (`NotColumnar`): a file that is read
columnar gives the same rows, numbers, errors and episodes as the per-row reader would.

Times without an offset are local (Europe/Stockholm): converted vectorised with pyarrow's
assume_timezone, once per column; a time in an hour the clocks skip or repeat (found from the zone's
transitions in the years of the block, compared as local wall times) goes to `validate_row` (which
maps the skipped hour forward and reads the repeated hour by the episode's own order)."""

from __future__ import annotations

import datetime
import functools
import io
import itertools
import threading
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from samverkan import limits
from samverkan.flow.models import Destination
from samverkan.flow.pseudonyms import contains_personnummer, pseudonyms
from samverkan.flow.validation import FUTURE_TOLERANCE, TIMESTAMPS, Lookups

BLOCK_BYTES = 1 << 20  # bytes of the file parsed into columns at a time (some 10 000 episodes; pyarrow reads ahead)
LOCAL_ZONE = "Europe/Stockholm"


class NotColumnar(Exception):
    """The file needs the per-row reader: import_rows starts again with it (nothing was kept)."""


# The typed columns a validated block hands to the stage (by name: imports.EPISODE_FIELDS and source_id).
_MOMENT = pa.timestamp("us", tz="UTC")
OPTIONAL_TIMES = tuple(column for column in TIMESTAMPS if column != "admitted_at")
TYPES: dict[str, pa.DataType] = {
    "source_id": pa.string(),
    "pseudonym": pa.string(),
    "birth_year": pa.int32(),
    "sex": pa.string(),
    "home_municipality_id": pa.string(),
    "hospital_unit_id": pa.int64(),
    "care_type": pa.string(),
    "covid": pa.bool_(),
    "estimated_discharge_date": pa.date32(),
    "destination": pa.string(),
    **dict.fromkeys(TIMESTAMPS, _MOMENT),  # validation's: admitted_at and the optional times
}


# --- Reading -------------------------------------------------------------------------------------


class _Utf8(io.RawIOBase):
    """Text chunks as a binary UTF-8 stream for pyarrow; a quote anywhere sends the file to the
    per-row reader (Python's csv module and pyarrow read malformed quoting differently).

    pyarrow reads ahead in a thread of its own, and wants each read filled (a short read ends its
    block, and a line may not straddle more than two), so reads are filled from as many chunks as
    they take, under a lock; `stop` makes every later read the end of the file, so that nothing
    reads the file once the import has moved on (to read it again from the start, say)."""

    def __init__(self, chunks: Iterator[str]):
        self.chunks = chunks
        self.pending = memoryview(b"")
        self.lock = threading.Lock()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self.lock:
            filled, wanted = 0, len(buffer)
            while filled < wanted:
                if not self.pending:
                    text = next(self.chunks, None)
                    if text is None:
                        break
                    if '"' in text:
                        raise NotColumnar("quotes")
                    self.pending = memoryview(text.encode())
                size = min(wanted - filled, len(self.pending))
                buffer[filled : filled + size] = self.pending[:size]
                self.pending = self.pending[size:]
                filled += size
            return filled

    def stop(self) -> None:
        with self.lock:
            self.chunks, self.pending = iter(()), memoryview(b"")


def first_line(chunks: Iterator[str]) -> tuple[str, Iterator[str]]:
    """The first line (with its ending) and the text after it, as chunks."""
    text = ""
    for chunk in chunks:
        text += chunk
        ends = [i for i in (text.find("\n"), text.find("\r")) if i >= 0]
        if ends:
            end = min(ends)
            if text[end] == "\r" and end + 1 == len(text):
                continue  # a CR LF may be cut by the chunk
            if text[end] == "\r" and text[end + 1] == "\n":
                end += 1
            return text[: end + 1], itertools.chain([text[end + 1 :]], chunks)
    return text, iter(())


@dataclass
class Block:
    """One block of rows: the number of its first row and its columns as text (stripped only by
    validation), every canonical column present (an absent one empty)."""

    first_number: int
    length: int
    columns: dict[str, pa.Array]
    raw: list[pa.Array]  # every column of the file, mapped or not (a row of only empty ones is skipped)


def read_blocks(rest: Iterator[str], *, delimiter: str, header: list[str], columns: list[str]) -> Iterator[Block]:
    """The rows after the header line (`rest`, the file's text in chunks) in blocks of columns (of
    BLOCK_BYTES of the file each), numbered as read_csv numbers them (the header is row 1, every line after
    it one row); `header` is the file's columns in canonical names ("" for one not mapped). Raises
    NotColumnar for whatever the per-row reader must read."""
    invalid: list[Any] = []

    def handler(row: Any) -> str:
        invalid.append(row)
        return "skip"

    names = [f"c{i}" for i in range(len(header))]
    source = _Utf8(rest)
    try:
        yield from _batches(source, delimiter, header, names, columns, handler, invalid)
    finally:
        source.stop()


def _batches(
    source: _Utf8,
    delimiter: str,
    header: list[str],
    names: list[str],
    columns: list[str],
    handler: Any,
    invalid: list[Any],
) -> Iterator[Block]:
    try:
        reader = pcsv.open_csv(
            source,
            read_options=pcsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES, use_threads=False),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter,
                quote_char=False,
                ignore_empty_lines=False,
                newlines_in_values=False,
                invalid_row_handler=handler,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, check_utf8=False
            ),
        )
    except StopIteration:
        raise NotColumnar("no rows") from None
    except pa.ArrowInvalid:
        raise NotColumnar("unreadable") from None
    where = {column: i for i, column in enumerate(header) if column}
    number = 2
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid:
            raise NotColumnar("unreadable") from None
        if invalid:
            raise NotColumnar("a line with another number of fields")
        length = batch.num_rows
        if not length:
            continue
        empty = pa.array([""] * length, pa.string())
        columns_of = {column: (batch.column(where[column]) if column in where else empty) for column in columns}
        yield Block(number, length, columns_of, batch.columns)
        number += length


# --- Validating a block ------------------------------------------------------------------------


def _in(values: pa.Array, allowed: Iterable[str]) -> pa.Array:
    return pc.is_in(values, value_set=pa.array(sorted(set(allowed)), pa.string()))


def _map(values: pa.Array, mapping: dict[str, Any], kind: pa.DataType) -> pa.Array:
    """Each value's image under `mapping` (null where it has none)."""
    keys = list(mapping)
    index = pc.index_in(values, value_set=pa.array(keys, pa.string()))
    return pc.take(pa.array([mapping[k] for k in keys], kind), index)


def _mask(array: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


# The constants the checks compare with, as Arrow scalars made once: pyarrow converts a Python value
# each time it is passed, and each conversion tries to import dateutil (not installed: the failed
# import is searched for on sys.path every time, some 50 µs).
_S: dict[str, pa.Scalar] = {
    "": pa.scalar("", pa.string()),
    "0": pa.scalar("0", pa.string()),
    ":00": pa.scalar(":00", pa.string()),
    "16": pa.scalar(16, pa.int32()),
    "1890": pa.scalar(1890, pa.int32()),
    "2000-01-01": pa.scalar("2000-01-01", pa.string()),
    "2000-01-01T00:00:00": pa.scalar("2000-01-01T00:00:00", pa.string()),
    "no year": pa.scalar(None, pa.int32()),
    "no day": pa.scalar(None, pa.date32()),
    "earliest day": pa.scalar(limits.EARLIEST_DATE, pa.date32()),
    "latest day": pa.scalar(limits.LATEST_DATE, pa.date32()),
    "earliest time": pa.scalar(
        datetime.datetime.combine(limits.EARLIEST_DATE, datetime.time(0), tzinfo=datetime.UTC),
        pa.timestamp("us", tz="UTC"),
    ),
}
_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _local_times(text: pa.Array, now: datetime.datetime) -> tuple[np.ndarray, pa.Array]:
    """(which values are a plain local time that _timestamp reads the same, their instants in UTC).
    Plain: YYYY-MM-DD, T or a space, HH:MM and maybe :SS, a real day and time, not in an hour the
    clocks skip or repeat, not more than FUTURE_TOLERANCE ahead of `now`, not before EARLIEST_DATE."""
    shaped = pc.match_substring_regex(text, _TIME)
    padded = pc.if_else(
        pc.equal(pc.utf8_length(text), _S["16"]), pc.binary_join_element_wise(text, _S[":00"], _S[""]), text
    )
    padded = pc.utf8_replace_slice(padded, 10, 11, "T")
    padded = pc.if_else(shaped, padded, _S["2000-01-01T00:00:00"])
    wall = pc.cast(pc.strptime(padded, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True), pa.timestamp("us"))
    # strptime takes 30 February for 2 March: the fields checked by hand (no 30 February, no 24:00).
    d = _digit_matrix(padded, 19)
    hour, minute, second = d[:, 11] * 10 + d[:, 12], d[:, 14] * 10 + d[:, 15], d[:, 17] * 10 + d[:, 18]
    real = pa.array(_real_day(d) & (hour <= 23) & (minute <= 59) & (second <= 59))
    moment = pc.cast(
        pc.assume_timezone(wall, LOCAL_ZONE, ambiguous="earliest", nonexistent="earliest"), pa.timestamp("us", tz="UTC")
    )
    latest = pa.scalar(now + FUTURE_TOLERANCE, pa.timestamp("us", tz="UTC"))
    earliest = _S["earliest time"]
    ok = pc.and_(
        pc.and_(shaped, real),
        pc.and_(pc.less_equal(moment, latest), pc.greater_equal(moment, earliest)),
    )
    return _mask(ok) & ~_unclear(wall, now), moment


def _unclear(wall: pa.Array, now: datetime.datetime) -> np.ndarray:
    """Which local wall times lie in an hour the clocks skip or repeat: a sorted search among the
    zone's transitions of the years the block can hold (the years outside EARLIEST_DATE … now fail
    the range check anyway)."""
    micros = pc.fill_null(pc.cast(wall, pa.int64()), 0).to_numpy(zero_copy_only=False)
    if not len(micros):
        return np.zeros(0, dtype=bool)
    first, last = (_EPOCH + datetime.timedelta(microseconds=int(v)) for v in (micros.min(), micros.max()))
    years = range(max(first.year, limits.EARLIEST_DATE.year), min(last.year, (now + FUTURE_TOLERANCE).year) + 1)
    bounds = np.array(sorted({bound for year in years for span in _unclear_spans(year) for bound in span}), np.int64)
    # [start, end) spans, months apart: a value lies in one when an odd number of bounds are <= it.
    return np.searchsorted(bounds, micros, side="right") % 2 == 1


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)  # local wall times are held as if in UTC
_SECOND = datetime.timedelta(seconds=1)


@functools.cache
def _unclear_spans(year: int) -> tuple[tuple[int, int], ...]:
    """The local wall times that the clocks skip or repeat in `year` and at the turn of the year on
    either side, as [start, end) in microseconds of naive local time since 1970."""
    zone = zoneinfo.ZoneInfo(LOCAL_ZONE)

    def offset(instant: datetime.datetime) -> datetime.timedelta:
        return instant.astimezone(zone).utcoffset() or datetime.timedelta(0)

    spans = []
    day = datetime.datetime(year - 1, 12, 30, tzinfo=datetime.UTC)
    while day < datetime.datetime(year + 1, 1, 2, tzinfo=datetime.UTC):
        after = day + datetime.timedelta(days=1)
        if offset(day) != offset(after):
            low, high = day, after  # the offset of `after` holds from the change on: found to the second
            while high - low > _SECOND:
                middle = low + (high - low) // 2 // _SECOND * _SECOND
                low, high = (low, middle) if offset(middle) == offset(after) else (middle, high)
            before, then = offset(low), offset(high)
            start, end = high + min(before, then), high + max(before, then)
            spans.append(
                (
                    (start - _EPOCH) // datetime.timedelta(microseconds=1),
                    (end - _EPOCH) // datetime.timedelta(microseconds=1),
                )
            )
        day = after
    return tuple(spans)


def _digit_matrix(strings: pa.Array, width: int) -> np.ndarray:
    """Strings of exactly `width` ASCII characters (no nulls) as a matrix of their characters less
    "0" (so a digit's value where there is a digit)."""
    fresh = pc.binary_join_element_wise(strings, _S[""], _S[""])  # a fresh array: its characters contiguous
    offsets = np.frombuffer(fresh.buffers()[1], dtype=np.int32)[fresh.offset : fresh.offset + len(fresh) + 1]
    data = np.frombuffer(fresh.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(-1, width).astype(np.int16) - 48


def _digits_in(strings: pa.Array) -> np.ndarray:
    """How many ASCII digits each string holds (no nulls)."""
    fresh = pc.binary_join_element_wise(strings, _S[""], _S[""])
    offsets = np.frombuffer(fresh.buffers()[1], dtype=np.int32)[fresh.offset : fresh.offset + len(fresh) + 1]
    data = (
        np.frombuffer(fresh.buffers()[2], dtype=np.uint8) if fresh.buffers()[2] is not None else np.zeros(0, np.uint8)
    )
    running = np.concatenate(([0], np.cumsum((data >= 48) & (data <= 57))))
    return running[offsets[1:]] - running[offsets[:-1]]


def _luhn_ok(digits: np.ndarray) -> np.ndarray:
    """The Luhn check of each row of ten digits (stdnum.luhn: every second digit from the right
    doubled, starting with the one before the check digit)."""
    doubled = digits[:, 0::2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    return (doubled.sum(axis=1) + digits[:, 1::2].sum(axis=1)) % 10 == 0


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _real_day(
    digits: np.ndarray, year_at: int = 0, month_at: int = 5, day_at: int = 8, samordning: bool = False
) -> np.ndarray:
    """Whether each row's digits YYYY, MM and DD (at these positions) name a day that exists in the
    proleptic Gregorian calendar from year 1 (Python's datetime.date); with `samordning`, a day
    + 60 (a samordningsnummer) counts as the day."""
    y = digits[:, year_at : year_at + 4]
    year = y[:, 0] * 1000 + y[:, 1] * 100 + y[:, 2] * 10 + y[:, 3]
    month = digits[:, month_at] * 10 + digits[:, month_at + 1]
    day = digits[:, day_at] * 10 + digits[:, day_at + 1]
    if samordning:
        day = np.where(day > 60, day - 60, day)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    real_month = (month >= 1) & (month <= 12)
    longest = _DAYS_IN_MONTH[np.where(real_month, month, 0)] + ((month == 2) & leap)
    return (year >= 1) & real_month & (day >= 1) & (day <= longest)


def _born_ok(digits: np.ndarray) -> np.ndarray:
    """Whether rows of twelve digits YYYYMMDDNNNN name a day that exists (the day + 60 for a
    samordningsnummer), as pseudonyms.birth_date (python-stdnum) decides for a 12-digit number."""
    return _real_day(digits, 0, 4, 6, samordning=True)


def _pseudonyms(text: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(which values are a plain valid personnummer — 12 digits, a '-' before the serial or none,
    the check digit and the date of birth right — and their pseudonyms; "" where empty)."""
    n = len(text)
    plain = _mask(pc.match_substring_regex(text, r"^[0-9]{8}-?[0-9]{4}$"))
    ok = _mask(pc.equal(text, _S[""]))
    found = np.full(n, "", dtype=object)
    where = np.flatnonzero(plain)
    if len(where):
        numbers = pc.replace_substring(pc.take(text, pa.array(where)), "-", "")  # twelve digits
        digits = _digit_matrix(numbers, 12)
        good = np.flatnonzero(_luhn_ok(digits[:, 2:]) & _born_ok(digits))
        if len(good):
            found[where[good]] = pseudonyms(pc.take(numbers, pa.array(good)).to_pylist())
        ok[where[good]] = True
    return ok, pa.array(found, pa.string())


@dataclass
class Prepared:
    """What a block's vectorised checks look values up in: the import's Lookups, in the forms
    that `validate_row` reads the same without any change (no white space around, no other case)."""

    municipalities: dict[str, str]  # text → code (a code, or one without its leading zeros)
    units: dict[str, int]
    destinations: dict[str, str]  # text → destination (the canonical ones, then the mapped ones)
    year: int

    @classmethod
    def of(cls, lookups: Lookups, now: datetime.datetime) -> Prepared:
        municipalities: dict[str, str] = {}
        for code in lookups.municipalities:
            if code.isdigit() and code.isascii():
                for start in range(len(code) - len(code.lstrip("0")) + 1):
                    if code[start:].zfill(4) == code:
                        municipalities[code[start:]] = code
            elif code and code == code.strip():
                municipalities[code] = code
        safe = {code for code in lookups.units if code and code == code.strip() and not contains_personnummer(code)}
        destinations = {str(v): str(v) for v in Destination.values}
        for code, where in lookups.destinations.items():
            if code and code == code.strip() and code not in destinations and not contains_personnummer(code):
                destinations[code] = where
        return cls(
            municipalities=municipalities,
            units={code: lookups.units[code] for code in safe},
            destinations=destinations,
            year=now.year,
        )


_SEX = {"": "U", "F": "F", "M": "M", "U": "U", "f": "F", "m": "M", "u": "U"}
_CARE = {"somatic": "somatic", "psychiatric": "psychiatric", "Somatic": "somatic", "Psychiatric": "psychiatric"}
_COVID = {"": False, "0": False, "1": True, "false": False, "true": True, "False": False, "True": True}


def validate_block(
    columns: dict[str, pa.Array], prepared: Prepared, now: datetime.datetime
) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """(which rows the vectorised checks find clean, every row's values in TYPES). A row found
    clean is one that validate_row accepts with exactly these values; any other row must go
    through validate_row (its values here mean nothing)."""
    length = len(columns["source_id"])
    ok = np.ones(length, dtype=bool)
    out: dict[str, pa.Array] = {}

    record = columns["source_id"]
    ok &= _mask(pc.match_substring_regex(record, r"^[!-~]{1,64}$")) & (_digits_in(record) < 10)
    out["source_id"] = record

    person_ok, out["pseudonym"] = _pseudonyms(columns["personnummer"])
    ok &= person_ok

    year_text = columns["birth_year"]
    year_shaped = pc.match_substring_regex(year_text, r"^[0-9]{4}$")
    year = pc.cast(pc.if_else(year_shaped, year_text, _S["0"]), pa.int32())
    ok &= _mask(
        pc.or_(
            pc.equal(year_text, _S[""]),
            pc.and_(
                year_shaped,
                pc.and_(pc.greater_equal(year, _S["1890"]), pc.less_equal(year, pa.scalar(prepared.year, pa.int32()))),
            ),
        )
    )
    out["birth_year"] = pc.if_else(pc.equal(year_text, _S[""]), _S["no year"], year)

    sex = _map(columns["sex"], _SEX, pa.string())
    ok &= _mask(pc.is_valid(sex))
    out["sex"] = sex

    municipality = _map(columns["home_municipality"], prepared.municipalities, pa.string())
    ok &= _mask(pc.is_valid(municipality))
    out["home_municipality_id"] = municipality

    unit_text = columns["hospital_unit"]
    unit = _map(unit_text, prepared.units, pa.int64()) if prepared.units else pa.nulls(length, pa.int64())
    ok &= _mask(pc.or_(pc.equal(unit_text, _S[""]), pc.is_valid(unit)))
    out["hospital_unit_id"] = unit

    care = _map(columns["care_type"], _CARE, pa.string())
    ok &= _mask(pc.is_valid(care))
    out["care_type"] = care

    covid = _map(columns["covid"], _COVID, pa.bool_())
    ok &= _mask(pc.is_valid(covid))
    out["covid"] = covid

    admitted_ok, out["admitted_at"] = _local_times(columns["admitted_at"], now)
    ok &= admitted_ok
    for column in OPTIONAL_TIMES:  # mostly empty: only the times given are parsed
        text = columns[column]
        absent = _mask(pc.equal(text, _S[""]))
        given = np.flatnonzero(~absent)
        if not len(given):
            out[column] = pa.nulls(length, _MOMENT)
            continue
        time_ok, moment = _local_times(pc.take(text, pa.array(given)), now)
        ok[given] &= time_ok
        position = pa.array(np.cumsum(~absent) - 1, mask=absent)  # each row's place among the given
        out[column] = pc.take(moment, position)

    day_text = columns["estimated_discharge_date"]
    day_shaped = pc.match_substring_regex(day_text, _DATE)
    day_padded = pc.if_else(day_shaped, day_text, _S["2000-01-01"])
    day = pc.strptime(day_padded, format="%Y-%m-%d", unit="s", error_is_null=True)
    day_real = pa.array(_real_day(_digit_matrix(day_padded, 10)))
    day_date = pc.cast(day, pa.date32())
    in_range = pc.and_(
        pc.greater_equal(day_date, _S["earliest day"]),
        pc.less_equal(day_date, _S["latest day"]),
    )
    day_absent = pc.equal(day_text, _S[""])
    ok &= _mask(pc.or_(day_absent, pc.and_(day_shaped, pc.and_(day_real, in_range))))
    out["estimated_discharge_date"] = pc.if_else(day_absent, _S["no day"], day_date)

    where_text = columns["destination"]
    where_to = _map(where_text, prepared.destinations, pa.string())
    where_absent = pc.equal(where_text, _S[""])
    ok &= _mask(pc.or_(where_absent, pc.is_valid(where_to)))
    out["destination"] = pc.if_else(where_absent, _S[""], where_to)

    admitted, ready, discharged = out["admitted_at"], out["ready_at"], out["discharged_at"]
    out_of_order = pc.or_kleene(
        pc.or_kleene(pc.less(discharged, admitted), pc.less(ready, admitted)), pc.less(discharged, ready)
    )  # a comparison with an absent time is null, never true; or_kleene keeps the others' true
    ok &= ~_mask(out_of_order)
    return ok, out


def rows_of(block: Block, indices: np.ndarray, names: list[str]) -> list[dict[str, str] | None]:
    """The rows at `indices` as read_csv yields them ({column: text stripped}), None for a row
    whose every field is empty or white space (read_csv skips it)."""
    if not len(indices):
        return []
    chosen = pa.array(indices)
    taken = {name: pc.take(block.columns[name], chosen).to_pylist() for name in names}
    raw = [pc.take(column, chosen).to_pylist() for column in block.raw]
    found: list[dict[str, str] | None] = []
    for i in range(len(indices)):
        if not any(column[i].strip() for column in raw):
            found.append(None)
        else:
            found.append({name: taken[name][i].strip() for name in names})
    return found


def typed_table(values: dict[str, pa.Array], indices: np.ndarray) -> pa.Table:
    """The clean rows' values (TYPES), at `indices`."""
    chosen = pa.array(indices)
    return pa.table({name: pc.take(values[name], chosen).cast(kind) for name, kind in TYPES.items()})
