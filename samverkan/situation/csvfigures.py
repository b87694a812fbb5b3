"""Epidemiology figures from a CSV file: one row per day, a column per indicator.

    date,confirmed_cases,intensive_care,covid_ward,deaths,influenza
    2020-04-17,564,19,66,29,

UTF-8 (with or without BOM; Windows-1252 also accepted), comma or semicolon. The first column is
`date` (or `datum`), YYYY-MM-DD; every other column is the code of one of the county's
indicators; an empty cell records nothing. The file is read whole and checked before anything is
recorded: any error refuses the whole file, and every error names its row and column (the header
is row 1)."""

from __future__ import annotations

import csv
import datetime
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from samverkan.situation.services import FigureInput

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
DATE_COLUMNS = ("date", "datum")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse(data: bytes, indicator_codes: list[str]) -> list[FigureInput]:
    """The figures of a file, or ValidationError with every problem keyed by row and column."""
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than 2 MB.")]})
    text = _text(data)
    if "\x00" in text:
        raise ValidationError({"file": [_("The file is not a CSV text file.")]})
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader, [])]
    errors: dict[str, list[str]] = {}
    if not header or header[0] not in DATE_COLUMNS:
        raise ValidationError({_("row 1"): [_("The first column must be date (YYYY-MM-DD).")]})
    for position, code in enumerate(header[1:], start=2):
        if code not in indicator_codes:
            errors.setdefault(_("row 1, column %(column)s") % {"column": code or position}, []).append(
                _("Unknown indicator; the county's indicators are %(codes)s.") % {"codes": ", ".join(indicator_codes)}
            )
    if len(set(header)) != len(header):
        errors.setdefault(_("row 1"), []).append(_("A column is named twice."))
    if errors:
        raise ValidationError(errors)
    items: list[FigureInput] = []
    for number, cells in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            raise ValidationError({"file": [_("The file has more than %(count)d rows.") % {"count": MAX_ROWS}]})
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            errors.setdefault(_("row %(row)d") % {"row": number}, []).append(
                _("The row has more cells than the header.")
            )
            continue
        raw_date = cells[0].strip()
        try:
            day: datetime.date | None = datetime.date.fromisoformat(raw_date)
        except ValueError:
            errors.setdefault(_("row %(row)d, column %(column)s") % {"row": number, "column": header[0]}, []).append(
                _("%(value)s is not a date (YYYY-MM-DD).") % {"value": raw_date[:20] or "–"}
            )
            day = None
        for code, cell in zip(header[1:], cells[1:], strict=False):
            raw = cell.strip().replace(" ", "").replace("\u00a0", "")
            if not raw:
                continue
            if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
                errors.setdefault(_("row %(row)d, column %(column)s") % {"row": number, "column": code}, []).append(
                    _("%(value)s is not a whole number from 0 up.") % {"value": raw[:20]}
                )
                continue
            if day is not None:
                items.append(FigureInput(date=day, indicator=code, value=int(raw), row=number))
    if errors:
        raise ValidationError(errors)
    if not items:
        raise ValidationError({"file": [_("The file holds no figures.")]})
    return items
