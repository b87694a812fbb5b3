"""FHIR R4 Bundles of Encounters: read into the canonical columns and imported like the CSV (all or
nothing, upsert on the source id, audited), every error named by entry index and element path, and
no personnummer stored or shown. The fixture data/encounters.json is a Cosmic-style export: an
Organization, a Location, three Patients, a Condition, four Encounters (one ongoing) and one
entered in error."""

from __future__ import annotations

import copy
import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from samverkan.audit.models import AuditEvent
from samverkan.flow.fhir import read_fhir
from samverkan.flow.imports import FileRejected, format_error, import_rows
from samverkan.flow.models import (
    DestinationMapping,
    Episode,
    ImportRun,
    ImportStatus,
    Source,
    UnitMapping,
)
from samverkan.flow.pseudonyms import pseudonym
from samverkan.flow.tests.helpers import counts, database_text, episodes, flow_rows_text, leaks
from samverkan.organisations import policy
from samverkan.organisations.models import Unit, UnitKind
from samverkan.testing import login

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "data" / "encounters.json"
BUNDLE = json.loads(FIXTURE.read_text(encoding="utf-8"))
# The personnummer in the fixture (valid checksums, made up).
ASTRID, BERTIL, CARIN = "19470318-4863", "19520611-2749", "19381124-5624"
UTC = datetime.UTC


def bundle(change=None) -> bytes:
    """The fixture, changed by `change(document)` (which edits the entries in place)."""
    document = copy.deepcopy(BUNDLE)
    if change is not None:
        change(document)
    return json.dumps(document).encode()


def resource(document: dict, index: int) -> dict:
    return document["entry"][index]["resource"]


def run_import(source: Source, data: bytes, *, dry_run: bool = False):
    return import_rows(
        source=source,
        rows=read_fhir(data),
        by=policy.SYSTEM,
        filename="encounters.json",
        file_format="fhir",
        dry_run=dry_run,
    )


def messages(result) -> list[str]:
    return [format_error(e) for e in result.errors]


@pytest.fixture
def psychiatry(world) -> Unit:
    return Unit.objects.create(
        code="t-sater-psy",
        name="Säters sjukhus, psykiatri",
        kind=UnitKind.HOSPITAL_WARD,
        organisation=world.region,
        municipality_id="2082",
    )


@pytest.fixture
def mapped(source, world, psychiatry) -> Source:
    """Cosmic with its ward codes (HSA ids) and HL7's 'exp' (expired) mapped."""
    UnitMapping.objects.create(source=source, code="SE2321000180-MED1", unit=world.falun_ward)
    UnitMapping.objects.create(source=source, code="SE2321000180-PSY", unit=psychiatry)
    DestinationMapping.objects.create(source=source, code="exp", destination="deceased")
    return source


@pytest.fixture
def imported(mapped) -> dict:
    """The fixture imported once; what a rejected import must leave as it was."""
    result = run_import(mapped, bundle())
    assert result.ok, messages(result)
    return {"episodes": episodes(), "audit": AuditEvent.objects.count()}


def at(hour_utc: tuple) -> datetime.datetime:
    return datetime.datetime(*hour_utc, tzinfo=UTC)


# --- A good bundle -----------------------------------------------------------------------------


def test_a_realistic_bundle_imports_one_episode_per_encounter(mapped, world, psychiatry):
    result = run_import(mapped, bundle())

    assert result.ok, messages(result)
    run = result.run
    assert (run.rows, run.created, run.updated, run.unchanged) == (4, 4, 0, 0)
    assert (run.file_format, run.status) == ("fhir", ImportStatus.DONE)
    found = {e.record_id: e for e in Episode.objects.all()}
    # The entered-in-error Encounter VT-1005 is skipped; enc-1004 has no identifier, so its id.
    assert set(found) == {"VT-1001", "VT-1002", "VT-1003", "enc-1004"}

    first = found["VT-1001"]
    assert first.pseudonym == pseudonym(ASTRID)
    assert (first.birth_year, first.sex, first.home_municipality_id) == (1947, "F", "2080")
    assert (first.hospital_unit, first.care_type, first.covid) == (world.falun_ward, "somatic", True)
    # +02:00 (summer time) in the bundle; stored in UTC.
    assert first.admitted_at == at((2026, 10, 1, 6, 15))
    assert first.ready_at == at((2026, 10, 4, 7, 0))
    assert first.sip_called_at == at((2026, 10, 5, 11, 0))
    assert first.care_contact_at == at((2026, 10, 5, 13, 30))  # the care-contact-appointed extension
    assert first.discharged_at == at((2026, 10, 6, 8, 30))
    assert first.destination == "short_term"  # the Samverkan coding wins over HL7's other-hcf

    second = found["VT-1002"]  # the subject's identifier, the Patient by urn:uuid, Avesta by name
    assert second.pseudonym == pseudonym(BERTIL)
    assert (second.birth_year, second.sex, second.home_municipality_id) == (1952, "M", "2084")
    assert (second.hospital_unit, second.care_type, second.covid) == (psychiatry, "psychiatric", False)
    assert (second.admitted_at, second.discharged_at) == (at((2026, 10, 3, 20, 40)), at((2026, 10, 5, 9, 0)))
    assert second.destination == "deceased"  # HL7 'exp', mapped for the source

    ongoing = found["VT-1003"]  # the home address's district (Mora), not the temporary one
    assert ongoing.pseudonym == pseudonym(CARIN)
    assert (ongoing.birth_year, ongoing.sex, ongoing.home_municipality_id) == (1938, "U", "2062")
    assert (ongoing.hospital_unit, ongoing.covid) == (world.falun_ward, True)  # U07.2 on the Condition
    assert ongoing.admitted_at == at((2026, 11, 2, 15, 5))  # +01:00, winter time
    assert ongoing.admission_notice_at == at((2026, 11, 2, 13, 0))
    assert ongoing.estimated_discharge_date == datetime.date(2026, 11, 30)
    assert (ongoing.discharged_at, ongoing.ready_at, ongoing.destination) == (None, None, "")

    earlier = found["enc-1004"]
    assert earlier.pseudonym == first.pseudonym  # the same patient, the same pseudonym
    assert (earlier.destination, earlier.covid) == ("home", False)
    assert earlier.discharged_at == at((2026, 9, 14, 13, 20))


def test_the_reader_gives_entry_indexes_and_element_paths():
    rows = list(read_fhir(bundle()))

    assert [index for index, _row in rows] == [5, 7, 8, 9]
    index, first = rows[0]
    assert first.values["source_id"] == "VT-1001" and first.values["covid"] == "1"
    paths = first.paths
    assert paths["personnummer"] == "Encounter.subject.resolve().identifier[1].value"
    assert paths["home_municipality"] == "Encounter.subject.resolve().extension[0].valueCoding.code"
    assert paths["hospital_unit"] == "Encounter.location[0].location.resolve().identifier[0].value"
    assert paths["destination"] == "Encounter.hospitalization.dischargeDisposition.coding[1].code"
    assert paths["ready_at"] == "Encounter.extension[0].valueDateTime"
    assert rows[1][1].paths["personnummer"] == "Encounter.subject.identifier.value"
    assert rows[1][1].paths["care_type"] == "Encounter.type[1].coding[0].code"
    assert rows[1][1].paths["hospital_unit"] == "Encounter.serviceProvider.resolve().identifier[0].value"
    assert rows[3][1].paths["source_id"] == "Encounter.id"


def test_importing_the_same_bundle_again_changes_nothing(mapped, imported):
    result = run_import(mapped, bundle())

    assert result.ok
    assert (result.run.created, result.run.updated, result.run.unchanged) == (0, 0, 4)
    assert episodes() == imported["episodes"]
    # Only the second import's own record.
    assert list(AuditEvent.objects.order_by("id").values_list("event_type", flat=True)[imported["audit"] :]) == [
        "flow.import_done"
    ]


def test_a_discharge_arriving_later_updates_the_ongoing_stay_and_is_audited(mapped, imported):
    def discharged(document):
        encounter = resource(document, 8)
        encounter["status"] = "finished"
        encounter["period"]["end"] = "2026-11-09T11:45:00+01:00"
        encounter["hospitalization"] = {
            "dischargeDisposition": {
                "coding": [{"system": "https://samverkan.se/fhir/CodeSystem/destination", "code": "home_care"}]
            }
        }

    result = run_import(mapped, bundle(discharged))

    assert result.ok, messages(result)
    assert (result.run.created, result.run.updated, result.run.unchanged) == (0, 1, 3)
    episode = Episode.objects.get(record_id="VT-1003")
    assert (episode.discharged_at, episode.destination) == (at((2026, 11, 9, 10, 45)), "home_care")
    event = AuditEvent.objects.get(event_type="flow.episode_updated")
    assert event.before == {"discharged_at": None, "destination": ""}
    assert event.after == {"discharged_at": "2026-11-09 10:45:00+00:00", "destination": "home_care"}


def test_a_dry_run_counts_and_saves_nothing(mapped):
    before = counts()
    result = run_import(mapped, bundle(), dry_run=True)
    assert result.ok and (result.run.rows, result.run.created) == (4, 4)
    assert counts() == before == {**before, "episodes": 0, "imports": 0}


# --- Errors by entry index and element path ---------------------------------------------------


def _set(index: int, *path, value):
    def change(document):
        target = resource(document, index)
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(index: int, key: str):
    def change(document):
        del resource(document, index)[key]

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _set(9, "period", "end", value="2026-09-01T10:00:00+02:00"),
            ["entry 9, Encounter.period.end: Discharge is before admission."],
            id="discharge-before-admission",
        ),
        pytest.param(
            _set(5, "extension", 0, "valueDateTime", value="2026-10-07T09:00:00+02:00"),
            [
                "entry 5, Encounter.period.end: Discharge is before the ready-for-discharge notice.",
            ],
            id="ready-after-discharge",
        ),
        pytest.param(
            _set(2, "identifier", 1, "value", value="194703184864"),
            [
                "entry 5, Encounter.subject.resolve().identifier[1].value: "
                "Not a valid personnummer (checksum does not match).",
                "entry 9, Encounter.subject.resolve().identifier[1].value: "
                "Not a valid personnummer (checksum does not match).",
            ],
            id="personnummer-in-the-patient",
        ),
        pytest.param(
            _set(7, "subject", "identifier", "value", value="195206112748"),
            ["entry 7, Encounter.subject.identifier.value: Not a valid personnummer (checksum does not match)."],
            id="personnummer-in-the-reference",
        ),
        pytest.param(
            _set(1, "identifier", 0, "value", value="SE2321000180-MED9"),
            [  # an organisation number (SE + its ten digits): shown, not masked
                "entry 5, Encounter.location[0].location.resolve().identifier[0].value: "
                "Unknown unit code 'SE2321000180-MED9' for Cosmic; map it first.",
                "entry 9, Encounter.location[0].location.resolve().identifier[0].value: "
                "Unknown unit code 'SE2321000180-MED9' for Cosmic; map it first.",
            ],
            id="unmapped-location",
        ),
        pytest.param(
            _set(7, "hospitalization", "dischargeDisposition", "coding", 0, "code", value="hosp"),
            [
                "entry 7, Encounter.hospitalization.dischargeDisposition.coding[0].code: Unknown destination "
                "'hosp': use home, home_care, short_term, nursing_home, other_region, deceased, other or map the code."
            ],
            id="unmapped-destination",
        ),
        pytest.param(
            _drop(8, "serviceType"),
            ["entry 8, Encounter.serviceType: Use somatic or psychiatric, not ''."],
            id="no-care-type",
        ),
        pytest.param(
            _set(3, "address", 0, "district", value="Atlantis"),
            ["entry 7, Encounter.subject.resolve().address[0].district: Unknown municipality code 'Atlantis'."],
            id="unknown-municipality",
        ),
        pytest.param(
            _drop(4, "address"),
            ["entry 8, Encounter.subject.resolve().address.district: Required: the four-digit SCB municipality code."],
            id="no-home-municipality",
        ),
        pytest.param(
            _set(2, "birthDate", value="1789-07-14"),
            [
                "entry 5, Encounter.subject.resolve().birthDate: '1789' is not a plausible birth year.",
                "entry 9, Encounter.subject.resolve().birthDate: '1789' is not a plausible birth year.",
            ],
            id="birth-year",
        ),
        pytest.param(
            _drop(8, "period"),
            ["entry 8, Encounter.period.start: Required."],
            id="no-admission",
        ),
        pytest.param(
            _set(8, "period", "start", value="2099-01-01T08:00:00+01:00"),
            ["entry 8, Encounter.period.start: The time is in the future."],
            id="future",
        ),
        pytest.param(
            _set(7, "identifier", 0, "value", value="VT-1001"),
            ["entry 7, Encounter.identifier[0].value: Duplicate source id: also on entry 5."],
            id="duplicate-source-id",
        ),
        pytest.param(
            _set(8, "subject", "reference", value="Patient/p9"),
            [
                "entry 8, Encounter.subject.reference: Patient/p9 is not a Patient in the bundle: include the "
                "Patient (birth date, sex, home municipality)."
            ],
            id="dangling-subject",
        ),
        pytest.param(
            _drop(9, "subject"),
            ["entry 9, Encounter.subject: Required: a reference to the Patient in the bundle."],
            id="no-subject",
        ),
        # Not valid FHIR: what fhir.resources (pydantic) finds, by entry and element.
        pytest.param(
            _set(5, "period", "start", value="2026-10-01T08:15"),
            ["entry 5, Encounter.period.start: DateTime value string does not match spec regex."],
            id="time-without-offset",
        ),
        pytest.param(
            _drop(7, "status"),
            ["entry 7, Encounter.status: Value for the field 'status' is required."],
            id="no-status",
        ),
        pytest.param(
            _set(9, "admittedAt", value="2026-09-10"),
            ["entry 9, Encounter.admittedAt: Not an element of this resource in FHIR R4."],
            id="unknown-element",
        ),
        pytest.param(
            _set(4, "birthDate", value="24/11/1938"),
            [
                "entry 4, Patient.birthDate: Date value string does not match spec regex.",
                "entry 8, Encounter.subject.reference: Patient/p3 is entry 4, which is not valid FHIR.",
            ],
            id="invalid-patient",
        ),
        pytest.param(
            _set(6, "resourceType", value="Condtion"),
            ["entry 6, Bundle.entry.resource.resourceType: 'Condtion' is not a FHIR R4 resource type."],
            id="unknown-resource-type",
        ),
    ],
)
def test_a_bad_entry_rejects_the_bundle_naming_entry_and_element(mapped, imported, change, expected):
    with translation.override("en"):
        result = run_import(mapped, bundle(change))

    assert not result.ok
    assert messages(result) == expected
    assert all(e.kind == "entry" for e in result.errors)
    assert episodes() == imported["episodes"]
    assert AuditEvent.objects.count() == imported["audit"] + 1  # flow.import_rejected
    assert ImportRun.objects.latest("started_at").status == ImportStatus.REJECTED


def test_every_error_in_the_bundle_is_reported(mapped):
    def many(document):
        resource(document, 5)["serviceType"]["coding"][0]["code"] = "surgical"
        resource(document, 7)["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] = "hosp"
        del resource(document, 8)["status"]
        resource(document, 9)["period"]["start"] = "2099-01-01T08:00:00+01:00"

    result = run_import(mapped, bundle(many))

    assert [(e.row, e.column) for e in result.errors] == [
        (5, "Encounter.serviceType.coding[0].code"),
        (7, "Encounter.hospitalization.dischargeDisposition.coding[0].code"),
        (8, "Encounter.status"),
        (9, "Encounter.period.start"),
        (9, "Encounter.period.end"),  # the discharge is now before that admission too
    ]
    assert result.total_errors == 5
    assert not Episode.objects.exists()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", "The file is empty.", id="empty"),
        pytest.param(b'{"resourceType": "Bundle",', "The file is not JSON (line 1, column 27:", id="not-json"),
        pytest.param(b"\xff\xfe{}", "The file is not UTF-8 text", id="not-utf8"),
        pytest.param(b"[1, 2]", "The file is JSON but not a FHIR resource: it has no resourceType.", id="array"),
        pytest.param(
            json.dumps(resource(BUNDLE, 8)).encode(),
            "resourceType: The file holds a resource of type Encounter, not a Bundle: send a Bundle of Encounter "
            "resources.",
            id="not-a-bundle",
        ),
        pytest.param(
            json.dumps({"resourceType": "Bundle", "entry": []}).encode(),
            "Bundle.type: Value for the field 'type' is required.",
            id="bundle-without-type",
        ),
        pytest.param(
            json.dumps({"resourceType": "Bundle", "type": "collection", "entry": {"resource": {}}}).encode(),
            "Bundle.entry: Must be a list of entries.",
            id="entry-not-a-list",
        ),
        pytest.param(
            json.dumps({"resourceType": "Bundle", "type": "collection", "entry": BUNDLE["entry"][:5]}).encode(),
            "Bundle.entry: The bundle has no Encounter entries to import.",
            id="no-encounters",
        ),
    ],
)
def test_a_file_that_is_not_a_bundle_of_encounters_is_refused_clearly(mapped, imported, data, expected):
    result = run_import(mapped, data)

    assert not result.ok
    assert messages(result)[0].startswith(expected)
    assert episodes() == imported["episodes"]


def test_the_reader_raises_file_rejected_for_a_file_it_cannot_read():
    with pytest.raises(FileRejected, match="not JSON"):
        list(read_fhir(b"source_id,care_type\n"))


# --- The command and the upload page ------------------------------------------------------------


def _command(path: Path, *options: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_episodes", str(path), "--source", "Cosmic", "--county", "20", *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_reads_a_json_file_as_fhir(mapped, tmp_path):
    path = tmp_path / "encounters.json"
    path.write_bytes(bundle())

    assert _command(path, "--dry-run") == ("Would import 4 rows: 4 new, 0 updated, 0 unchanged.\n", "")
    assert not Episode.objects.exists()
    assert _command(path) == ("Imported 4 rows: 4 new, 0 updated, 0 unchanged.\n", "")
    assert ImportRun.objects.get().file_format == "fhir"
    assert _command(path) == ("Imported 4 rows: 0 new, 0 updated, 4 unchanged.\n", "")


def test_the_command_takes_format_fhir_whatever_the_name(mapped, tmp_path):
    path = tmp_path / "export.txt"
    path.write_bytes(bundle())
    assert _command(path, "--format", "fhir")[0] == "Imported 4 rows: 4 new, 0 updated, 0 unchanged.\n"


def test_the_command_prints_every_error_by_entry_and_path_and_fails(mapped, imported, tmp_path):
    def bad(document):
        resource(document, 9)["period"]["end"] = "2026-09-01T10:00:00+02:00"
        resource(document, 7)["subject"]["identifier"]["value"] = "195206112748"

    path = tmp_path / "encounters.json"
    path.write_bytes(bundle(bad))
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"Nothing was imported: 2 errors in 4 rows\."):
        call_command(
            "import_episodes", str(path), "--source", "Cosmic", "--county", "20", stdout=io.StringIO(), stderr=err
        )

    assert err.getvalue().splitlines() == [
        "entry 7, Encounter.subject.identifier.value: Not a valid personnummer (checksum does not match).",
        "entry 9, Encounter.period.end: Discharge is before admission.",
    ]
    assert episodes() == imported["episodes"]


def test_the_command_refuses_a_file_that_is_not_a_bundle(mapped, tmp_path):
    path = tmp_path / "encounters.json"
    path.write_bytes(b"not json")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_episodes", str(path), "--source", "Cosmic", "--county", "20", stdout=io.StringIO(), stderr=err
        )
    assert err.getvalue().startswith("The file is not JSON (line 1, column 1: Expecting value).")


def test_the_upload_page_takes_a_fhir_bundle(client, world, mapped):
    client.cookies["django_language"] = "en"
    login(client, world.region_coordinator)

    page = client.get("/flode/import/?county=20")
    assert "FHIR R4 Bundle" in page.content.decode()

    upload = SimpleUploadedFile("encounters.json", bundle(), content_type="application/fhir+json")
    response = client.post("/flode/import/", {"county": "20", "source": "Cosmic", "file": upload})
    assert response.status_code == 302
    assert Episode.objects.filter(source=mapped).count() == 4
    assert ImportRun.objects.get().file_format == "fhir"


def test_the_upload_page_lists_bundle_errors_by_entry_and_element(client, world, mapped):
    client.cookies["django_language"] = "en"
    login(client, world.region_coordinator)
    upload = SimpleUploadedFile("encounters.json", bundle(_set(9, "period", "end", value="2026-09-01T10:00:00+02:00")))

    response = client.post("/flode/import/", {"county": "20", "source": "Cosmic", "file": upload})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<td>entry 9</td><td>Encounter.period.end</td><td>Discharge is before admission.</td>" in html
    assert not Episode.objects.exists()


# --- Privacy ------------------------------------------------------------------------------------


def test_no_personnummer_is_stored_audited_or_shown_after_a_fhir_import(mapped, caplog, tmp_path):
    result = run_import(mapped, bundle())
    assert result.ok

    def misplaced(document):
        # Numbers in the wrong places, quoted by the messages: masked there.
        resource(document, 1)["identifier"][0]["value"] = "19470318-4863"
        resource(document, 3)["address"][0]["district"] = "195206112749"
        resource(document, 4)["identifier"][0]["value"] = "193811245625"  # wrong checksum
        resource(document, 8)["period"]["end"] = "2026-11-09T11:45:00+01:00"
        resource(document, 9)["subject"]["reference"] = "Patient/194703184863"  # a number as the id

    rejected = run_import(mapped, bundle(misplaced))
    assert not rejected.ok
    shown = "\n".join(messages(rejected))
    assert "Encounter.location[0].location.resolve().identifier[0].value: Holds a personnummer" in shown
    assert "Unknown municipality code '…'" in shown
    assert "entry 9, Encounter.subject.reference: Patient/… is not a Patient in the bundle" in shown

    path = tmp_path / "encounters.json"
    path.write_bytes(bundle(misplaced))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_episodes", str(path), "--source", "Cosmic", "--county", "20", stdout=io.StringIO(), stderr=err
        )

    # An update, audited with its changed fields: no number there either.
    updated = run_import(mapped, bundle(_set(8, "period", "end", value="2026-11-09T11:45:00+01:00")))
    assert updated.ok and updated.run.updated == 1

    texts = (database_text(), flow_rows_text(), shown, err.getvalue(), caplog.text)
    for number in (ASTRID, BERTIL, CARIN, "19381124-5625"):
        assert leaks(number, *texts) == []


def test_a_large_bundle_is_imported_by_the_background_task(client, world, mapped, settings):
    from samverkan.flow import tasks

    settings.IMPORT_BACKGROUND_BYTES = 100
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    login(client, world.region_coordinator)
    upload = SimpleUploadedFile("encounters.json", bundle(), content_type="application/fhir+json")

    response = client.post("/flode/import/", {"county": "20", "source": "Cosmic", "file": upload})

    run = ImportRun.objects.get()
    assert response["Location"] == f"/flode/import/{run.pk}/"  # no column mapping for a bundle
    assert (run.status, run.file_format) == ("queued", "fhir")
    assert tasks.import_upload.call(run_id=run.pk) == "done"
    run.refresh_from_db()
    assert (run.rows, run.created, run.stored_file) == (4, 4, "")
    assert Episode.objects.filter(source=mapped).count() == 4
