"""Importing episodes: every bad row and bad file is refused with its row and column and nothing
changes; a good file creates or updates episodes in place, idempotently and audited; the
personnummer is stored nowhere; and who sees the episode rows."""

from __future__ import annotations

import datetime
import logging

import pytest
import time_machine

from samverkan.audit.models import AuditEvent
from samverkan.flow import imports
from samverkan.flow.imports import CANONICAL_COLUMNS, REQUIRED_COLUMNS, source_for
from samverkan.flow.models import (
    CareType,
    Destination,
    DestinationMapping,
    Episode,
    ImportRun,
    ImportStatus,
    Sex,
    UnitMapping,
)
from samverkan.flow.pseudonyms import pseudonym
from samverkan.flow.tests.helpers import (
    counts,
    csv_bytes,
    csv_text,
    database_text,
    episodes,
    flow_rows_text,
    leaks,
    local,
    personnummer,
    row,
    run_import,
    where,
)
from samverkan.flow.validation import as_json

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
PERSON = personnummer("19470318", "486")  # 19470318-4863


def imported(source, *rows: dict[str, str], **csv_options):
    """Import `rows` (written with `csv_options`) and insist that it worked."""
    result = run_import(source, csv_bytes(*rows, **csv_options))
    assert result.ok, result.errors
    return result


@pytest.fixture
def existing(source):
    """One episode already imported (admitted, not yet discharged); the database as it then was."""
    imported(source, row(source_id="E0", personnummer=PERSON, ready_at="2025-10-03T10:00"))
    return {"episodes": episodes(), "counts": counts()}


def assert_rejected_and_nothing_changed(result, before: dict, *, imports_saved: int = 1) -> ImportRun:
    """The import was refused: the episodes are as they were, and (unless a dry run) one rejected
    import run keeps every error, with its one audit event (flow.import_rejected) and no other."""
    assert not result.ok
    assert result.errors and result.total_errors >= len(result.errors)
    assert episodes() == before["episodes"]
    assert counts() == {
        **before["counts"],
        "imports": before["counts"]["imports"] + imports_saved,
        "audit": before["counts"]["audit"] + imports_saved,
    }
    if not imports_saved:
        return result.run
    run = ImportRun.objects.get(pk=result.run.pk)
    rejected = AuditEvent.objects.latest("id")
    assert (rejected.event_type, rejected.object_id) == ("flow.import_rejected", str(run.pk))
    assert rejected.after == {"rows": run.rows, "errors": result.total_errors}
    assert run.status == ImportStatus.REJECTED
    assert run.errors == as_json(result.errors)
    assert (run.created, run.updated, run.unchanged) == (0, 0, 0)
    return run


# --- A good file ---------------------------------------------------------------------------------


def test_a_valid_file_creates_one_episode_per_row_with_every_field(source, settings):
    full = row(
        source_id="E1",
        personnummer=PERSON,
        birth_year="1947",
        sex="f",
        home_municipality="2084",
        care_type="Psychiatric",
        admitted_at="2025-10-01T08:00",
        admission_notice_at="2025-10-01T09:00",
        estimated_discharge_date="2025-10-07",
        ready_at="2025-10-05T10:00",
        sip_called_at="2025-10-05T11:00",
        discharged_at="2025-10-06T12:00",
        destination="short_term",
        covid="1",
    )
    result = imported(source, full, row(source_id="E2", home_municipality="180"))

    run = ImportRun.objects.get()
    assert (run.status, run.rows, run.created, run.updated, run.unchanged) == (ImportStatus.DONE, 2, 2, 0, 0)
    assert run.errors == [] and result.run == run and run.filename == "episoder.csv"
    first = Episode.objects.get(record_id="E1")
    assert first.source == source
    assert first.pseudonym == pseudonym(PERSON)
    assert (first.birth_year, first.sex, first.home_municipality_id) == (1947, Sex.FEMALE, "2084")
    assert (first.care_type, first.covid, first.destination) == (CareType.PSYCHIATRIC, True, Destination.SHORT_TERM)
    assert first.admitted_at == local(2025, 10, 1, 8, 0)
    assert first.admission_notice_at == local(2025, 10, 1, 9, 0)
    assert first.estimated_discharge_date == datetime.date(2025, 10, 7)
    assert first.ready_at == local(2025, 10, 5, 10, 0)
    assert first.sip_called_at == local(2025, 10, 5, 11, 0)
    assert first.discharged_at == local(2025, 10, 6, 12, 0)
    second = Episode.objects.get(record_id="E2")
    assert second.home_municipality_id == "0180"  # a leading zero lost in Excel is put back
    assert (second.pseudonym, second.birth_year, second.sex, second.covid) == ("", None, Sex.UNKNOWN, False)
    assert (second.hospital_unit, second.discharged_at, second.destination) == (None, None, "")
    event = AuditEvent.objects.get(event_type__startswith="flow.")
    assert (event.event_type, event.object_type, event.object_id) == ("flow.import_done", "flow.importrun", str(run.pk))
    assert event.after == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    assert event.actor_label == "system"


def test_a_file_with_only_the_required_columns_is_imported(source):
    imported(source, row(), columns=REQUIRED_COLUMNS)
    assert Episode.objects.get().record_id == "E1"


def test_a_semicolon_separated_file_is_recognised(source):
    imported(source, row(), delimiter=";")
    assert Episode.objects.count() == 1


def test_a_utf8_file_with_a_byte_order_mark_is_imported(source):
    result = run_import(source, b"\xef\xbb\xbf" + csv_bytes(row()))
    assert result.ok, result.errors
    assert Episode.objects.get().record_id == "E1"


def test_a_windows_1252_file_is_detected_and_its_mapped_codes_imported(source):
    DestinationMapping.objects.create(source=source, code="Särskilt boende", destination=Destination.NURSING_HOME)
    data = csv_text(row(discharged_at="2025-10-06T12:00", destination="Särskilt boende")).encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really not UTF-8

    result = run_import(source, data)

    assert result.ok, result.errors
    assert Episode.objects.get().destination == Destination.NURSING_HOME


# --- Bad rows: every one refused with its row and column, nothing changes ------------------------

BAD_ROWS = [
    pytest.param(
        {"home_municipality": "2099"},
        "home_municipality",
        "Unknown municipality code '2099'.",
        id="unknown-municipality",
    ),
    pytest.param(
        {"home_municipality": ""},
        "home_municipality",
        "Required: the four-digit SCB municipality code.",
        id="no-municipality",
    ),
    pytest.param(
        {"hospital_unit": "MED-FALUN"},
        "hospital_unit",
        "Unknown unit code 'MED-FALUN' for Cosmic; map it first.",
        id="unknown-unit",
    ),
    pytest.param(
        {"personnummer": "19470318-4864"},
        "personnummer",
        "Not a valid personnummer (checksum does not match).",
        id="personnummer-checksum",
    ),
    pytest.param(
        {"personnummer": "19470318-486"},
        "personnummer",
        "Not a valid personnummer (not 10 or 12 digits).",
        id="personnummer-shape",
    ),
    pytest.param(
        {"discharged_at": "2025-09-30T08:00"},
        "discharged_at",
        "Discharge is before admission.",
        id="discharge-before-admission",
    ),
    pytest.param(
        {"ready_at": "2025-10-01T07:59"},
        "ready_at",
        "The ready-for-discharge notice is before admission.",
        id="ready-before-admission",
    ),
    pytest.param(
        {"ready_at": "2025-10-05T10:00", "discharged_at": "2025-10-04T10:00"},
        "discharged_at",
        "Discharge is before the ready-for-discharge notice.",
        id="discharge-before-ready",
    ),
    pytest.param(
        {"destination": "Hemmet"},
        "destination",
        "Unknown destination 'Hemmet': use " + ", ".join(Destination.values) + " or map the code.",
        id="unknown-destination",
    ),
    pytest.param(
        {"care_type": "geriatric"},
        "care_type",
        "Use somatic or psychiatric, not 'geriatric'.",
        id="unknown-care-type",
    ),
    pytest.param({"care_type": ""}, "care_type", "Use somatic or psychiatric, not ''.", id="no-care-type"),
    pytest.param({"admitted_at": ""}, "admitted_at", "Required.", id="no-admission"),
    pytest.param(
        {"admitted_at": "01/10/2025 08:00"},
        "admitted_at",
        "'01/10/2025 08:00' is not an ISO 8601 time (e.g. 2026-03-04T08:15).",
        id="not-iso-time",
    ),
    pytest.param(
        {"sip_called_at": "2025-02-30T08:00"},
        "sip_called_at",
        "'2025-02-30T08:00' is not a valid time.",
        id="impossible-date",
    ),
    pytest.param(
        {"estimated_discharge_date": "7/10/2025"},
        "estimated_discharge_date",
        "'7/10/2025' is not a date (YYYY-MM-DD).",
        id="estimated-date",
    ),
    pytest.param({"birth_year": "1850"}, "birth_year", "'1850' is not a plausible birth year.", id="birth-year"),
    pytest.param({"sex": "K"}, "sex", "Use F, M or U, not 'K'.", id="sex"),
    pytest.param({"covid": "ja"}, "covid", "Use 0, 1, true or false, not 'ja'.", id="covid"),
    pytest.param({"source_id": ""}, "source_id", "Required.", id="no-source-id"),
    pytest.param({"source_id": "X" * 65}, "source_id", "At most 64 characters.", id="long-source-id"),
]


@pytest.mark.parametrize(("changes", "column", "message"), BAD_ROWS)
def test_a_bad_row_rejects_the_whole_file_naming_row_and_column(source, existing, changes, column, message):
    data = csv_bytes(
        row(source_id="E0", personnummer=PERSON, ready_at="2025-10-03T10:00", discharged_at="2025-10-04T10:00"),
        row(source_id="E1"),
        row(**{"source_id": "E2", **changes}),
    )

    result = run_import(source, data)

    assert as_json(result.errors) == [{"row": 4, "column": column, "message": message}]
    run = assert_rejected_and_nothing_changed(result, existing)
    assert run.rows == 3


def test_a_time_more_than_a_day_ahead_is_refused_but_one_within_a_day_accepted(source, existing):
    now = local(2026, 3, 4, 9, 0)
    with time_machine.travel(now, tick=False):
        ahead = run_import(
            source,
            csv_bytes(
                row(source_id="E1", admitted_at="2026-03-05T09:00"),  # exactly 24 h: a clock a little ahead
                row(source_id="E2", admitted_at="2026-03-05T09:01"),
                row(source_id="E3", admitted_at="2026-03-04T08:00", ready_at="2026-03-06T08:00"),
            ),
        )
    assert where(ahead.errors) == [(3, "admitted_at"), (4, "ready_at")]
    assert {e.message for e in ahead.errors} == {"The time is in the future."}
    assert_rejected_and_nothing_changed(ahead, existing)

    with time_machine.travel(now, tick=False):
        imported(source, row(source_id="E1", admitted_at="2026-03-05T09:00"))
    assert Episode.objects.get(record_id="E1").admitted_at == local(2026, 3, 5, 9, 0)


def test_a_unit_mapping_for_the_source_makes_its_unit_code_valid(source, world):
    other_system = source_for("20", "Millennium")
    UnitMapping.objects.create(source=other_system, code="MED-FALUN", unit=world.lunden)
    refused = run_import(source, csv_bytes(row(hospital_unit="MED-FALUN")))
    assert where(refused.errors) == [(2, "hospital_unit")]  # another system's codes do not count

    UnitMapping.objects.create(source=source, code="MED-FALUN", unit=world.falun_ward)
    imported(source, row(hospital_unit="MED-FALUN"))

    assert Episode.objects.get().hospital_unit == world.falun_ward


def test_a_destination_mapping_makes_the_source_code_valid_and_the_fixed_codes_need_none(source):
    refused = run_import(source, csv_bytes(row(destination="SÄBO")))
    assert where(refused.errors) == [(2, "destination")]

    DestinationMapping.objects.create(source=source, code="SÄBO", destination=Destination.NURSING_HOME)
    imported(source, row(source_id="E1", destination="SÄBO"), row(source_id="E2", destination="home_care"))

    assert dict(Episode.objects.values_list("record_id", "destination")) == {
        "E1": Destination.NURSING_HOME,
        "E2": Destination.HOME_CARE,
    }


def test_a_source_id_twice_in_the_file_is_refused_on_its_second_row(source, existing):
    result = run_import(source, csv_bytes(row(source_id="E1"), row(source_id="E2"), row(source_id="E1")))

    assert as_json(result.errors) == [
        {"row": 4, "column": "source_id", "message": "Duplicate source id: also on row 2."}
    ]
    assert_rejected_and_nothing_changed(result, existing)


def test_every_error_in_the_file_is_reported_not_just_the_first(source, existing):
    data = (
        csv_bytes(
            row(source_id="E1"),
            row(source_id="E2", home_municipality="9999", care_type="x"),
            row(source_id="E3"),
            row(source_id="E4", discharged_at="2025-09-01T08:00"),
            row(source_id="E1"),
        )
        + b"E6,,,,2080\n"
    )

    result = run_import(source, data)

    assert where(result.errors) == [
        (3, "home_municipality"),
        (3, "care_type"),
        (5, "discharged_at"),
        (6, "source_id"),
        (7, None),
    ]
    assert result.total_errors == 5
    run = assert_rejected_and_nothing_changed(result, existing)
    assert run.rows == 6


def test_only_the_first_thousand_errors_are_kept_but_all_are_counted(source, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ERRORS_KEPT", 3)
    result = run_import(source, csv_bytes(*(row(source_id=f"E{i}", care_type="x") for i in range(5))))
    assert where(result.errors) == [(2, "care_type"), (3, "care_type"), (4, "care_type")]
    assert result.total_errors == 5
    assert ImportRun.objects.get().errors == as_json(result.errors)


# --- Bad files: refused before any row -----------------------------------------------------------


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_a_missing_required_column_is_named(source, existing, column):
    columns = [c for c in CANONICAL_COLUMNS if c != column]
    result = run_import(source, csv_bytes(row(), columns=columns))

    assert where(result.errors) == [(1, column)]
    assert result.errors[0].message.startswith(f"The required column {column} is missing.")
    assert_rejected_and_nothing_changed(result, existing)


def test_an_unknown_column_is_named_and_nothing_imported(source, existing):
    result = run_import(source, csv_bytes(row(patient_name="Anna"), columns=[*REQUIRED_COLUMNS, "patient_name"]))

    assert where(result.errors) == [(1, "patient_name")]
    assert result.errors[0].message.startswith("Unknown column patient_name. Known columns: source_id,")
    assert_rejected_and_nothing_changed(result, existing)


def test_a_column_given_twice_is_refused_rather_than_one_value_silently_winning(source, existing):
    data = b"source_id,home_municipality,care_type,admitted_at,source_id\nE1,2080,somatic,2025-10-01,E2\n"
    result = run_import(source, data)

    assert as_json(result.errors) == [
        {"row": 1, "column": "source_id", "message": "The column source_id appears more than once."}
    ]
    assert_rejected_and_nothing_changed(result, existing)


def test_a_semicolon_file_read_with_a_forced_comma_is_refused_as_a_wrong_delimiter(source, existing):
    result = run_import(source, csv_bytes(row(), delimiter=";"), delimiter=",")

    assert as_json(result.errors) == [
        {"row": 1, "column": None, "message": "The header has one column only: is the delimiter ',' right?"}
    ]
    assert_rejected_and_nothing_changed(result, existing)


def test_a_windows_1252_file_read_with_a_forced_utf8_is_refused(source, existing):
    data = csv_text(row(destination="Särskilt boende")).encode("cp1252")
    result = run_import(source, data, encoding="utf-8")

    assert as_json(result.errors) == [
        {"row": None, "column": None, "message": "The file is not valid utf-8. Save it as UTF-8 and try again."}
    ]
    assert_rejected_and_nothing_changed(result, existing)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="no-bytes"),
        pytest.param(b"\r\n \n", id="blank-lines"),
        pytest.param(b"\xef\xbb\xbf", id="byte-order-mark-only"),
        pytest.param(b"\xef\xbb\xbf\r\n", id="byte-order-mark-and-newline"),
    ],
)
def test_an_empty_file_is_refused(source, existing, data):
    result = run_import(source, data)

    assert as_json(result.errors) == [{"row": None, "column": None, "message": "The file is empty."}]
    assert_rejected_and_nothing_changed(result, existing)


@pytest.mark.parametrize("trailer", ["", "\n\n", ",,,\n"])
def test_a_header_without_rows_is_refused(source, existing, trailer):
    data = (",".join(REQUIRED_COLUMNS) + "\n" + trailer).encode()
    result = run_import(source, data)

    assert as_json(result.errors) == [{"row": None, "column": None, "message": "The file has a header but no rows."}]
    assert_rejected_and_nothing_changed(result, existing)


def test_a_last_line_cut_short_is_refused_by_its_row(source, existing):
    complete = csv_text(row(source_id="E1"), row(source_id="E2"), columns=REQUIRED_COLUMNS)
    result = run_import(source, (complete + "E3,2080,soma").encode())

    assert as_json(result.errors) == [
        {"row": 4, "column": None, "message": "has 3 fields, the header 4 (a truncated or broken line?)"}
    ]
    assert_rejected_and_nothing_changed(result, existing)


def test_a_last_line_cut_inside_a_time_is_refused_by_its_row_and_column(source, existing):
    complete = csv_text(row(source_id="E1"), columns=REQUIRED_COLUMNS)
    result = run_import(source, (complete + "E2,2080,somatic,2025-10-0").encode())

    assert where(result.errors) == [(3, "admitted_at")]
    assert_rejected_and_nothing_changed(result, existing)


def test_a_file_that_is_not_text_is_refused_without_a_crash(source, existing):
    spreadsheet = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x81\x8d\x90 [Content_Types].xml"
    result = run_import(source, spreadsheet)

    assert where(result.errors) == [(None, None)]
    assert result.errors[0].message.startswith("The file is neither UTF-8 nor Windows-1252 text.")
    assert_rejected_and_nothing_changed(result, existing)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(csv_text(row(), columns=REQUIRED_COLUMNS).encode("utf-16"), id="utf-16"),
        pytest.param(csv_bytes(row(source_id="E\x001"), columns=REQUIRED_COLUMNS), id="nul-in-a-field"),
    ],
)
def test_a_file_with_nul_characters_is_refused_without_a_crash(source, existing, data):
    result = run_import(source, data)

    assert as_json(result.errors) == [
        {"row": None, "column": None, "message": "The file contains NUL characters: is it a CSV text file?"}
    ]
    assert_rejected_and_nothing_changed(result, existing)


def test_a_dry_run_of_a_bad_file_reports_the_errors_and_saves_nothing(source, existing):
    result = run_import(source, csv_bytes(row(source_id="E1", care_type="x")), dry_run=True)

    assert where(result.errors) == [(2, "care_type")]
    assert_rejected_and_nothing_changed(result, existing, imports_saved=0)


def test_a_dry_run_of_a_good_file_counts_what_would_change_and_saves_nothing(source, existing):
    result = run_import(
        source,
        csv_bytes(
            row(source_id="E0", personnummer=PERSON, ready_at="2025-10-03T10:00", discharged_at="2025-10-04T10:00"),
            row(source_id="E1"),
        ),
        dry_run=True,
    )

    assert result.ok and as_json(result.errors) == []
    assert (result.run.rows, result.run.created, result.run.updated, result.run.unchanged) == (2, 1, 1, 0)
    assert result.run.pk is None
    assert episodes() == existing["episodes"] and counts() == existing["counts"]


# --- Re-imports: idempotent, updates in place, audited -------------------------------------------

EXPORT = [
    row(
        source_id="E1",
        personnummer=PERSON,
        birth_year="1947",
        sex="F",
        hospital_unit="",
        admitted_at="2025-10-01 08:00",
        admission_notice_at="2025-10-01T09:00:00+02:00",
        estimated_discharge_date="2025-10-07",
        ready_at="2025-10-05T08:00Z",
        discharged_at="2025-10-06",
        destination="SÄBO",
        covid="true",
    ),
    row(source_id="E2", home_municipality="2084", care_type="psychiatric", admitted_at="2025-10-01T08:00:00.250"),
    row(source_id="E3", personnummer="121212+1212", home_municipality="2062", sex="M"),
    # The hour the clocks skip in spring and the hour they repeat in autumn.
    row(source_id="E4", admitted_at="2025-03-30T02:30", ready_at="2025-10-26T02:30", discharged_at="2025-10-26T02:45"),
]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(source):
    DestinationMapping.objects.create(source=source, code="SÄBO", destination=Destination.NURSING_HOME)
    imported(source, *EXPORT)
    before = episodes()
    events = set(AuditEvent.objects.values_list("pk", flat=True))

    again = imported(source, *EXPORT)

    run = again.run
    assert (run.rows, run.created, run.updated, run.unchanged) == (4, 0, 0, 4)
    assert episodes() == before  # updated_at included
    new_events = AuditEvent.objects.exclude(pk__in=events)
    assert [(e.event_type, e.object_id) for e in new_events] == [("flow.import_done", str(run.pk))]
    assert new_events.get().after == {"rows": 4, "created": 0, "updated": 0, "unchanged": 4}


def test_a_personnummer_written_with_ten_digits_next_time_changes_nothing(source):
    imported(source, row(source_id="E1", personnummer=PERSON), row(source_id="E2", personnummer="19121212-1212"))

    again = imported(
        source, row(source_id="E1", personnummer="4703184863"), row(source_id="E2", personnummer="121212+1212")
    )

    assert (again.run.created, again.run.updated, again.run.unchanged) == (0, 0, 2)


def test_a_later_discharge_updates_the_episode_in_place_and_audits_the_changed_fields(source):
    imported(source, row(source_id="E1", personnummer=PERSON, ready_at="2025-10-05T10:00"), row(source_id="E2"))
    episode = Episode.objects.get(record_id="E1")
    events = set(AuditEvent.objects.values_list("pk", flat=True))

    later = imported(
        source,
        row(
            source_id="E1",
            personnummer=PERSON,
            ready_at="2025-10-05T10:00",
            discharged_at="2025-10-06T12:00",
            destination="home_care",
        ),
        row(source_id="E2"),
    )

    assert (later.run.created, later.run.updated, later.run.unchanged) == (0, 1, 1)
    assert Episode.objects.count() == 2
    updated = Episode.objects.get(record_id="E1")
    assert updated.pk == episode.pk and updated.pseudonym == episode.pseudonym
    assert (updated.discharged_at, updated.destination) == (local(2025, 10, 6, 12, 0), Destination.HOME_CARE)
    assert updated.updated_at > episode.updated_at
    change = AuditEvent.objects.exclude(pk__in=events).get(event_type="flow.episode_updated")
    assert (change.object_type, change.object_id, change.actor_label) == ("flow.episode", str(episode.pk), "system")
    assert change.before == {"discharged_at": None, "destination": ""}
    assert change.after == {"discharged_at": "2025-10-06 10:00:00+00:00", "destination": "home_care"}
    summary = AuditEvent.objects.exclude(pk__in=events).get(event_type="flow.import_done")
    assert summary.after == {"rows": 2, "created": 0, "updated": 1, "unchanged": 1}


def test_a_corrected_personnummer_updates_the_pseudonym_but_never_puts_it_in_the_audit(source):
    other = personnummer("19520611", "274")
    imported(source, row(source_id="E1", personnummer=PERSON))
    imported(source, row(source_id="E1", personnummer=other, birth_year="1952"))

    episode = Episode.objects.get()
    assert episode.pseudonym == pseudonym(other)
    change = AuditEvent.objects.get(event_type="flow.episode_updated")
    assert change.before == {"birth_year": None} and change.after == {"birth_year": "1952"}
    audit_text = str(list(AuditEvent.objects.values()))
    assert pseudonym(PERSON) not in audit_text and pseudonym(other) not in audit_text
    assert not leaks(PERSON, audit_text) and not leaks(other, audit_text)


# --- Times ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        pytest.param("2025-01-15T08:15", datetime.datetime(2025, 1, 15, 7, 15, tzinfo=UTC), id="naive-winter"),
        pytest.param("2025-07-01 08:15", datetime.datetime(2025, 7, 1, 6, 15, tzinfo=UTC), id="naive-summer-space"),
        pytest.param("2025-07-01T08:15:30", datetime.datetime(2025, 7, 1, 6, 15, 30, tzinfo=UTC), id="seconds"),
        pytest.param("2025-07-01", datetime.datetime(2025, 6, 30, 22, 0, tzinfo=UTC), id="date-is-local-midnight"),
        pytest.param("2025-07-01T08:15+00:00", datetime.datetime(2025, 7, 1, 8, 15, tzinfo=UTC), id="utc-offset"),
        pytest.param("2025-07-01T08:15Z", datetime.datetime(2025, 7, 1, 8, 15, tzinfo=UTC), id="zulu"),
        pytest.param("2025-01-15T08:15+05:30", datetime.datetime(2025, 1, 15, 2, 45, tzinfo=UTC), id="other-offset"),
        pytest.param("2025-01-15T08:15+01:00", datetime.datetime(2025, 1, 15, 7, 15, tzinfo=UTC), id="local-offset"),
    ],
)
def test_naive_times_are_stockholm_local_time_and_offsets_are_kept(source, written, meant):
    imported(source, row(admitted_at=written))
    assert Episode.objects.get().admitted_at == meant


# --- Privacy: the personnummer is stored, logged and shown nowhere -------------------------------


def test_after_an_import_no_personnummer_is_anywhere_in_the_database_or_the_log(source, caplog):
    caplog.set_level(logging.DEBUG)
    people = [personnummer("19470318", "486"), personnummer("19520611", "274"), personnummer("19850203", "938")]
    old = personnummer("19150704", "111")
    first = [
        row(source_id="E1", personnummer=people[0]),
        row(source_id="E2", personnummer=people[1].replace("-", "")),
        row(source_id="E3", personnummer=people[2][2:]),
        row(source_id="E4", personnummer=old[2:].replace("-", "+")),
    ]
    imported(source, *first)
    second = [
        row(source_id="E1", personnummer=people[0][2:].replace("-", ""), discharged_at="2025-10-06T12:00"),
        row(source_id="E2", personnummer=people[2]),  # a corrected number: an update
        row(source_id="E3", personnummer=people[2][2:]),
        row(source_id="E4", personnummer=old),
    ]
    imported(source, *second)

    assert Episode.objects.get(record_id="E2").pseudonym == pseudonym(people[2])
    assert AuditEvent.objects.filter(event_type="flow.episode_updated").count() == 2
    stored = database_text()
    for number in [*people, old]:
        assert not leaks(number, stored, flow_rows_text(), caplog.text)


def test_a_row_rejected_for_other_reasons_leaves_no_personnummer_behind(source, caplog):
    caplog.set_level(logging.DEBUG)
    result = run_import(
        source,
        csv_bytes(
            row(source_id="E1", personnummer=PERSON, home_municipality="9999", discharged_at="2025-01-01T00:00"),
            row(source_id="E1", personnummer=PERSON[2:]),
        ),
    )

    assert where(result.errors) == [(2, "home_municipality"), (2, "discharged_at"), (3, "source_id")]
    assert ImportRun.objects.get().status == ImportStatus.REJECTED
    assert not leaks(PERSON, database_text(), flow_rows_text(), caplog.text, str(result.errors))


@pytest.mark.parametrize(
    "invalid",
    [
        pytest.param("19470318-4864", id="checksum"),
        pytest.param("4703184864", id="checksum-ten-digits"),
        pytest.param("19470318+4864", id="checksum-plus"),
        pytest.param("194703184", id="too-short"),
    ],
)
def test_an_invalid_personnummer_is_not_stored_or_shown_either(source, caplog, invalid):
    caplog.set_level(logging.DEBUG)
    result = run_import(source, csv_bytes(row(personnummer=invalid)))

    assert where(result.errors) == [(2, "personnummer")]
    texts = [database_text(), flow_rows_text(), caplog.text, str(result.errors)]
    assert not leaks("19470318-4864", *texts)
    assert not any(invalid in text for text in texts)


def test_a_personnummer_in_the_wrong_column_is_not_quoted_in_the_errors(source, caplog):
    caplog.set_level(logging.DEBUG)
    result = run_import(
        source,
        csv_bytes(
            row(
                birth_year=PERSON,
                sex=PERSON[2:],
                hospital_unit=PERSON.replace("-", ""),
                destination=PERSON[2:].replace("-", ""),
                covid=PERSON.replace("-", " "),
                sip_called_at=PERSON,
            )
        ),
    )

    assert where(result.errors) == [
        (2, "birth_year"),
        (2, "sex"),
        (2, "hospital_unit"),
        (2, "covid"),
        (2, "sip_called_at"),
        (2, "destination"),
    ]
    assert result.errors[0].message == "'…' is not a plausible birth year."
    assert not leaks(PERSON, database_text(), flow_rows_text(), caplog.text, str(result.errors))


# --- Who sees episode rows -----------------------------------------------------------------------


@pytest.fixture
def county_episodes(world) -> dict[str, Episode]:
    """Episodes from Region Dalarna's system for residents of Falun, Avesta and Mora, and from
    Region Örebro's for a resident of Örebro and one of Falun."""
    dalarna, orebro = source_for("20", "Cosmic"), source_for("18", "Cosmic")
    admitted = local(2025, 10, 1, 8, 0)

    def episode(source, record_id: str, municipality: str) -> Episode:
        return Episode.objects.create(
            source=source,
            record_id=record_id,
            home_municipality_id=municipality,
            care_type=CareType.SOMATIC,
            admitted_at=admitted,
        )

    return {
        "falun": episode(dalarna, "D-falun", "2080"),
        "avesta": episode(dalarna, "D-avesta", "2084"),
        "mora": episode(dalarna, "D-mora", "2062"),
        "orebro": episode(orebro, "O-orebro", "1880"),
        "falun_in_orebro": episode(orebro, "O-falun", "2080"),
    }


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        pytest.param("region_coordinator", {"falun", "avesta", "mora"}, id="region-coordinator-whole-county"),
        pytest.param("falun_coordinator", {"falun", "falun_in_orebro"}, id="falun-its-residents"),
        pytest.param("avesta_coordinator", {"avesta"}, id="avesta-its-residents"),
        pytest.param("viewer", set(), id="viewer-none"),
        pytest.param("forum_secretary", set(), id="forum-secretary-none"),
        pytest.param("lunden_staff", set(), id="unit-staff-none"),
        pytest.param("outsider", {"orebro", "falun_in_orebro"}, id="orebro-region-none-of-dalarnas"),
        pytest.param("admin", {"falun", "avesta", "mora", "orebro", "falun_in_orebro"}, id="admin-all"),
    ],
)
def test_episode_rows_are_visible_to_the_county_region_and_the_home_municipality_only(
    world, county_episodes, persona, sees
):
    visible = set(
        Episode.objects.visible_to(getattr(world, persona), "flow.view_episodes").values_list("pk", flat=True)
    )
    assert visible == {county_episodes[name].pk for name in sees}


def test_anonymous_sees_no_episode_rows(county_episodes):
    assert not Episode.objects.visible_to(None, "flow.view_episodes").exists()
