"""A personnummer (or samordningsnummer) outside the personnummer column is refused, by its row and
column and without repeating it, on every way in: CSV, Excel, FHIR and the API. Issue 17, finding 4:
one in source_id used to be stored in clear and shown in the episode list."""

from __future__ import annotations

import copy
import io
import json
import logging

import pytest
from openpyxl import Workbook

from samverkan.accounts.services import api_key_create
from samverkan.flow.fhir import read_fhir
from samverkan.flow.imports import CANONICAL_COLUMNS, import_rows
from samverkan.flow.models import DestinationMapping, Episode, UnitMapping
from samverkan.flow.pseudonyms import contains_personnummer, is_personnummer
from samverkan.flow.tests.helpers import (
    csv_bytes,
    database_text,
    flow_rows_text,
    forms,
    leaks,
    personnummer,
    row,
    run_import,
    where,
)
from samverkan.flow.tests.test_fhir import BUNDLE
from samverkan.flow.validation import as_json
from samverkan.flow.workbooks import read_xlsx
from samverkan.organisations import policy

pytestmark = pytest.mark.django_db

PERSON = personnummer("19470318", "486")  # 19470318-4863
# A samordningsnummer: the day of birth (1990-05-14) + 60, with its own check digit.
COORDINATION = personnummer("19900574", "231")
REFUSED = (
    "Holds a personnummer (or samordningsnummer). Personal identity numbers belong only in the "
    "personnummer column, which is replaced by a pseudonym; remove it from this column."
)


def test_what_counts_as_a_personnummer_is_a_real_day_and_a_valid_check_digit():
    assert all(is_personnummer(written) for written in forms(PERSON))
    assert is_personnummer(COORDINATION) and is_personnummer(COORDINATION[2:])
    assert not is_personnummer("19470318-4864")  # check digit
    assert not is_personnummer(personnummer("19470231", "486"))  # no 31 February
    assert not is_personnummer(personnummer("19900594", "231"))  # day 34 as a samordningsnummer
    # Organisation numbers: the third digit is 2 or more, no month; Falun's municipality, a company.
    assert not is_personnummer("212000-2080") and not is_personnummer("5566778899")
    assert contains_personnummer(f"K-{PERSON}-2") and contains_personnummer(f"visit {PERSON[2:].replace('-', '')}")
    assert not contains_personnummer("S1-00000001") and not contains_personnummer("212000-2080")


FREE_TEXT = ["source_id", "hospital_unit", "destination"]


@pytest.mark.parametrize("written", [PERSON, PERSON[2:].replace("-", ""), f"E-{PERSON}", COORDINATION])
@pytest.mark.parametrize("column", FREE_TEXT)
def test_a_personnummer_in_a_free_text_column_is_refused_by_row_and_column(source, caplog, column, written):
    caplog.set_level(logging.DEBUG)
    result = run_import(source, csv_bytes(row(**{"source_id": "E1", column: written})))

    assert as_json(result.errors) == [{"row": 2, "column": column, "message": REFUSED}]
    assert not Episode.objects.exists()
    number = COORDINATION if written == COORDINATION else PERSON
    assert not leaks(number, database_text(), flow_rows_text(), caplog.text, str(result.errors))


def test_even_a_mapped_code_that_is_a_personnummer_is_refused(source, world):
    UnitMapping.objects.create(source=source, code=PERSON, unit=world.falun_ward)
    DestinationMapping.objects.create(source=source, code=PERSON[2:], destination="home")
    result = run_import(source, csv_bytes(row(hospital_unit=PERSON, destination=PERSON[2:])))

    assert where(result.errors) == [(2, "hospital_unit"), (2, "destination")]


@pytest.mark.parametrize("column", [c for c in CANONICAL_COLUMNS if c not in ("personnummer", *FREE_TEXT)])
def test_every_other_column_refuses_a_personnummer_by_its_own_rule_without_quoting_it(source, caplog, column):
    caplog.set_level(logging.DEBUG)
    result = run_import(source, csv_bytes(row(**{column: PERSON})))

    assert where(result.errors) == [(2, column)]
    assert not leaks(PERSON, database_text(), flow_rows_text(), caplog.text, str(result.errors))


def test_an_organisation_number_as_source_id_is_imported(source):
    result = run_import(source, csv_bytes(row(source_id="212000-2080")))

    assert result.ok, result.errors
    assert Episode.objects.get().record_id == "212000-2080"


def test_an_excel_cell_holding_a_personnummer_as_a_number_is_refused(source):
    workbook = Workbook()
    workbook.active.append(CANONICAL_COLUMNS)
    values = row(source_id=int(PERSON.replace("-", "")))
    workbook.active.append([values.get(c) for c in CANONICAL_COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_rows(source=source, rows=read_xlsx(buffer.getvalue()), by=policy.SYSTEM)

    assert as_json(result.errors) == [{"row": 2, "column": "source_id", "message": REFUSED}]


def test_a_fhir_encounter_identified_by_a_personnummer_is_refused_by_entry_and_element(source):
    document = copy.deepcopy(BUNDLE)
    entry, encounter = next(
        (i, e["resource"]) for i, e in enumerate(document["entry"]) if e["resource"]["resourceType"] == "Encounter"
    )
    encounter["identifier"] = [{"system": "urn:oid:1.2.752.129.2.1.3.1", "value": PERSON}]
    result = import_rows(source=source, rows=read_fhir(json.dumps(document).encode()), by=policy.SYSTEM)

    assert {"row": entry, "column": "Encounter.identifier[0].value", "message": REFUSED, "kind": "entry"} in (
        as_json(result.errors)
    )
    assert not Episode.objects.exists()
    assert not leaks(PERSON, database_text(), str(result.errors))


def test_the_api_refuses_a_personnummer_as_source_id_without_repeating_it(client, world):
    _, key = api_key_create(organisation=world.region, name="Cosmic", role="region_coordinator", by=policy.SYSTEM)
    episode = {"source_id": PERSON, "home_municipality": "2080", "care_type": "somatic", "admitted_at": "2026-10-01"}
    response = client.post(
        "/api/v1/flow/episodes",
        {"source": "Cosmic", "county": "20", "episodes": [episode]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert response.status_code == 422
    [refused] = response.json()["errors"]
    assert (refused["row"], refused["column"]) == (1, "source_id")
    assert refused["message"].startswith("Innehåller ett personnummer")  # the API answers in Swedish
    assert not leaks(PERSON, response.content.decode(), database_text())
