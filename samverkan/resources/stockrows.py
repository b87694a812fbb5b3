"""Stock report rows: one validation for the quick report page, the spreadsheet upload and the
API, so that each refuses the same things with the same messages, each naming its row and
column. Nothing is stored here: `services.stock_reports_submit` stores a batch only when every
row is valid (all or nothing).

Columns (a file's header row, the API's fields, the quick form's inputs):

- `organisation`: the organisation's code (a municipality's SCB code, R + county code for a
  region); may be left out when `unit` is given.
- `unit`: a unit's code, for a unit's own stock; empty for the organisation's.
- `item`: the article's code in the county's catalogue.
- `on_hand`, `used_7_days`, `on_order`: whole numbers, 0 or more; `used_7_days` may be empty
  (not known), `on_order` empty means 0.
- `expected_on`: YYYY-MM-DD, needed when something is on order.
- `can_obtain`: yes, no or uncertain (ja, nej, osäker).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from samverkan import limits
from samverkan.flow import workbooks
from samverkan.flow.imports import FileRejected
from samverkan.flow.validation import RowError as FlowRowError
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation, Unit
from samverkan.resources.models import CanObtain, SupplyItem

COLUMNS = ["organisation", "unit", "item", "on_hand", "used_7_days", "on_order", "expected_on", "can_obtain"]
REQUIRED = ["item", "on_hand", "can_obtain"]
MAX_ROWS = 5000
BytesLike = bytes | BinaryIO
MAX_COUNT = 10_000_000
CAN_OBTAIN = {
    "yes": CanObtain.YES,
    "ja": CanObtain.YES,
    "no": CanObtain.NO,
    "nej": CanObtain.NO,
    "uncertain": CanObtain.UNCERTAIN,
    "osäker": CanObtain.UNCERTAIN,
    "osaker": CanObtain.UNCERTAIN,
}


@dataclass(frozen=True)
class RowError:
    row: str  # a file's row number, the API's index, or the quick form's article
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("Row %(row)s, %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass(frozen=True)
class StockRow:
    organisation: Organisation
    unit: Unit | None
    item: SupplyItem
    on_hand: int
    used_7_days: int | None
    on_order: int
    expected_on: datetime.date | None
    can_obtain: str


class Invalid(Exception):
    """Rows that cannot be stored; `errors` says which and why."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _count(value: object, column: str, row: str, errors: list[RowError], *, optional: bool = False) -> int | None:
    text = _text(value)
    if not text:
        if not optional:
            errors.append(RowError(row, column, _("Fill in a whole number.")))
        return None
    if not text.isascii() or not text.isdigit():
        errors.append(
            RowError(row, column, _("“%(value)s” is not a whole number of 0 or more.") % {"value": text[:20]})
        )
        return None
    number = int(text)
    if number > MAX_COUNT:
        errors.append(RowError(row, column, _("At most %(max)s.") % {"max": f"{MAX_COUNT:,}".replace(",", " ")}))
        return None
    return number


class Lookups:
    """The county's articles, organisations and units, each read once per batch."""

    def __init__(self, county_code: str) -> None:
        self.county_code = county_code
        self.items = {i.code: i for i in SupplyItem.objects.filter(county_id=county_code, is_active=True)}
        self.organisations = {o.code: o for o in Organisation.objects.filter(county_id=county_code, is_active=True)}
        self._units: dict[str, Unit | None] = {}

    def unit(self, code: str) -> Unit | None:
        if code not in self._units:
            self._units[code] = (
                Unit.objects.select_related("organisation")
                .filter(code=code, organisation__county_id=self.county_code, is_active=True)
                .first()
            )
        return self._units[code]


def validate(
    rows: Iterable[tuple[str, dict[str, object]]], *, county_code: str, by: policy.Asker
) -> tuple[list[StockRow], list[RowError]]:
    """Every row checked; the valid rows, and every error with its row and column."""
    lookups = Lookups(county_code)
    valid: list[StockRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[int, int | None, int], str] = {}
    for row, values in rows:
        found: list[RowError] = []
        unknown = sorted(set(values) - set(COLUMNS))
        for column in unknown:
            found.append(
                RowError(row, column, _("Unknown column. Known columns: %(known)s.") % {"known": ", ".join(COLUMNS)})
            )
        organisation_code, unit_code = _text(values.get("organisation")), _text(values.get("unit"))
        organisation: Organisation | None = None
        unit: Unit | None = None
        if unit_code:
            unit = lookups.unit(unit_code)
            if unit is None:
                found.append(
                    RowError(
                        row, "unit", _("No unit with the code %(code)s in this county.") % {"code": unit_code[:40]}
                    )
                )
            elif organisation_code and unit.organisation.code != organisation_code:
                found.append(RowError(row, "unit", _("The unit belongs to %(org)s.") % {"org": unit.organisation.name}))
            else:
                organisation = unit.organisation
                if not policy.can(by, "resources.report_stock", unit):
                    found.append(
                        RowError(row, "unit", _("You may not report stock for %(unit)s.") % {"unit": unit.name})
                    )
        elif organisation_code:
            organisation = lookups.organisations.get(organisation_code)
            if organisation is None:
                found.append(
                    RowError(
                        row,
                        "organisation",
                        _("No organisation with the code %(code)s in this county.") % {"code": organisation_code[:40]},
                    )
                )
            elif not policy.can(by, "resources.report_stock_organisation", organisation):
                found.append(
                    RowError(
                        row, "organisation", _("You may not report stock for %(org)s.") % {"org": organisation.name}
                    )
                )
        else:
            found.append(RowError(row, "organisation", _("Name the organisation or the unit.")))
        item_code = _text(values.get("item"))
        item = lookups.items.get(item_code)
        if item is None:
            found.append(
                RowError(
                    row,
                    "item",
                    _("No article with the code %(code)s in the county's catalogue.") % {"code": item_code[:40]}
                    if item_code
                    else _("Name the article."),
                )
            )
        on_hand = _count(values.get("on_hand"), "on_hand", row, found)
        used = _count(values.get("used_7_days"), "used_7_days", row, found, optional=True)
        on_order = _count(values.get("on_order"), "on_order", row, found, optional=True) or 0
        expected_text = _text(values.get("expected_on")).removesuffix("T00:00")  # an Excel date cell reads as midnight
        expected_on = None
        if expected_text:
            try:
                expected_on = parse_date(expected_text)
            except ValueError:
                expected_on = None
            if expected_on is None:
                found.append(RowError(row, "expected_on", _("Write the date as YYYY-MM-DD.")))
            elif not limits.date_in_range(expected_on):
                found.append(RowError(row, "expected_on", limits.date_range_message()))
                expected_on = None
        elif on_order > 0:
            found.append(RowError(row, "expected_on", _("Say when what is on order is expected.")))
        can_obtain = CAN_OBTAIN.get(_text(values.get("can_obtain")).lower())
        if can_obtain is None:
            found.append(RowError(row, "can_obtain", _("Answer yes, no or uncertain.")))
        if organisation is not None and item is not None:
            key = (organisation.pk, unit.pk if unit else None, item.pk)
            if key in seen:
                found.append(
                    RowError(
                        row,
                        "item",
                        _("The same article for the same place is also on row %(row)s.") % {"row": seen[key]},
                    )
                )
            else:
                seen[key] = row
        if found:
            errors.extend(found)
        elif organisation is not None and item is not None and on_hand is not None and can_obtain is not None:
            valid.append(StockRow(organisation, unit, item, on_hand, used, on_order, expected_on, can_obtain))
    return valid, errors


# Files ---------------------------------------------------------------------------------------------


def _decoded(data: bytes) -> str:
    """UTF-8 (a byte order mark dropped), else Windows-1252, Excel's Swedish default."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise FileRejected(
                [FlowRowError(None, None, _("The file is neither UTF-8 nor Windows-1252 text."))]
            ) from None


def _rows(header: list[str], lines: Iterable[list[str]]) -> Iterator[tuple[str, dict[str, object]]]:
    missing = [column for column in REQUIRED if column not in header]
    if missing or not ({"organisation", "unit"} & set(header)):
        needed = [*missing, *([] if {"organisation", "unit"} & set(header) else ["organisation"])]
        raise FileRejected(
            [
                FlowRowError(
                    1,
                    column,
                    _("The column %(column)s is missing. The header holds: %(columns)s.")
                    % {"column": column, "columns": ", ".join(COLUMNS)},
                )
                for column in needed
            ]
        )
    count = 0
    for number, values in enumerate(lines, start=2):
        if not any(v.strip() for v in values):
            continue
        count += 1
        if count > MAX_ROWS:
            raise FileRejected(
                [FlowRowError(number, None, _("More than %(n)d rows; split the file.") % {"n": MAX_ROWS})]
            )
        yield str(number), {column: value for column, value in zip(header, values, strict=False) if column}
    if count == 0:
        raise FileRejected([FlowRowError(None, None, _("The file has a header but no rows."))])


def read_file(name: str, data: BytesLike) -> list[tuple[str, dict[str, object]]]:
    """The rows of an uploaded CSV or Excel file, numbered as the spreadsheet numbers them (the
    header is row 1). Raises FileRejected when the file cannot be read."""
    if name.lower().endswith(".xlsx"):
        header, lines = workbooks.read(io.BytesIO(data) if isinstance(data, bytes) else data, None)
        return list(_rows([h.strip().lower() for h in header], lines))
    text = _decoded(data if isinstance(data, bytes) else data.read())
    if not text.strip():
        raise FileRejected([FlowRowError(None, None, _("The file is empty."))])
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    return list(_rows(header, ([v.strip() for v in values] for values in reader)))
