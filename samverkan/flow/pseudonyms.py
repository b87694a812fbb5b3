"""Personnummer: validated by checksum and turned into a keyed pseudonym at once.

The raw number is never stored, logged or put in an error message (errors name the row)."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

_SHAPE = re.compile(r"^(\d{2})?(\d{6})[-+]?(\d{4})$")


class InvalidPersonnummer(ValueError):
    """The value is not a valid personnummer. The message never contains the value."""


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def normalise(raw: str) -> str:
    """12 digits (century included) from 10 or 12 digits with or without a separator.
    A 10-digit number gets the century that makes the person at most 100 years old today;
    '+' marks someone 100 or older."""
    value = raw.strip().replace(" ", "")
    match = _SHAPE.match(value)
    if not match:
        raise InvalidPersonnummer("not 10 or 12 digits")
    century, body, tail = match.groups()
    ten = body + tail
    if not luhn_valid(ten[:10]):
        raise InvalidPersonnummer("checksum does not match")
    if century is None:
        import datetime

        year_now = datetime.date.today().year  # noqa: DTZ011 - only the century is derived
        two = int(body[:2])
        century_int = (year_now - two) // 100 if "+" not in value else (year_now - two - 100) // 100
        full_year = century_int * 100 + two
        if full_year > year_now:
            full_year -= 100
        century = str(full_year)[:2]
    return century + ten


def pseudonym(raw: str) -> str:
    """HMAC-SHA256 of the normalised number with the PSEUDONYM_KEY; the same person gets the same
    pseudonym in every file, and without the key it cannot be turned back."""
    return hmac.new(settings.PSEUDONYM_KEY.encode(), normalise(raw).encode(), hashlib.sha256).hexdigest()
