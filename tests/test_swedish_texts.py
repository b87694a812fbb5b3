"""Swedish everywhere (issue 16, part 9): the catalogue has Swedish for every text, dates read
"19 nov–2 dec", unit kinds are words in the exports, error reasons are Swedish too."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import load_workbook

from samverkan.capacity.tests.helpers import at, local, report
from samverkan.flow import validation
from samverkan.testing import login

CATALOGUE = Path(__file__).resolve().parent.parent / "samverkan" / "locale" / "sv" / "LC_MESSAGES" / "django.po"


def _untranslated(text: str) -> list[str]:
    """msgids of the catalogue whose Swedish is empty or marked fuzzy."""
    missing = []
    for block in text.split("\n\n")[1:]:
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        strings, current = {}, None
        for line in lines:
            if line.startswith(("msgid", "msgstr", "msgctxt")):
                current, _space, value = line.partition(" ")
                strings[current] = value[1:-1]
            elif line.startswith('"') and current:
                strings[current] += line[1:-1]
        empty = any(value == "" for key, value in strings.items() if key.startswith("msgstr"))
        if fuzzy or empty:
            missing.append(strings.get("msgid", ""))
    return missing


def test_the_reading_of_the_catalogue_finds_a_missing_translation():
    sample = '# header\n\n#: a.py:1\nmsgid "Free"\nmsgstr "Lediga"\n\n#: b.py:2\nmsgid "Occupied"\nmsgstr ""\n\n'
    sample += '#, fuzzy\nmsgid "Stale"\nmsgstr "Gammal"\n'
    assert _untranslated(sample) == ["Occupied", "Stale"]


def test_every_text_of_the_catalogue_has_swedish():
    assert _untranslated(CATALOGUE.read_text(encoding="utf-8")) == []


def test_a_wrong_check_digit_is_explained_in_swedish():
    with translation.override("sv"), pytest.raises(validation.Invalid) as refused:
        validation.personnummer("19470318-4864", None, None)  # type: ignore[arg-type]
    assert str(refused.value) == "Inte ett giltigt personnummer (kontrollsiffran stämmer inte)."


@pytest.mark.django_db
def test_reporting_days_read_as_swedish_dates(world, client):
    with at(local(2026, 12, 2, 12)):
        body = login(client, world.region_coordinator).get("/kapacitet/rapportering/?county=20").content.decode()
    caption = re.search(r'id="completeness-caption">([^<]*)<', body)
    assert caption is not None
    assert re.fullmatch(r"Rapporteringsdagar \d{1,2} (nov|dec)–2 dec", caption.group(1).strip()), caption.group(1)


@pytest.mark.django_db
def test_the_capacity_export_names_unit_kinds_in_swedish(world, client):
    report(world.lunden, world.lunden_staff)
    sheet = load_workbook(io.BytesIO(login(client, world.region_coordinator).get("/kapacitet/export.xlsx").content))
    kinds = [row[3] for row in sheet.active.iter_rows(min_row=2, values_only=True) if row[2]]
    assert "Korttidsenhet" in kinds
    assert "short_term" not in kinds


def test_dates_are_never_formatted_with_an_english_capital_month():
    """Django's "M" gives "Nov" in Swedish too; "b" gives "nov"."""
    templates = Path(__file__).resolve().parent.parent / "samverkan"
    offenders = [
        str(path)
        for path in templates.rglob("*.html")
        if re.search(r'date:"[^"]*\bM\b', path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
