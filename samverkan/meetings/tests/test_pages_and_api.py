"""Holding a meeting through the pages and reading it through the API."""

from __future__ import annotations

import datetime

import pytest

from samverkan.audit.models import AuditEvent
from samverkan.meetings import services
from samverkan.meetings.models import Assignment, Attendance, Decision, Forum, Meeting
from samverkan.meetings.tests.helpers import at, make_forum, make_meeting, make_setting
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def test_the_secretary_holds_a_meeting_through_the_pages(world, client):
    login(client, world.forum_secretary)
    response = client.post(
        "/moten/forum/ny/?county=20",
        {"county": "20", "name": "Länssamverkansgruppen", "organisations": [world.region.pk, world.falun.pk]},
    )
    forum = Forum.objects.get(name="Länssamverkansgruppen")
    assert response.status_code == 302 and response["Location"] == f"/moten/forum/{forum.pk}/"
    client.post(
        f"/moten/forum/{forum.pk}/ledamoter/",
        {"user": world.falun_coordinator.pk, "organisation": world.falun.pk, "title": "Ordförande"},
    )
    assert list(forum.people.values_list("user", "title")) == [(world.falun_coordinator.pk, "Ordförande")]
    response = client.post(
        f"/moten/forum/{forum.pk}/nytt-mote/",
        {
            "title": "Veckomöte 6 maj",
            "starts_at": "2030-05-06T13:00",
            "place": "Teams",
            "chair": world.falun_coordinator.pk,
            "checker": world.region_coordinator.pk,
        },
    )
    meeting = Meeting.objects.get(forum=forum)
    assert response["Location"] == f"/moten/{meeting.pk}/"
    client.post(
        f"/moten/{meeting.pk}/punkter/",
        {"new-title": "Korttidsplatser", "new-kind": "decision", "new-presenter": "Filip Falun"},
    )
    item = meeting.items.get()
    client.post(
        f"/moten/punkter/{item.pk}/",
        {
            "title": "Korttidsplatser",
            "kind": "decision",
            "presenter": "Filip Falun",
            "minutes": "Avesta behöver sex platser.",
        },
    )
    client.post(f"/moten/punkter/{item.pk}/beslut/", {"text": "Att Falun erbjuder fyra platser på Lunden"})
    response = client.post(
        f"/moten/punkter/{item.pk}/uppdrag/",
        {
            "assignment-title": "Ta fram en stegvis plan",
            "assignment-owner_organisation": world.falun.pk,
            "assignment-due_date": "2030-05-20",
        },
    )
    assert response.status_code == 302
    client.post(
        f"/moten/{meeting.pk}/narvaro/",
        {
            "add": "1",
            "add-name": "Stina Ersättare",
            "add-organisation": world.region.pk,
            "add-status": "remote",
            "add-substitute_for": "Rebecka",
        },
    )
    item.refresh_from_db()
    assert list(meeting.attendance.values_list("name", flat=True).order_by("name")) == [
        "Falun Coordinator",
        "Stina Ersättare",
    ]
    assert item.minutes == "Avesta behöver sex platser."
    assert list(Decision.objects.filter(meeting=meeting).values_list("number", "text")) == [
        (1, "Att Falun erbjuder fyra platser på Lunden")
    ]
    assert Assignment.objects.get().owner_organisation == world.falun
    assert Attendance.objects.get(meeting=meeting, name="Stina Ersättare").status == "remote"
    page = client.get(f"/moten/{meeting.pk}/").content.decode()
    for text in (
        "Avesta behöver sex platser.",
        "Att Falun erbjuder fyra platser på Lunden",
        "Ta fram en stegvis plan",
        "Stina Ersättare",
    ):
        assert text in page
    board = client.get(f"/moten/forum/{forum.pk}/uppdrag/").content.decode()
    assert "Ta fram en stegvis plan" in board


def test_an_assignment_without_an_owner_shows_the_message_and_saves_nothing(world, client):
    setting = make_setting(world)
    login(client, world.forum_secretary)
    response = client.post(
        f"/moten/punkter/{setting.item.pk}/uppdrag/",
        {"assignment-title": "Utan ägare", "assignment-due_date": "2030-05-20"},
    )
    assert response.status_code == 200
    assert "Give the assignment to a person or an organisation." in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_member_may_read_but_not_write(world, client):
    setting = make_setting(world)
    login(client, world.falun_coordinator)
    assert client.get(f"/moten/{setting.meeting.pk}/").status_code == 200
    assert (
        client.post(f"/moten/{setting.meeting.pk}/punkter/", {"new-title": "X", "new-kind": "information"}).status_code
        == 403
    )
    assert client.post(f"/moten/punkter/{setting.item.pk}/", {"title": "X", "kind": "information"}).status_code == 403
    assert setting.meeting.items.count() == 1


def test_the_api_lists_meetings_decisions_and_assignments_and_takes_status_updates(world, client):
    setting = make_setting(world)
    services.decision_add(item=setting.item, text="Att syrgas lånas ut", by=world.forum_secretary)
    assignment = services.assignment_create(
        item=setting.item,
        data=services.AssignmentInput(
            title="Inventera", owner_organisation=world.avesta, due_date=datetime.date(2030, 5, 1)
        ),
        by=world.forum_secretary,
    )
    login(client, world.avesta_coordinator)
    forums = client.get("/api/v1/meetings/forums?county=20").json()
    assert [f["name"] for f in forums] == ["Chefsnätverket"]
    meetings = client.get(f"/api/v1/meetings/meetings?forum={setting.forum.pk}").json()
    assert [(m["id"], m["minutes_status"]) for m in meetings] == [(setting.meeting.pk, "draft")]
    detail = client.get(f"/api/v1/meetings/meetings/{setting.meeting.pk}").json()
    assert detail["items"][0]["decisions"] == ["§ 1: Att syrgas lånas ut"]
    listed = client.get("/api/v1/meetings/assignments?status=open").json()
    assert [(a["id"], a["owner_organisation"], a["overdue"]) for a in listed] == [
        (assignment.pk, world.avesta.pk, False)
    ]
    answer = client.post(
        f"/api/v1/meetings/assignments/{assignment.pk}/status",
        {"status": "done", "note": "Klart"},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["status"] == "done"
    bad = client.post(
        f"/api/v1/meetings/assignments/{assignment.pk}/status", {"status": "finished"}, content_type="application/json"
    )
    assert bad.status_code == 422
    login(client, world.falun_coordinator)  # a member, not the owner
    refused = client.post(
        f"/api/v1/meetings/assignments/{assignment.pk}/status", {"status": "open"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert Assignment.objects.get().status == "done"


def test_the_decision_search_finds_every_word(world, client):
    forum = make_forum(world)
    meeting = make_meeting(world, forum, at(2030, 4, 14))
    item = services.agenda_item_add(meeting=meeting, title="Syrgas", by=world.forum_secretary)
    services.decision_add(item=item, text="Att regionen lånar ut syrgaskoncentratorer", by=world.forum_secretary)
    services.decision_add(item=item, text="Att kommunerna rapporterar lager", by=world.forum_secretary)
    login(client, world.region_coordinator)
    page = client.get("/moten/beslut/?county=20&q=regionen+syrgas").content.decode()
    assert "lånar ut syrgaskoncentratorer" in page and "rapporterar lager" not in page


def test_the_secretary_changes_the_members_and_so_who_sees_the_minutes(world, client):
    setting = make_setting(world)
    assert not Meeting.objects.visible_to(world.ludvika_coordinator, "meetings.view").exists()
    login(client, world.forum_secretary)
    response = client.post(
        f"/moten/forum/{setting.forum.pk}/andra/",
        {
            "name": "Chefsnätverket",
            "organisations": [world.region.pk, world.falun.pk, world.avesta.pk, world.ludvika.pk],
        },
    )
    assert response.status_code == 302
    assert Meeting.objects.visible_to(world.ludvika_coordinator, "meetings.view").get() == setting.meeting
    person = setting.forum.people.get(user=world.falun_coordinator)
    client.post(f"/moten/forum/{setting.forum.pk}/ledamoter/{person.pk}/ta-bort/")
    assert not setting.forum.people.filter(user=world.falun_coordinator).exists()
    assert set(AuditEvent.objects.filter(object_id=str(setting.forum.pk)).values_list("event_type", flat=True)) >= {
        "meetings.forum_updated",
        "meetings.forum_person_removed",
    }
