"""The report's pages and API: prepare → comment → publish through the pages, the same report for
every member of the county, and the JSON of a published report."""

from __future__ import annotations

import pytest

from samverkan.capacity.tests.helpers import at, local, report
from samverkan.situation.models import ReportStatus, SituationReport
from samverkan.testing import login

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 5, 9, 0)


@pytest.fixture
def reported(world):
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 5, 8), staffed=16, occupied=12)
    return world


def test_prepare_comment_publish_through_the_pages(reported, client):
    world = reported
    login(client, world.forum_secretary)
    with at(NOW):
        home = client.get("/lagesbild/?county=20")
        assert home.status_code == 200 and "Prepare a draft now" in home.content.decode()
        prepared = client.post("/lagesbild/forbered/", {"county": "20"})
    draft = SituationReport.objects.get()
    assert prepared.status_code == 302 and prepared.url == f"/lagesbild/{draft.pk}/"
    with at(NOW):
        page = client.get(f"/lagesbild/{draft.pk}/")
    text = page.content.decode()
    assert "Draft: not published" in text and "Publish" in text
    assert page.context["view"].capacity["totals"]["free"] == 4
    with at(NOW):
        client.post(
            f"/lagesbild/{draft.pk}/kommentarer/",
            {"capacity": "Lunden har fyra lediga platser.", "placements": "", "flow": "", "epidemiology": ""},
        )
        published = client.post(f"/lagesbild/{draft.pk}/publicera/")
    assert published.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.comments) == (
        ReportStatus.PUBLISHED,
        1,
        {"capacity": "Lunden har fyra lediga platser."},
    )
    login(client, world.lunden_staff)
    with at(NOW):
        seen = client.get(f"/lagesbild/{draft.pk}/")
        home = client.get("/")
    assert "Lunden har fyra lediga platser." in seen.content.decode()
    assert "/publicera/" not in seen.content.decode()
    # The home page shows the latest report's headline figures.
    assert "situation report 1 of 2026-03-05" in home.content.decode()


def test_a_draft_is_hidden_from_readers_and_refused_to_their_posts(reported, client):
    world = reported
    login(client, world.forum_secretary)
    with at(NOW):
        client.post("/lagesbild/forbered/", {"county": "20"})
    draft = SituationReport.objects.get()
    for persona in ("viewer", "falun_coordinator"):
        login(client, world.users[persona])
        with at(NOW):
            assert client.get(f"/lagesbild/{draft.pk}/").status_code == 404
            assert client.post(f"/lagesbild/{draft.pk}/publicera/").status_code == 404
            assert client.post("/lagesbild/forbered/", {"county": "20"}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == ReportStatus.DRAFT


def test_api_lists_and_returns_published_reports(reported, client):
    world = reported
    login(client, world.forum_secretary)
    with at(NOW):
        client.post("/lagesbild/forbered/", {"county": "20"})
        client.post(f"/lagesbild/{SituationReport.objects.get().pk}/publicera/")
    login(client, world.viewer)
    listed = client.get("/api/v1/situation/reports?county=20").json()
    assert [(r["number"], r["version"], r["county"]) for r in listed] == [(1, 1, "20")]
    one = client.get("/api/v1/situation/reports/1?county=20").json()
    assert one["figures"]["capacity"]["totals"]["free"] == 4
    assert one["corrects_version"] is None
    assert client.get("/api/v1/situation/reports/2?county=20").status_code == 404
    assert client.get("/api/v1/situation/reports?county=18").status_code == 403
