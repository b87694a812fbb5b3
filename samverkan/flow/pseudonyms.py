"""Personnummer: validated by checksum and turned into a keyed pseudonym at once.

The raw number is never stored, logged or put in an error message (errors name the row). Outside
its own column a personnummer is refused: `contains_personnummer` finds one in any text."""

from __future__ import annotations

import datetime
import hashlib
import re

from django.conf import settings
from stdnum.exceptions import ValidationError as StdnumInvalid
from stdnum.se import personnummer as stdnum_personnummer

_SHAPE = re.compile(r"^(\d{2})?(\d{6})[-+]?(\d{4})$")
# Anything shaped like a personnummer inside a text (an error message, a free-text note): to be
# masked or refused, never stored or shown.
PERSONNUMMER_LIKE = re.compile(r"(?<!\d)(\d{2})?\d{6}[-+ ]?\d{4}(?!\d)")
_DIGITS = b"0123456789"


class InvalidPersonnummer(ValueError):
    """The value is not a valid personnummer. The message never contains the value."""


# The digit sum of twice each digit (0→0, 5→10→1, 9→18→9), indexed by the digit's ASCII code.
_DOUBLED = bytes.maketrans(b"0123456789", bytes([0, 2, 4, 6, 8, 1, 3, 5, 7, 9]))


def luhn_valid(digits: str) -> bool:
    """The Luhn check of a string of ASCII digits: every other digit (from the first) doubled."""
    raw = digits.encode("ascii")
    doubled, single = raw[0::2], raw[1::2]
    return (sum(doubled.translate(_DOUBLED)) + sum(single) - 48 * len(single)) % 10 == 0


def is_personnummer(text: str) -> bool:
    """Whether `text` (10 or 12 digits, with or without a separator) is a real personnummer: a
    day that exists and a valid check digit; or a samordningsnummer, the same with the day of
    birth + 60. Organisation numbers (their "month" is 20 or more) are neither."""
    if stdnum_personnummer.is_valid(text):
        return True
    number = stdnum_personnummer.compact(text)  # YYYYMMDD-NNNN or YYMMDD-NNNN (or + for 100 and older)
    digits = number[:-5] + number[-4:]
    if len(digits) not in (10, 12) or not digits.isdigit() or int(number[-7:-5]) <= 60:
        return False
    born = f"{number[:-7]}{int(number[-7:-5]) - 60:02d}{number[-5:]}"
    try:
        stdnum_personnummer.get_birth_date(born)
    except StdnumInvalid:
        return False
    return luhn_valid(digits[-10:])


def contains_personnummer(text: str) -> bool:
    """Whether a personnummer or samordningsnummer (see is_personnummer) stands anywhere in `text`.
    On an import's hot path: a text with fewer than 10 digits (most source ids and codes) is ruled
    out by counting them, which costs a fraction of the pattern's search."""
    if len(text) < 10:
        return False
    raw = text.encode()
    if len(raw) - len(raw.translate(None, _DIGITS)) < 10:
        return False
    return any(is_personnummer(match.group()) for match in PERSONNUMMER_LIKE.finditer(text))


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
        year_now = datetime.date.today().year  # noqa: DTZ011 - only the century is derived
        two = int(body[:2])
        century_int = (year_now - two) // 100 if "+" not in value else (year_now - two - 100) // 100
        full_year = century_int * 100 + two
        if full_year > year_now:
            full_year -= 100
        century = str(full_year)[:2]
    return century + ten


_keyed: dict[str, tuple] = {}  # the key → SHA-256 states after its inner and outer pads (RFC 2104)


def _pads(key: str) -> tuple:
    pads = _keyed.get(key)
    if pads is None:
        raw = key.encode()
        if len(raw) > 64:
            raw = hashlib.sha256(raw).digest()
        raw = raw.ljust(64, b"\x00")
        pads = (hashlib.sha256(bytes(b ^ 0x36 for b in raw)), hashlib.sha256(bytes(b ^ 0x5C for b in raw)))
        _keyed.clear()
        _keyed[key] = pads
    return pads


def pseudonym(raw: str) -> str:
    """HMAC-SHA256 of the normalised number with the PSEUDONYM_KEY; the same person gets the same
    pseudonym in every file, and without the key it cannot be turned back. (HMAC as in RFC 2104,
    from the hash states after the pads, computed once per key: an import hashes a million numbers.)"""
    inner_pad, outer_pad = _pads(settings.PSEUDONYM_KEY)
    inner = inner_pad.copy()
    inner.update(normalise(raw).encode())
    outer = outer_pad.copy()
    outer.update(inner.digest())
    return outer.hexdigest()
