"""Assignments: owners and deadlines, carry-over to the next meeting's agenda, status updates."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from samverkan.audit.models import AuditEvent
from samverkan.meetings import selectors, services
from samverkan.meetings.models import AgendaItem, Assignment, AssignmentStatus
from samverkan.meetings.tests.helpers import at, make_meeting, make_setting

pytestmark = pytest.mark.django_db


def _give(world, setting, **data):
    return services.assignment_create(
        item=setting.item, data=services.AssignmentInput(**data), by=world.forum_secretary
    )


def test_an_assignment_needs_an_owner_and_a_deadline(world):
    setting = make_setting(world)
    with pytest.raises(ValidationError) as refused:
        _give(world, setting, title="Ta fram ett förslag")
    assert set(refused.value.message_dict) == {"owner", "due"}
    assert not Assignment.objects.exists()


def test_an_assignment_due_by_a_meeting_is_on_that_meetings_agenda(world):
    setting = make_setting(world, at(2030, 4, 14))
    april_21 = make_meeting(world, setting.forum, at(2030, 4, 21))
    assignment = _give(
        world, setting, title="Presentera en stegvis plan", owner_organisation=world.falun, due_meeting=april_21
    )
    item = AgendaItem.objects.get(meeting=april_21, assignment=assignment)
    assert item.title == "Follow-up: Presentera en stegvis plan"
    assert item.presenter == "Falun"
    assert [a.pk for a in services.assignments_to_follow_up(april_21, datetime.date(2030, 4, 15))] == [assignment.pk]


@time_machine.travel(datetime.datetime(2030, 4, 20, 8, 0, tzinfo=datetime.UTC), tick=False)
def test_overdue_assignments_are_carried_to_the_next_meeting_once(world):
    setting = make_setting(world, at(2030, 4, 14))
    overdue = _give(
        world,
        setting,
        title="Rapportera läget",
        owner_person=world.avesta_coordinator,
        due_date=datetime.date(2030, 4, 17),
    )
    due_later = _give(
        world, setting, title="Senare", owner_organisation=world.avesta, due_date=datetime.date(2030, 6, 1)
    )
    done = _give(world, setting, title="Klart", owner_organisation=world.avesta, due_date=datetime.date(2030, 4, 16))
    done = services.assignment_update_status(assignment=done, status=AssignmentStatus.DONE, by=world.avesta_coordinator)
    assert overdue.is_overdue() and not due_later.is_overdue() and not done.is_overdue()

    # The next meeting is created: the overdue assignment goes on its agenda (the others do not).
    next_one = make_meeting(world, setting.forum, at(2030, 4, 28))
    follow_ups = AgendaItem.objects.filter(meeting=next_one, assignment__isnull=False)
    assert [i.assignment_id for i in follow_ups] == [overdue.pk]
    # The daily run adds nothing more.
    assert services.assignments_carry_over(forum=setting.forum, by=world.forum_secretary) == []
    assert AgendaItem.objects.filter(meeting=next_one, assignment=overdue).count() == 1
    # Only the next meeting gets it, not one after it.
    after = make_meeting(world, setting.forum, at(2030, 5, 12))
    assert not AgendaItem.objects.filter(meeting=after, assignment=overdue).exists()
    assert AuditEvent.objects.filter(event_type="meetings.follow_up_added").count() == 1


def test_an_assignment_coming_due_is_carried_by_the_daily_run(world):
    """Given on 14 April, due 5 May; meetings on 28 April and 12 May. On 20 April the next meeting
    (28 April) comes before the deadline: nothing. On 29 April the next one is 12 May, after the
    deadline: the assignment goes on its agenda."""
    with time_machine.travel(datetime.datetime(2030, 4, 14, 12, 0, tzinfo=datetime.UTC), tick=False):
        setting = make_setting(world, at(2030, 4, 14))
        april_28 = make_meeting(world, setting.forum, at(2030, 4, 28))
        may_12 = make_meeting(world, setting.forum, at(2030, 5, 12))
        assignment = _give(
            world,
            setting,
            title="Inventera syrgas",
            owner_organisation=world.avesta,
            due_date=datetime.date(2030, 5, 5),
        )
    with time_machine.travel(datetime.datetime(2030, 4, 20, 6, 0, tzinfo=datetime.UTC), tick=False):
        assert services.assignments_carry_over(forum=setting.forum, by=world.forum_secretary) == []
    with time_machine.travel(datetime.datetime(2030, 4, 29, 6, 0, tzinfo=datetime.UTC), tick=False):
        added = services.assignments_carry_over(forum=setting.forum, by=world.forum_secretary)
    assert [(i.assignment_id, i.meeting_id) for i in added] == [(assignment.pk, may_12.pk)]
    assert not AgendaItem.objects.filter(meeting=april_28, assignment__isnull=False).exists()


@time_machine.travel(datetime.datetime(2030, 4, 20, 8, 0, tzinfo=datetime.UTC), tick=False)
def test_the_board_has_a_column_per_status_with_overdue_cards_first(world):
    setting = make_setting(world, at(2030, 4, 14))
    late = _give(world, setting, title="Sen", owner_organisation=world.avesta, due_date=datetime.date(2030, 4, 15))
    early = _give(world, setting, title="I tid", owner_organisation=world.avesta, due_date=datetime.date(2030, 4, 25))
    later_still = _give(
        world, setting, title="Sen men senare", owner_organisation=world.falun, due_date=datetime.date(2030, 4, 19)
    )
    columns = selectors.board(world.forum_secretary, setting.forum)
    assert [c["status"] for c in columns] == ["open", "in_progress", "done", "cancelled"]
    cards = columns[0]["cards"]
    assert [(c.pk, c.overdue) for c in cards] == [(late.pk, True), (later_still.pk, True), (early.pk, False)]


def test_the_owner_updates_the_status_others_may_not(world):
    setting = make_setting(world)
    assignment = _give(
        world, setting, title="Rapportera", owner_organisation=world.avesta, due_date=datetime.date(2030, 5, 1)
    )
    for persona in ("falun_coordinator", "ludvika_coordinator", "viewer", "outsider"):
        with pytest.raises(PermissionDenied):
            services.assignment_update_status(assignment=assignment, status="done", by=world.users[persona])
    services.assignment_update_status(
        assignment=assignment, status=AssignmentStatus.IN_PROGRESS, note="Påbörjat", by=world.avesta_coordinator
    )
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.IN_PROGRESS
    assert list(assignment.notes.values_list("text", "status_after")) == [("Påbörjat", "in_progress")]
    event = AuditEvent.objects.get(event_type="meetings.assignment_status")
    assert (event.before, event.after["status"], event.organisation.code) == ({"status": "open"}, "in_progress", "2084")


def test_my_assignments_are_those_given_to_me_or_my_organisation(world):
    setting = make_setting(world)
    to_avesta = _give(world, setting, title="A", owner_organisation=world.avesta, due_date=datetime.date(2030, 5, 1))
    _give(world, setting, title="B", owner_organisation=world.falun, due_date=datetime.date(2030, 5, 1))
    to_viewer = _give(world, setting, title="C", owner_person=world.viewer, due_date=datetime.date(2030, 5, 1))
    assert list(selectors.my_assignments(world.avesta_coordinator)) == [to_avesta]
    assert list(selectors.my_assignments(world.viewer)) == [to_viewer]
