"""The home page tells each user what the forum asks of them."""

from __future__ import annotations

import datetime

import pytest

from samverkan.meetings import services
from samverkan.meetings.tests.helpers import code_for, make_setting
from samverkan.organisations.models import County
from samverkan.portal.selectors import home_summary

pytestmark = pytest.mark.django_db


def _texts(user) -> list[str]:
    return [item.text for item in home_summary(user).attention]


def test_minutes_to_approve_assignments_and_questions_on_the_home_page(world):
    setting = make_setting(world)
    services.assignment_create(
        item=setting.item,
        data=services.AssignmentInput(
            title="Plan", owner_organisation=world.avesta, due_date=datetime.date(2030, 5, 1)
        ),
        by=world.forum_secretary,
    )
    services.minutes_send_for_approval(meeting=setting.meeting, by=world.forum_secretary)
    tracker = services.tracker_create(
        county=County.objects.get(code="20"),
        question="Redo för digitala vårdmöten?",
        options=["Ja", "Nej"],
        by=world.forum_secretary,
    )
    chair = _texts(world.falun_coordinator)
    assert "The minutes of Chefsnätverket 2030-04-14 wait for your approval." in chair
    assert "Falun has not answered: Redo för digitala vårdmöten?" in chair
    assert "You have 1 open assignment." in _texts(world.avesta_coordinator)
    secretary = _texts(world.forum_secretary)
    assert not [t for t in secretary if "has not answered" in t or "wait for your approval" in t]

    services.minutes_sign(meeting=setting.meeting, code=code_for(world.falun_coordinator), by=world.falun_coordinator)
    services.tracker_answer(
        tracker=tracker,
        organisation=world.falun,
        status="Ja",
        as_of=datetime.date(2026, 12, 1),
        by=world.falun_coordinator,
    )
    assert not [t for t in _texts(world.falun_coordinator) if "approval" in t or "has not answered" in t]
    assert "The minutes of Chefsnätverket 2030-04-14 wait for your approval." in _texts(world.region_coordinator)
