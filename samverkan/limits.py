"""How far what a request carries may reach: bounds that the API schemas (samverkan/apischema.py),
the forms and the imports share, so that a value is refused where it comes in, with a message,
instead of failing deep inside a computation.

- Dates: years 1900 to 2199. Far beyond any stay, report or plan, and far enough from Python's
  calendar (years 1 to 9999) that a date may be moved by days, weeks or a time zone: a date in
  year 1 or 9999 left the calendar after one such step (a server error).
- Ids: database keys, 1 to 2⁶³ − 1 (BigAutoField); a larger number cannot even be looked up.
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2199, 12, 31)
MAX_ID = 2**63 - 1


def date_in_range(value: datetime.date) -> bool:
    """Whether a date (or the day of a time) lies within EARLIEST_DATE … LATEST_DATE."""
    day = value.date() if isinstance(value, datetime.datetime) else value
    return EARLIEST_DATE <= day <= LATEST_DATE


def date_range_message() -> str:
    return _("Use a date between %(earliest)s and %(latest)s.") % {
        "earliest": EARLIEST_DATE.isoformat(),
        "latest": LATEST_DATE.isoformat(),
    }


def validate_date(value: datetime.date) -> None:
    """A validator for forms and models: the date within range."""
    if value is not None and not date_in_range(value):
        raise ValidationError(date_range_message(), code="date_range")


class DateField(forms.DateField):
    """A form's date, refused outside EARLIEST_DATE … LATEST_DATE."""

    default_validators = [validate_date]


def key(text: str | None) -> int | None:
    """A database id written in a query or form value, or None when it is not one (not a whole
    number, or outside 1 … MAX_ID)."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def month(text: str | None) -> tuple[int, int] | None:
    """(year, month) from "YYYY-MM", or None unless it is a month within the date range."""
    try:
        year, number = (int(part) for part in (text or "").split("-"))
        first = datetime.date(year, number, 1)
    except (ValueError, OverflowError):
        return None
    return (year, number) if date_in_range(first) else None


def errors_to_form(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError shown on the form: each message at its field when the form has
    that field, the rest (and a message without fields) at the top."""
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)
