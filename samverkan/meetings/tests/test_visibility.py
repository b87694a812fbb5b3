"""A forum's minutes only to its members until published; then to the whole county, never beyond."""

from __future__ import annotations

import datetime

import pytest

from samverkan.meetings import selectors, services
from samverkan.meetings.models import Assignment, Decision, Meeting
from samverkan.meetings.tests.helpers import at, code_for, make_meeting, make_setting
from samverkan.testing import login

pytestmark = pytest.mark.django_db

MEMBERS = {
    "admin",
    "region_coordinator",
    "falun_coordinator",
    "avesta_coordinator",
    "lunden_staff",
    "forum_secretary",
    "viewer",
}
# The region, Falun and Avesta are members: their people (the region's viewer and Falun's unit
# staff too) see the minutes; the county's forum secretary runs them. Ludvika is not a member.
NOT_MEMBERS = {"ludvika_coordinator", "outsider"}


def _decided(world):
    setting = make_setting(world)
    services.decision_add(item=setting.item, text="Att Lunden används för länet", by=world.forum_secretary)
    services.assignment_create(
        item=setting.item,
        data=services.AssignmentInput(
            title="Plan", owner_organisation=world.avesta, due_date=datetime.date(2030, 5, 1)
        ),
        by=world.forum_secretary,
    )
    return setting


def _sees(world, persona, meeting) -> bool:
    user = world.users[persona]
    return (
        Meeting.objects.visible_to(user, "meetings.view").filter(pk=meeting.pk).exists()
        and Decision.objects.visible_to(user, "meetings.view").filter(meeting=meeting).exists()
    )


def test_unpublished_minutes_are_for_members_only(world, client):
    setting = _decided(world)
    assert {p for p in world.users if _sees(world, p, setting.meeting)} == MEMBERS
    for persona in NOT_MEMBERS:
        login(client, world.users[persona])
        assert client.get(f"/moten/{setting.meeting.pk}/").status_code == 404
        assert client.get(f"/api/v1/meetings/meetings/{setting.meeting.pk}").status_code == 404
        assert client.get("/api/v1/meetings/decisions?q=Lunden").json() == []
    login(client, world.falun_coordinator)
    assert client.get(f"/moten/{setting.meeting.pk}/").status_code == 200
    assert [d["text"] for d in client.get("/api/v1/meetings/decisions?q=lunden").json()] == [
        "Att Lunden används för länet"
    ]


def test_published_minutes_reach_the_county_and_no_further(world, client):
    setting = _decided(world)
    services.minutes_send_for_approval(meeting=setting.meeting, by=world.forum_secretary)
    services.minutes_sign(meeting=setting.meeting, code=code_for(world.falun_coordinator), by=world.falun_coordinator)
    services.minutes_sign(meeting=setting.meeting, code=code_for(world.region_coordinator), by=world.region_coordinator)
    assert not _sees(world, "ludvika_coordinator", setting.meeting)
    services.meeting_publish(meeting=setting.meeting, by=world.forum_secretary)
    assert {p for p in world.users if _sees(world, p, setting.meeting)} == MEMBERS | {"ludvika_coordinator"}
    login(client, world.outsider)
    assert client.get(f"/moten/{setting.meeting.pk}/").status_code == 404
    login(client, world.ludvika_coordinator)
    assert client.get(f"/moten/{setting.meeting.pk}/").status_code == 200


def test_an_owner_outside_the_forum_sees_its_assignment_but_not_the_minutes(world):
    setting = make_setting(world)
    assignment = services.assignment_create(
        item=setting.item,
        data=services.AssignmentInput(
            title="Ludvika rapporterar", owner_organisation=world.ludvika, due_date=datetime.date(2030, 5, 1)
        ),
        by=world.forum_secretary,
    )
    ludvika = world.ludvika_coordinator
    assert list(Assignment.objects.visible_to(ludvika, "meetings.view_assignments")) == [assignment]
    assert not Meeting.objects.visible_to(ludvika, "meetings.view").exists()
    assert list(selectors.my_assignments(ludvika)) == [assignment]


def test_forums_are_known_to_their_county(world):
    setting = make_setting(world)
    for persona in MEMBERS | {"ludvika_coordinator"}:
        assert list(selectors.forum_list(world.users[persona])) == [setting.forum], persona
    assert list(selectors.forum_list(world.outsider)) == []


def test_the_follow_up_list_shows_only_assignments_the_reader_may_see(world, client):
    """A published meeting's follow-up list must not show an assignment given at a meeting whose
    minutes are still for members only."""
    setting = make_setting(world)
    later = make_meeting(world, setting.forum, at(2030, 4, 21))
    services.assignment_create(
        item=setting.item,
        data=services.AssignmentInput(title="Hemligt uppdrag", owner_organisation=world.avesta, due_meeting=later),
        by=world.forum_secretary,
    )
    Meeting.objects.filter(pk=later.pk).update(is_published=True)  # as if its minutes were approved and published
    login(client, world.ludvika_coordinator)
    page = client.get(f"/moten/{later.pk}/").content.decode()
    assert "Hemligt uppdrag" not in page.split('id="followup-heading"')[1].split("</section>")[0]
    login(client, world.avesta_coordinator)
    assert "Hemligt uppdrag" in client.get(f"/moten/{later.pk}/").content.decode()
