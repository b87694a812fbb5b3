"""FHIR feeds carry every kind of encounter: only inpatient stays (class IMP, ACUTE, NONAC) are
episodes; the others are skipped and counted, never an error and never an episode. And the
README's minimal bundle is a file the tests import."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from samverkan.flow import services
from samverkan.flow.fhir import inpatient_codes_of, is_inpatient, read_fhir
from samverkan.flow.imports import import_rows
from samverkan.flow.models import EncounterClassMapping, Episode, ImportRun, ImportStatus
from samverkan.flow.tests.test_fhir import BUNDLE, mapped, psychiatry  # noqa: F401 - fixtures
from samverkan.flow.validation import SkippedRow
from samverkan.organisations import policy
from samverkan.testing import login

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[3] / "README.md"
README_BUNDLE = Path(__file__).parent / "data" / "readme-bundle.json"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def _visit(identifier: str, code: str, subject: str, start: str, end: str) -> dict:
    """An encounter that is not an inpatient stay (like HL7's example f202, a 56-minute
    outpatient visit): no care type, nothing an episode needs, and a class of its own."""
    return {
        "fullUrl": f"https://fhir.cosmic.example/Encounter/{identifier}",
        "resource": {
            "resourceType": "Encounter",
            "id": identifier,
            "status": "finished",
            "class": {"system": ACT_CODE, "code": code},
            "subject": {"reference": subject},
            "period": {"start": start, "end": end},
        },
    }


def _mixed() -> bytes:
    """The fixture (four inpatient stays) with an outpatient and an emergency visit added."""
    document = copy.deepcopy(BUNDLE)
    subject = next(
        e["resource"]["subject"]["reference"] for e in document["entry"] if e["resource"]["resourceType"] == "Encounter"
    )
    document["entry"] += [
        _visit("amb-1", "AMB", subject, "2026-10-02T09:00:00+02:00", "2026-10-02T09:56:00+02:00"),
        _visit("emer-1", "EMER", subject, "2026-10-03T22:10:00+02:00", "2026-10-04T01:40:00+02:00"),
    ]
    return json.dumps(document).encode()


def test_the_reader_gives_other_encounters_as_skipped_rows():
    rows = list(read_fhir(_mixed()))
    skipped = [(index, row) for index, row in rows if isinstance(row, SkippedRow)]
    assert [index for index, _row in skipped] == [len(BUNDLE["entry"]), len(BUNDLE["entry"]) + 1]
    assert len(rows) - len(skipped) == 4


def test_a_bundle_with_outpatient_encounters_imports_only_the_inpatient_stays(mapped):  # noqa: F811
    result = import_rows(source=mapped, rows=read_fhir(_mixed()), by=policy.SYSTEM, file_format="fhir")

    assert result.ok, result.errors
    run = ImportRun.objects.get()
    assert (run.rows, run.created, run.skipped) == (4, 4, 2)
    assert Episode.objects.count() == 4
    assert not Episode.objects.filter(record_id__in=["amb-1", "emer-1"]).exists()


def test_a_bundle_of_outpatient_encounters_only_imports_nothing_and_says_so(mapped, tmp_path):  # noqa: F811
    document = copy.deepcopy(BUNDLE)
    for entry in document["entry"]:
        if entry["resource"]["resourceType"] == "Encounter":
            entry["resource"]["class"] = {"system": ACT_CODE, "code": "AMB"}
    path = tmp_path / "visits.json"
    path.write_text(json.dumps(document))

    out = io.StringIO()
    call_command("import_episodes", str(path), "--source", mapped.name, "--county", "20", stdout=out)

    assert (
        out.getvalue()
        == "Imported 0 rows: 0 new, 0 updated, 0 unchanged. 4 encounters were not inpatient stays and were skipped.\n"
    )
    assert ImportRun.objects.get().status == ImportStatus.DONE and not Episode.objects.exists()


def test_the_upload_page_says_how_many_encounters_were_skipped(client, world, mapped):  # noqa: F811
    login(client, world.region_coordinator)
    client.cookies["django_language"] = "en"
    upload = SimpleUploadedFile("encounters.json", _mixed(), content_type="application/fhir+json")
    response = client.post("/flode/import/", {"county": "20", "source": mapped.name, "file": upload}, follow=True)

    page = response.content.decode()
    assert "Imported 4 rows: 4 new, 0 updated, 0 unchanged." in page
    assert "2 encounters were not inpatient stays and were skipped." in page


def test_the_regions_own_class_codes_mapped_as_inpatient_are_episodes(client, world, mapped, tmp_path):  # noqa: F811
    """A region codes its stays "SV" (slutenvård) and its day care "DV": with SV mapped as an
    inpatient class for the source, SV encounters are episodes; DV is still skipped, and so is SV
    from a source that has not mapped it."""
    document = copy.deepcopy(BUNDLE)
    encounters = [e for e in document["entry"] if e["resource"]["resourceType"] == "Encounter"]
    region = "urn:oid:1.2.752.97.example.class"
    for entry, code in zip(encounters, ["SV", "SV", "DV", "IMP"], strict=False):
        entry["resource"]["class"] = (
            {"system": region, "code": code} if code != "IMP" else {"system": ACT_CODE, "code": code}
        )
    data = json.dumps(document).encode()

    unmapped = services.source_for(county="20", name="Other system", by=policy.SYSTEM)
    assert (
        sum(not isinstance(r, SkippedRow) for _i, r in read_fhir(data, inpatient_codes=inpatient_codes_of(unmapped)))
        == 1
    )

    EncounterClassMapping.objects.create(source=mapped, code="SV")
    assert is_inpatient(type("E", (), {"class_fhir": None})(), {"SV"}) is False  # no class: never inpatient
    path = tmp_path / "region.json"
    path.write_bytes(data)
    out = io.StringIO()
    call_command("import_episodes", str(path), "--source", mapped.name, "--county", "20", stdout=out)
    assert "3 new" in out.getvalue() and "1 encounters were not inpatient stays" in out.getvalue()
    assert Episode.objects.count() == 3

    Episode.objects.all().delete()
    ImportRun.objects.all().delete()
    login(client, world.region_coordinator)
    client.cookies["django_language"] = "en"
    upload = SimpleUploadedFile("region.json", data, content_type="application/fhir+json")
    response = client.post("/flode/import/", {"county": "20", "source": mapped.name, "file": upload}, follow=True)
    assert "Imported 3 rows: 3 new" in response.content.decode()


# --- The README's example ---------------------------------------------------------------------


def test_the_readme_shows_the_example_bundle_the_tests_import():
    blocks = re.findall(r"```json\n(.*?)\n```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert json.loads(README_BUNDLE.read_text(encoding="utf-8")) in [json.loads(block) for block in blocks]


def test_the_readme_example_imports_one_episode(world):
    source = services.source_for(county="20", name="Region example", by=policy.SYSTEM)
    result = import_rows(source=source, rows=read_fhir(README_BUNDLE.read_bytes()), by=policy.SYSTEM)

    assert result.ok, [str(e) for e in result.errors]
    episode = Episode.objects.get()
    assert (episode.record_id, episode.home_municipality_id, episode.care_type, episode.destination) == (
        "VT-2026-0001",
        "2080",
        "somatic",
        "short_term",
    )
    assert (episode.birth_year, episode.sex, len(episode.pseudonym)) == (1912, "M", 64)
    assert episode.ready_at.isoformat() == "2026-10-04T07:30:00+00:00"
    assert "191212121212" not in json.dumps(list(Episode.objects.values()), default=str)
