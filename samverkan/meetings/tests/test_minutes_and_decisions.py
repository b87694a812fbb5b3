"""Meetings, agenda, attendance, minutes and numbered decisions through the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from samverkan.audit.models import AuditEvent
from samverkan.meetings import services
from samverkan.meetings.models import AgendaItem, Attendance, AttendanceStatus, Decision, Meeting, MinutesStatus
from samverkan.meetings.tests.helpers import at, make_meeting, make_setting
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def test_a_new_meeting_has_a_draft_and_the_forums_people_on_its_attendance_list(world):
    setting = make_setting(world)
    version = services.current_version(setting.meeting)
    assert (version.number, version.status) == (1, MinutesStatus.DRAFT)
    names = set(setting.meeting.attendance.values_list("name", "organisation__code"))
    assert names == {("Falun Coordinator", "2080"), ("Region Coordinator", "R20")}
    assert AuditEvent.objects.filter(event_type="meetings.meeting_created", object_id=str(setting.meeting.pk)).exists()


def test_decisions_are_numbered_per_meeting(world):
    setting = make_setting(world)
    second_item = services.agenda_item_add(meeting=setting.meeting, title="Syrgas", by=world.forum_secretary)
    numbers = [
        services.decision_add(item=item, text=f"Att {n}", by=world.forum_secretary).number
        for n, item in enumerate([setting.item, second_item, setting.item])
    ]
    assert numbers == [1, 2, 3]
    later = make_meeting(world, setting.forum, at(2030, 4, 21))
    later_item = services.agenda_item_add(meeting=later, title="Läget", by=world.forum_secretary)
    assert services.decision_add(item=later_item, text="Att fortsätta", by=world.forum_secretary).number == 1
    first = Decision.objects.get(meeting=setting.meeting, number=2)
    assert first.reference == "2030-04-14 § 2"
    assert AuditEvent.objects.filter(event_type="meetings.decision_added").count() == 4


def test_agenda_items_are_numbered_in_order(world):
    setting = make_setting(world)
    services.agenda_item_add(meeting=setting.meeting, title="Övrigt", by=world.forum_secretary)
    assert list(setting.meeting.items.values_list("position", "title")) == [
        (1, "Korttidsplatser i länet"),
        (2, "Övrigt"),
    ]


def test_minutes_with_a_personnummer_are_refused_and_nothing_changes(world):
    setting = make_setting(world)
    with pytest.raises(ValidationError) as refused:
        services.agenda_item_update(
            item=setting.item,
            title="Korttidsplatser",
            kind="decision",
            presenter="",
            description="",
            minutes="Patienten 19121212-1212 behöver plats.",
            by=world.forum_secretary,
        )
    assert "minutes" in refused.value.message_dict
    assert AgendaItem.objects.get(pk=setting.item.pk).minutes == ""


def test_attendance_is_set_all_or_nothing(world):
    setting = make_setting(world)
    rows = list(setting.meeting.attendance.order_by("name"))
    with pytest.raises(ValidationError):
        services.attendance_set(
            meeting=setting.meeting,
            changes=[(rows[0].pk, AttendanceStatus.REMOTE, ""), (rows[1].pk, "asleep", "")],
            by=world.forum_secretary,
        )
    assert set(Attendance.objects.filter(meeting=setting.meeting).values_list("status", flat=True)) == {"present"}
    services.attendance_set(
        meeting=setting.meeting,
        changes=[(rows[0].pk, AttendanceStatus.REMOTE, ""), (rows[1].pk, AttendanceStatus.ABSENT, "")],
        by=world.forum_secretary,
    )
    substitute = services.attendance_add(
        meeting=setting.meeting,
        name="Stina Ersättare",
        organisation=world.region,
        status=AttendanceStatus.PRESENT,
        substitute_for="Region Coordinator",
        by=world.forum_secretary,
    )
    assert substitute.substitute_for == "Region Coordinator"
    assert sorted(setting.meeting.attendance.values_list("status", flat=True)) == ["absent", "present", "remote"]
    assert AuditEvent.objects.filter(event_type="meetings.attendance_set").count() == 1


def test_only_the_countys_forum_secretaries_run_meetings(world):
    setting = make_setting(world)
    for persona in ("falun_coordinator", "region_coordinator", "viewer", "outsider"):
        with pytest.raises(PermissionDenied):
            services.agenda_item_add(meeting=setting.meeting, title="X", by=world.users[persona])
    assert setting.meeting.items.count() == 1


def test_a_meeting_needs_a_place_or_a_link_and_two_different_signers(world):
    setting = make_setting(world)
    with pytest.raises(ValidationError) as refused:
        services.meeting_create(
            forum=setting.forum,
            data=services.MeetingInput(
                title="X", starts_at=at(2030, 5, 1), chair=world.falun_coordinator, checker=world.falun_coordinator
            ),
            by=world.forum_secretary,
        )
    assert set(refused.value.message_dict) == {"place", "checker"}


def test_a_series_of_meetings_weekly_or_monthly(world, client):
    setting = make_setting(world, at(2030, 1, 31, 13))
    data = services.MeetingInput(title="Månadsmöte", starts_at=at(2030, 1, 31, 13), place="Falun")
    monthly = services.meeting_series_create(
        forum=setting.forum, data=data, every="month", count=3, by=world.forum_secretary
    )
    assert [(m.date.isoformat(), timezone.localtime(m.starts_at).hour) for m in monthly] == [
        ("2030-01-31", 13),
        ("2030-02-28", 13),
        ("2030-03-31", 13),  # summer time from 31 March: still 13:00 local
    ]
    assert monthly[1].title == "Månadsmöte 2030-02-28"
    with pytest.raises(ValidationError):
        services.meeting_series_create(
            forum=setting.forum, data=data, every="month", count=27, by=world.forum_secretary
        )
    assert Meeting.objects.filter(title__startswith="Månadsmöte").count() == 3

    login(client, world.forum_secretary)
    response = client.post(
        f"/moten/forum/{setting.forum.pk}/nytt-mote/",
        {
            "title": "Veckomöte",
            "starts_at": "2030-04-06T13:00",
            "place": "Teams",
            "series-every": "week",
            "series-count": "4",
        },
    )
    weekly = list(Meeting.objects.filter(title__startswith="Veckomöte").order_by("starts_at"))
    assert [m.date.isoformat() for m in weekly] == ["2030-04-06", "2030-04-13", "2030-04-20", "2030-04-27"]
    assert response["Location"] == f"/moten/{weekly[0].pk}/"
