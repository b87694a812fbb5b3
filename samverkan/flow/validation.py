"""Checking one row of an import: one small validator per canonical column, then the order of the
row's times. Every problem is a `RowError` naming the row (a FHIR entry) and the column (an element
path), in the importer's language; the import refuses the whole file when any row has one
(samverkan/flow/imports.py).

A validator takes the column's text (stripped) and the import's `Lookups` and returns the value the
episode stores, or raises `Invalid` with the message for the importer. Readers hand rows over as
plain dicts {column: text}; a reader whose rows are elements of a document (FHIR) hands an
`EntryRow` (values and the element path of each column, which its errors name instead), a row
that could not be read into columns at all is an `UnreadRow` whose errors stand for it, and
something that is not an episode at all (an outpatient visit) is a `SkippedRow`, only counted.

This is the hot path of a large import (a million rows): plain lookups in prebuilt sets, no
per-row Django helpers, and exceptions only for the rare bad value."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from samverkan import limits
from samverkan.capacity.schedule import LOCAL
from samverkan.flow.models import CareType, Destination, DestinationMapping, Sex, Source, UnitMapping
from samverkan.flow.pseudonyms import InvalidPersonnummer, contains_personnummer, mask_personnummer, pseudonym
from samverkan.organisations.models import Municipality

FUTURE_TOLERANCE = datetime.timedelta(hours=24)
TIMESTAMPS = ("admitted_at", "admission_notice_at", "ready_at", "sip_called_at", "discharged_at", "care_contact_at")


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem at a row and column (`kind` "row"), or at a FHIR bundle entry and element path
    (`kind` "entry"); `row` and `column` are None for the whole file. A personnummer or
    samordningsnummer in the message is masked (not an organisation number)."""

    row: int | None
    column: str | None
    message: str
    kind: Literal["row", "entry"] = "row"

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", mask_personnummer(self.message))

    def at_paths(self, paths: dict[str, str]) -> RowError:
        """This error named by the reader's element path of its column (an entry's error)."""
        column = paths.get(self.column, self.column) if self.column is not None else None
        return RowError(self.row, column, self.message, "entry")

    def as_json(self) -> dict[str, Any]:
        """As ImportRun.errors and the API hold it: row, column, message (and kind "entry")."""
        found: dict[str, Any] = {"row": self.row, "column": self.column, "message": self.message}
        if self.kind != "row":
            found["kind"] = self.kind
        return found

    def __str__(self) -> str:
        """'row N, column NAME: message', or 'entry N, Encounter.period.end: message'."""
        where = []
        by_entry = self.kind == "entry"
        if self.row is not None:
            where.append(f"{'entry' if by_entry else 'row'} {self.row}")
        if self.column:
            where.append(self.column if by_entry else f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


def as_json(errors: list[RowError]) -> list[dict[str, Any]]:
    return [e.as_json() for e in errors]


@dataclass(frozen=True, slots=True)
class UnreadRow:
    """A row a reader could not read into columns (a broken line, an entry that is not valid FHIR):
    its errors stand for the row."""

    errors: tuple[RowError, ...]


@dataclass(frozen=True, slots=True)
class EntryRow:
    """A row read from a document's elements (a FHIR Encounter): its values by canonical column, and
    the element path each column was read from, which the row's errors name."""

    values: dict[str, str]
    paths: dict[str, str]


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """Something a reader found that is not an episode (a FHIR Encounter that is not an inpatient
    stay): counted on the import as skipped, never validated, never an error, never an episode."""

    reason: str


# What a reader yields for each row, with the row's number: see the module docstring.
Row = dict[str, str] | EntryRow | UnreadRow | SkippedRow


class Invalid(ValueError):
    """A column's value is refused; the message is for the importer (never quoting a personnummer).
    A value that was read but is out of range (a time in the future) comes along as `value`, so
    that the row's time order is still checked with it."""

    def __init__(self, message: str, value: Any = None):
        super().__init__(message)
        self.message = message
        self.value = value


@dataclass
class Lookups:
    """What the validators look codes up in, loaded once per import."""

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


# --- Times -------------------------------------------------------------------------------------

_LOCAL_OFFSETS: dict[str, str] = {}  # "YYYY-MM-DDTHH" (a local wall-clock hour) → its UTC offset, "+01:00"
_fromisoformat = datetime.datetime.fromisoformat


def _timestamp(text: str) -> datetime.datetime:
    """An aware time (with a fixed UTC offset) from ISO 8601 text; without an offset it is local
    time. Not the zone itself: a local time in the hour the clocks skip or repeat never compares
    equal to another zone's (PEP 495), so it would count as changed on every re-import.

    The hot path of a large import: local "YYYY-MM-DDTHH:MM" (or with seconds) is parsed with the
    offset of its hour appended, found in _LOCAL_OFFSETS (the offset is the same for every minute
    of a wall-clock hour: the clocks change on the hour)."""
    length = len(text)
    canonical = (length == 16 or (length == 19 and text[16] == ":")) and text[13] == ":" and text[10] in "T "
    if canonical:
        offset = _LOCAL_OFFSETS.get(text[:13])
        if offset is not None:
            try:
                return _fromisoformat(text + offset)  # text with an offset of its own does not parse
            except ValueError:
                pass
    try:
        value = _fromisoformat(text)  # what parse_datetime tries first, too
    except ValueError:
        parsed = parse_datetime(text.replace(" ", "T", 1) if "T" not in text and " " in text else text)
        if parsed is None:
            date = parse_date(text)
            if date is None:
                raise ValueError("not an ISO 8601 time (e.g. 2026-03-04T08:15)") from None
            parsed = datetime.datetime.combine(date, datetime.time(0))
        value = parsed
    if value.tzinfo is None:
        gap_end = _skipped_hour_end(value)
        if gap_end is not None:
            return gap_end  # never cached: not one offset for the whole hour
        value = value.replace(tzinfo=datetime.timezone(value.replace(tzinfo=LOCAL).utcoffset()))  # type: ignore[arg-type]
        if canonical:
            if len(_LOCAL_OFFSETS) > 200_000:
                _LOCAL_OFFSETS.clear()
            _LOCAL_OFFSETS[text[:13]] = _offset_text(value)
        return value
    if isinstance(value.tzinfo, datetime.timezone):
        return value
    return value.astimezone(datetime.UTC)


def _skipped_hour_end(wall: datetime.datetime) -> datetime.datetime | None:
    """For a local time that does not exist (in the hour the clocks skip in March, 02:00–02:59 in
    Sweden): the moment the clocks were turned (03:00 summer time), so that a time written in the
    skipped hour is mapped forward, never before a time written after it. None for any other time.
    (The clocks change on the hour, by the difference of the two offsets.)"""
    before = wall.replace(tzinfo=LOCAL, fold=0).utcoffset()
    after = wall.replace(tzinfo=LOCAL, fold=1).utcoffset()
    if before is None or after is None or after <= before:
        return None  # an ordinary time, or the repeated hour in October (fold 1 has the smaller offset)
    start = wall.replace(minute=0, second=0, microsecond=0)
    end = start + (after - before)
    return end.replace(tzinfo=datetime.timezone(after))


def _repeated_hour_later(text: str, moment: datetime.datetime | None) -> datetime.datetime | None:
    """For a local time without an offset in the hour the clocks repeat in October (02:00–02:59 in
    Sweden), read first as the earlier of the two (summer time): the later one (winter time). None
    for any other time, and for a time written with its own offset, which says which one it is."""
    if moment is None:
        return None
    try:
        wall = _fromisoformat(text.strip())
    except ValueError:
        return None
    if wall.tzinfo is not None:
        return None
    first = wall.replace(tzinfo=LOCAL, fold=0).utcoffset()
    second = wall.replace(tzinfo=LOCAL, fold=1).utcoffset()
    if first is None or second is None or second >= first:
        return None
    return wall.replace(tzinfo=datetime.timezone(second))


def _offset_text(value: datetime.datetime) -> str:
    offset = value.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


_EARLIEST_TIME = datetime.datetime.combine(limits.EARLIEST_DATE, datetime.time(0), tzinfo=datetime.UTC)


def _time(text: str, now: datetime.datetime) -> datetime.datetime | None:
    if not text:
        return None
    try:
        moment = _timestamp(text)
    except ValueError as bad:
        message = (
            _("%(value)r is not an ISO 8601 time (e.g. 2026-03-04T08:15).")
            if "ISO" in str(bad)
            else _("%(value)r is not a valid time.")
        )
        raise Invalid(message % {"value": text}) from None
    if moment > now + FUTURE_TOLERANCE:
        raise Invalid(_("The time is in the future."), moment)
    if moment < _EARLIEST_TIME:
        raise Invalid(limits.date_range_message(), moment)
    return moment


# --- One validator per column --------------------------------------------------------------------


def _personnummer_elsewhere() -> Invalid:
    return Invalid(
        _(
            "Holds a personnummer (or samordningsnummer). Personal identity numbers belong only in the "
            "personnummer column, which is replaced by a pseudonym; remove it from this column."
        )
    )


def source_id(text: str, lookups: Lookups, now: datetime.datetime) -> str:
    """Stored and shown, so searched for a personnummer."""
    if not text:
        raise Invalid(_("Required."))
    if len(text) > 64:
        raise Invalid(_("At most 64 characters."))
    if contains_personnummer(text):
        raise _personnummer_elsewhere()
    return text


def personnummer(text: str, lookups: Lookups, now: datetime.datetime) -> str:
    """The keyed pseudonym of a valid personnummer or samordningsnummer ("" without one)."""
    if not text:
        return ""
    try:
        return pseudonym(text)
    except InvalidPersonnummer as invalid:
        raise Invalid(_("Not a valid personnummer (%(reason)s).") % {"reason": invalid}) from None


def birth_year(text: str, lookups: Lookups, now: datetime.datetime) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 1890 <= int(text) <= now.year:
        raise Invalid(_("%(value)r is not a plausible birth year.") % {"value": text})
    return int(text)


_SEXES = frozenset(str(v) for v in Sex.values)
_UNKNOWN_SEX = str(Sex.UNKNOWN.value)


def sex(text: str, lookups: Lookups, now: datetime.datetime) -> str:
    value = text.upper() or _UNKNOWN_SEX
    if value not in _SEXES:
        raise Invalid(_("Use F, M or U, not %(value)r.") % {"value": text})
    return value


def home_municipality(text: str, lookups: Lookups, now: datetime.datetime) -> str:
    code = text.zfill(4) if text.isdigit() else text
    if not code:
        raise Invalid(_("Required: the four-digit SCB municipality code."))
    if code not in lookups.municipalities:
        raise Invalid(_("Unknown municipality code %(value)r.") % {"value": code})
    return code


def hospital_unit(text: str, lookups: Lookups, now: datetime.datetime) -> int | None:
    """A code the source has mapped to one of our units; searched for a personnummer."""
    if not text:
        return None
    unit = lookups.units.get(text)
    if contains_personnummer(text):
        raise _personnummer_elsewhere()
    if unit is None:
        raise Invalid(
            _("Unknown unit code %(value)r for %(source)s; map it first.")
            % {"value": text, "source": lookups.source.name}
        )
    return unit


_CARE_TYPES = frozenset(str(v) for v in CareType.values)


def care_type(text: str, lookups: Lookups, now: datetime.datetime) -> str:
    value = text.lower()
    if value not in _CARE_TYPES:
        raise Invalid(_("Use somatic or psychiatric, not %(value)r.") % {"value": text})
    return value


_COVID = {"": False, "0": False, "false": False, "1": True, "true": True}


def covid(text: str, lookups: Lookups, now: datetime.datetime) -> bool:
    value = _COVID.get(text.lower())
    if value is None:
        raise Invalid(_("Use 0, 1, true or false, not %(value)r.") % {"value": text})
    return value


def admitted_at(text: str, lookups: Lookups, now: datetime.datetime) -> datetime.datetime:
    moment = _time(text, now)
    if moment is None:
        raise Invalid(_("Required."))
    return moment


def optional_time(text: str, lookups: Lookups, now: datetime.datetime) -> datetime.datetime | None:
    """admission_notice_at, ready_at, sip_called_at, discharged_at, care_contact_at (optional; when
    primary care appointed the named care contact, in any order to the stay's times)."""
    return _time(text, now)


def estimated_discharge_date(text: str, lookups: Lookups, now: datetime.datetime) -> datetime.date | None:
    if not text:
        return None
    try:
        day = parse_date(text) if len(text) == 10 else None
    except ValueError:  # well formed, but no such day
        day = None
    if day is None:
        raise Invalid(_("%(value)r is not a date (YYYY-MM-DD).") % {"value": text})
    if not limits.date_in_range(day):
        raise Invalid(limits.date_range_message())
    return day


_DESTINATIONS = frozenset(str(v) for v in Destination.values)
_DESTINATION_LIST = ", ".join(Destination.values)


def destination(text: str, lookups: Lookups, now: datetime.datetime) -> str:
    """A canonical destination or a code the source has mapped to one; searched for a personnummer."""
    if not text:
        return ""
    mapped = text if text in _DESTINATIONS else lookups.destinations.get(text)
    if contains_personnummer(text):
        raise _personnummer_elsewhere()
    if mapped is None:
        raise Invalid(
            _("Unknown destination %(value)r: use %(known)s or map the code.")
            % {"value": text, "known": _DESTINATION_LIST}
        )
    return mapped


Validator = Callable[[str, Lookups, datetime.datetime], Any]
REQUIRED = object()  # a column without a value of its own when empty: its validator says why

# (column, validator, the value of an empty cell), in the order a row's errors are listed; the
# time order is checked after them. An empty cell takes its value without a call (most of a
# file's optional cells are empty); a required column's validator refuses it.
VALIDATORS: tuple[tuple[str, Validator, Any], ...] = (
    ("source_id", source_id, REQUIRED),
    ("personnummer", personnummer, ""),
    ("birth_year", birth_year, None),
    ("sex", sex, _UNKNOWN_SEX),
    ("home_municipality", home_municipality, REQUIRED),
    ("hospital_unit", hospital_unit, None),
    ("care_type", care_type, REQUIRED),
    ("covid", covid, False),
    ("admitted_at", admitted_at, REQUIRED),
    ("admission_notice_at", optional_time, None),
    ("ready_at", optional_time, None),
    ("sip_called_at", optional_time, None),
    ("discharged_at", optional_time, None),
    ("estimated_discharge_date", estimated_discharge_date, None),
    ("destination", destination, ""),
    ("care_contact_at", optional_time, None),
)


def time_order(
    admitted: datetime.datetime | None, ready: datetime.datetime | None, discharged: datetime.datetime | None
) -> list[tuple[str, str]]:
    """(column, message) for each time of the row out of order: admitted ≤ ready ≤ discharged."""
    found = []
    if admitted and discharged and discharged < admitted:
        found.append(("discharged_at", _("Discharge is before admission.")))
    if admitted and ready and ready < admitted:
        found.append(("ready_at", _("The ready-for-discharge notice is before admission.")))
    if ready and discharged and discharged < ready:
        found.append(("discharged_at", _("Discharge is before the ready-for-discharge notice.")))
    return found


_ORDERED = ("admitted_at", "ready_at", "discharged_at")


def _in_order(
    get: Callable[[str], str | None], times: tuple[datetime.datetime | None, ...]
) -> tuple[datetime.datetime | None, ...] | None:
    """The row's admission, ready notice and discharge in order, reading a time in the repeated
    hour in October as its later occurrence where the earlier one breaks the order (fewest such
    readings first); None when no reading puts them in order. A file's times carry no offset, so
    02:40 ready and 02:10 discharged that night means the second 02:10."""
    choices = []
    for column, moment in zip(_ORDERED, times, strict=True):
        later = _repeated_hour_later(get(column) or "", moment)
        choices.append((moment,) if later is None else (moment, later))
    if all(len(choice) == 1 for choice in choices):
        return None
    readings = sorted(
        itertools.product(*choices), key=lambda picked: sum(a is not b for a, b in zip(picked, times, strict=True))
    )
    return next((picked for picked in readings if not time_order(*picked)), None)


def validate_row(
    number: int, row: dict[str, str], lookups: Lookups, now: datetime.datetime
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """The episode's fields, or every one of the row's errors.

    A personnummer in any other column is refused: the columns of free text (source_id, stored and
    shown; hospital_unit and destination, the source's codes) are searched for one, every other
    column takes only a fixed form (a code, a number, a time) that a personnummer cannot pass, and
    error messages mask any that they quote (see RowError)."""
    get = row.get
    values: list[Any] = []
    append = values.append
    errors: list[RowError] = []
    for column, validate, empty in VALIDATORS:
        text = get(column)
        if text:
            text = text.strip()
        if not text:
            if empty is not REQUIRED:
                append(empty)
                continue
            text = ""
        try:
            append(validate(text, lookups, now))
        except Invalid as invalid:
            append(invalid.value)
            errors.append(RowError(number, column, invalid.message))
    (
        record,
        person,
        year,
        sex_code,
        municipality,
        unit,
        care,
        has_covid,
        admitted,
        notice,
        ready,
        sip_called,
        discharged,
        estimated,
        where_to,
        care_contact,
    ) = values
    if (ready or discharged) and (order := time_order(admitted, ready, discharged)):
        resolved = _in_order(get, (admitted, ready, discharged))
        if resolved is None:
            errors.extend(RowError(number, column, message) for column, message in order)
        else:
            admitted, ready, discharged = resolved
    if errors:
        return None, errors
    return {
        "source_id": record,
        "pseudonym": person,
        "birth_year": year,
        "sex": sex_code,
        "home_municipality_id": municipality,
        "hospital_unit_id": unit,
        "care_type": care,
        "covid": has_covid,
        "admitted_at": admitted,
        "admission_notice_at": notice,
        "estimated_discharge_date": estimated,
        "ready_at": ready,
        "sip_called_at": sip_called,
        "discharged_at": discharged,
        "destination": where_to,
        "care_contact_at": care_contact,
    }, errors
