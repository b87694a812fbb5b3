"""The upload page, import history, the episode list (access-logged) and the statistics page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from samverkan.audit.models import AccessLogEntry
from samverkan.flow.models import Episode, ImportRun, ImportStatus
from samverkan.testing import login

pytestmark = pytest.mark.django_db

HEADER = "source_id,personnummer,birth_year,sex,home_municipality,hospital_unit,care_type,admitted_at,admission_notice_at,estimated_discharge_date,ready_at,sip_called_at,discharged_at,destination,covid\n"
GOOD = HEADER + (
    "A1,19121212-1212,1930,M,2080,,somatic,2026-10-01T08:00,,,2026-10-04T10:00,,2026-10-06T12:00,short_term,0\n"
    "A2,,1950,F,2084,,somatic,2026-10-02T09:30,,,,,,,1\n"
)
BAD = HEADER + "B1,,1950,F,9999,,somatic,2026-10-02T09:30,,,,,,,1\n"


def _upload(client, content: str, **extra):
    data = {"county": "20", "source": "Cosmic", "file": SimpleUploadedFile("ep.csv", content.encode()), **extra}
    return client.post("/flode/import/", data)


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def test_a_region_coordinator_uploads_a_file_and_sees_it_in_the_history(client, world):
    login(client, world.region_coordinator)
    response = _upload(client, GOOD)
    assert response.status_code == 302
    assert Episode.objects.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "ep.csv" in page and "Imported 2 rows: 2 new, 0 updated, 0 unchanged." in page


def test_a_bad_file_shows_every_error_with_row_and_column_and_saves_nothing(client, world):
    body = _upload(login(client, world.region_coordinator), BAD).content.decode()
    assert "Unknown municipality code &#x27;9999&#x27;." in body or "Unknown municipality code '9999'." in body
    assert "home_municipality" in body
    assert Episode.objects.count() == 0
    assert ImportRun.objects.get().status == ImportStatus.REJECTED


def test_only_check_imports_nothing(client, world):
    body = _upload(login(client, world.region_coordinator), GOOD, dry_run="on").content.decode()
    assert "The file is correct: 2 rows would be imported." in body
    assert Episode.objects.count() == 0


def test_municipal_coordinators_may_not_import(client, world):
    assert _upload(login(client, world.falun_coordinator), GOOD).status_code == 403


def test_the_episode_list_needs_a_reason_and_writes_the_access_log(client, world):
    _upload(login(client, world.region_coordinator), GOOD)
    client.logout()
    login(client, world.falun_coordinator)
    assert '<th scope="row">A1</th>' not in client.get("/flode/vardtillfallen/?county=20").content.decode()
    body = client.get("/flode/vardtillfallen/", {"county": "20", "reason": "Uppföljning"}).content.decode()
    # Falun sees its own residents only
    assert '<th scope="row">A1</th>' in body and '<th scope="row">A2</th>' not in body
    entry = AccessLogEntry.objects.get()
    assert entry.actor == world.falun_coordinator and entry.reason == "Uppföljning"


def test_statistics_count_per_home_municipality_and_hide_small_counts_from_viewers(client, world):
    _upload(login(client, world.region_coordinator), GOOD)
    page = client.get("/flode/?county=20&from=2026-10-01&to=2026-10-31").content.decode()
    assert '<td class="num">1</td>' in page
    client.logout()
    viewer_page = login(client, world.viewer).get("/flode/?county=20&from=2026-10-01&to=2026-10-31").content.decode()
    assert "&lt;5" in viewer_page
    assert '<td class="num">1</td>' not in viewer_page
