"""The upload page, import history, the episode list (access-logged) and the statistics page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from samverkan.audit.models import AccessLogEntry
from samverkan.flow.imports import source_for
from samverkan.flow.models import Episode, ImportRun, ImportStatus
from samverkan.flow.tests.helpers import csv_bytes, row, run_import
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


def test_statistics_count_per_home_municipality_and_round_counts_for_viewers(client, world):
    _upload(login(client, world.region_coordinator), GOOD)
    page = client.get("/flode/?county=20&from=2026-10-01&to=2026-10-31").content.decode()
    assert '<td class="num">1</td>' in page
    client.logout()
    client.cookies["django_language"] = "en"  # logging out forgets the language too
    viewer_page = login(client, world.viewer).get("/flode/?county=20&from=2026-10-01&to=2026-10-31").content.decode()
    assert "rounded to a multiple of 5" in viewer_page
    assert "2026-09-28 – 2026-11-01" in viewer_page  # whole weeks
    assert '<td class="num">1</td>' not in viewer_page


def test_the_episode_list_filters_pages_and_logs_each_page(client, world):
    rows = [
        row(
            source_id=f"P{i:03}",
            admitted_at=f"2026-09-{1 + i % 28:02}T08:00",
            care_type="psychiatric" if i % 3 else "somatic",
        )
        for i in range(120)
    ]
    rows[0].update(ready_at="2026-09-02T10:00")
    rows[1].update(ready_at="2026-09-03T10:00", discharged_at="2026-09-04T10:00", destination="home")
    run_import(source_for("20", "Cosmic"), csv_bytes(*rows))
    login(client, world.region_coordinator)
    base = {"county": "20", "reason": "Planering"}

    body = client.get("/flode/vardtillfallen/", {**base, "care_type": "somatic"}).content.decode()
    assert '<caption id="episodes-caption">40 episodes</caption>' in body
    body = client.get("/flode/vardtillfallen/", {**base, "status": "waiting"}).content.decode()
    assert "1 episode" in body and '<th scope="row">P000</th>' in body
    body = client.get("/flode/vardtillfallen/", {**base, "status": "discharged"}).content.decode()
    assert "1 episode" in body and '<th scope="row">P001</th>' in body
    body = client.get(
        "/flode/vardtillfallen/", {**base, "admitted_from": "2026-09-28", "admitted_to": "2026-09-28"}
    ).content.decode()
    assert "4 episodes" in body  # i = 27, 55, 83, 111

    first = client.get("/flode/vardtillfallen/", base).content.decode()
    assert "120 episodes · page 1 of 2" in first and "page=2" in first
    second = client.get("/flode/vardtillfallen/", {**base, "page": "2"}).content.decode()
    assert second.count('<th scope="row">P') == 20
    entries = list(AccessLogEntry.objects.order_by("id"))
    assert len(entries) == 6
    assert "care_type=somatic" in entries[0].resource and len(entries[0].object_ids) == 40
    assert "page=2" in entries[-1].resource and len(entries[-1].object_ids) == 20


def test_an_end_date_before_the_start_date_is_refused_without_reading(client, world):
    login(client, world.region_coordinator)
    body = client.get(
        "/flode/vardtillfallen/",
        {"county": "20", "reason": "Planering", "admitted_from": "2026-09-10", "admitted_to": "2026-09-01"},
    ).content.decode()
    assert "The end date is before the start date." in body
    assert not AccessLogEntry.objects.exists()


def test_the_home_page_tells_municipal_coordinators_who_waits_for_discharge(client, world):
    waiting = {"ready_at": "2026-09-03T10:00"}
    run_import(
        source_for("20", "Cosmic"),
        csv_bytes(
            row(source_id="W1", **waiting),
            row(source_id="W2", **waiting),
            row(source_id="W3", ready_at="2026-09-03T10:00", discharged_at="2026-09-04T10:00", destination="home"),
            row(source_id="W4", home_municipality="2084", **waiting),
        ),
    )
    body = login(client, world.falun_coordinator).get("/").content.decode()
    assert "2 patients from Falun are ready for discharge and still in hospital." in body
    assert "from Avesta" not in body  # another municipality's residents
    link = "/flode/vardtillfallen/?county=20&amp;municipality=2080&amp;status=waiting"
    assert link in body
    form = client.get(link.replace("&amp;", "&")).content.decode()
    assert '<option value="waiting" selected>' in form
    assert not AccessLogEntry.objects.exists()  # no list until a reason is given
    client.logout()
    assert "ready for discharge and still" not in login(client, world.viewer).get("/").content.decode()


def test_the_statistics_form_shows_the_period_and_granularity_it_uses(client, world):
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    monday_twelve_weeks_ago = today - datetime.timedelta(days=today.weekday() + 84)
    body = login(client, world.viewer).get("/flode/?county=20").content.decode()
    assert f'name="to" value="{today.isoformat()}"' in body
    assert f'name="from" value="{monday_twelve_weeks_ago.isoformat()}"' in body
    assert '<option value="week" selected>' in body


def test_patients_waiting_for_discharge_are_listed_longest_waiting_first(client, world):
    run_import(
        source_for("20", "Cosmic"),
        csv_bytes(
            row(source_id="LATE", ready_at="2026-09-05T10:00"),
            row(source_id="EARLY", ready_at="2026-09-02T10:00"),
            row(source_id="MIDDLE", ready_at="2026-09-03T10:00"),
        ),
    )
    body = (
        login(client, world.falun_coordinator)
        .get("/flode/vardtillfallen/", {"county": "20", "status": "waiting", "reason": "Planering"})
        .content.decode()
    )
    assert body.index(">EARLY<") < body.index(">MIDDLE<") < body.index(">LATE<")


@pytest.mark.parametrize("url", ["/flode/?county=20", "/flode/import/?county=20", "/flode/vardtillfallen/?county=20"])
def test_flow_pages_have_a_plain_text_title(client, world, url):
    body = login(client, world.region_coordinator).get(url).content.decode()
    title = body.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and len(title) < 120, title
