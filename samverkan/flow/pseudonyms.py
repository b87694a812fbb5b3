"""Personnummer: validated (date of birth and check digit, by python-stdnum) and turned into a
keyed pseudonym (HMAC-SHA256) at once.

The raw number is never stored, logged or put in an error message (errors name the row). Outside
its own column a personnummer is refused: `contains_personnummer` finds one in any text."""

from __future__ import annotations

import datetime
import hashlib
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumInvalid
from stdnum.se import personnummer as stdnum_personnummer

_SHAPE = re.compile(r"^(\d{2})?(\d{6})[-+]?(\d{4})$")
# Anything shaped like a personnummer inside a text (an error message, a free-text note): to be
# masked or refused, never stored or shown.
PERSONNUMMER_LIKE = re.compile(r"(?<!\d)(\d{2})?\d{6}[-+ ]?\d{4}(?!\d)")
_DIGITS = b"0123456789"


class InvalidPersonnummer(ValueError):
    """The value is not a valid personnummer. The message never contains the value."""


def is_personnummer(text: str) -> bool:
    """Whether `text` (10 or 12 digits, with or without a separator) is a real personnummer: a
    day that exists and a valid check digit; or a samordningsnummer, the same with the day of
    birth + 60. Organisation numbers (their "month" is 20 or more) are neither."""
    try:
        normalise(text)
    except InvalidPersonnummer:
        return False
    return True


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


def birth_date(number: str) -> datetime.date:
    """The date of birth a personnummer or samordningsnummer (the day + 60) gives, by
    python-stdnum (a 10-digit number: the century that makes the person at most 100 years old
    today, or older with a '+'). Raises stdnum's ValidationError for a day that does not exist."""
    compact = stdnum_personnummer.compact(number)  # YYYYMMDD-NNNN or YYMMDD-NNNN (or + for 100 and older)
    day = int(compact[-7:-5])
    if day > 60:
        compact = f"{compact[:-7]}{day - 60:02d}{compact[-5:]}"
    return stdnum_personnummer.get_birth_date(compact)


def is_organisation_number(text: str) -> bool:
    """Whether a number of a personnummer's shape is an organisation number: its "month" (the
    third and fourth of its last ten digits) is 20 or more, which no date of birth has."""
    digits = "".join(c for c in text if c.isdigit())[-10:]
    return len(digits) == 10 and int(digits[2:4]) >= 20


def mask_personnummer(text: str, mask: str = "…") -> str:
    """`text` with every number of a personnummer's shape replaced by `mask`, valid or not (a
    mistyped personnummer still points at a person), except organisation numbers: a unit code
    such as SE2321000180-MED1 (its "month" is 20 or more) is what the importer needs to see to
    map it."""
    if len(text) < 10:
        return text
    return PERSONNUMMER_LIKE.sub(lambda match: match.group() if is_organisation_number(match.group()) else mask, text)


def looks_like_personnummer(text: str) -> bool:
    """Whether `text` holds a number of a personnummer's shape that is not an organisation
    number (see mask_personnummer): what a preview hides, valid or not."""
    return any(not is_organisation_number(match.group()) for match in PERSONNUMMER_LIKE.finditer(text))


def normalise(raw: str) -> str:
    """12 digits (century included) from 10 or 12 digits with or without a separator, checked
    with python-stdnum: the Luhn check digit and a date of birth that exists (the day + 60 for a
    samordningsnummer). A 10-digit number gets the century that makes the person at most 100
    years old today; '+' marks someone 100 or older."""
    value = raw.strip().replace(" ", "")
    match = _SHAPE.match(value)
    if not match:
        raise InvalidPersonnummer(_("not 10 or 12 digits"))
    _century, body, tail = match.groups()
    ten = body + tail
    try:
        luhn.validate(ten)
    except StdnumInvalid:
        raise InvalidPersonnummer(_("checksum does not match")) from None
    century = century_of(value)
    if not century:
        raise InvalidPersonnummer(_("no such date of birth"))
    return century + ten


def century_of(value: str) -> str:
    """The first two digits of the year of birth of a personnummer of _SHAPE (without spaces),
    "" for a date of birth that does not exist. Depends only on `value[:-4]` (the digits before
    the serial, and the separator), which is cached: see _CENTURIES."""
    head = value[:-4]
    century = _CENTURIES.get(head)
    if century is None:
        try:
            century = f"{birth_date(value).year:04d}"[:2]
        except StdnumInvalid:
            century = ""
        if len(_CENTURIES) > 100_000:
            _CENTURIES.clear()
        _CENTURIES[head] = century
    return century


# The hot path of a large import: the dates of birth checked so far (the number before its
# serial → the century, "" for a date that does not exist). A million numbers have some 40 000
# dates of birth between them; the check digit is checked for every number.
_CENTURIES: dict[str, str] = {}


# HMAC-SHA256 (RFC 2104) as SHA-256 of the key's inner pad and message, then of its outer pad and
# that digest: the two hashes of the pads made once per key and copied per number, which are C
# calls only (the standard library's hmac wraps each copy in Python; a test holds the two equal).
_BLOCK = 64  # SHA-256's block size in bytes
_INNER = bytes(x ^ 0x36 for x in range(256))
_OUTER = bytes(x ^ 0x5C for x in range(256))
_keyed: dict[str, tuple[Any, Any]] = {}  # the key → SHA-256 of its inner and outer pads


def _pads(key: str) -> tuple[Any, Any]:
    found = _keyed.get(key)
    if found is None:
        raw = key.encode()
        if len(raw) > _BLOCK:
            raw = hashlib.sha256(raw).digest()
        raw = raw.ljust(_BLOCK, b"\0")
        found = (hashlib.sha256(raw.translate(_INNER)), hashlib.sha256(raw.translate(_OUTER)))
        _keyed.clear()
        _keyed[key] = found
    return found


def pseudonyms(normalised: list[str]) -> list[str]:
    """`pseudonym` of many numbers already normalised (12 digits, checked): a columnar import's
    personnummer column (samverkan/flow/columnar.py)."""
    inner, outer = _pads(settings.PSEUDONYM_KEY)
    inner_copy, outer_copy = inner.copy, outer.copy
    found: list[str] = []
    append = found.append
    for number in normalised:
        message = inner_copy()
        message.update(number.encode())
        digest = outer_copy()
        digest.update(message.digest())
        append(digest.hexdigest())
    return found


def pseudonym(raw: str) -> str:
    """HMAC-SHA256 of the normalised number with the PSEUDONYM_KEY; the same person gets the same
    pseudonym in every file, and without the key it cannot be turned back."""
    return pseudonyms([normalise(raw)])[0]
