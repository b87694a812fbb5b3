"""Automatic preparation: due moments worked out by hand, a draft once per due moment, the
preparers told, nothing when disabled or when a report already holds figures from after it."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command

from samverkan.accounts.models import Notification
from samverkan.capacity.tests.helpers import at, local
from samverkan.situation import schedule, services
from samverkan.situation.models import ReportStatus, SituationReport, SituationSettings
from samverkan.testing import login

pytestmark = pytest.mark.django_db

THURSDAY_7 = local(2026, 3, 5, 7, 0)  # 5 March 2026 is a Thursday


@pytest.fixture
def weekly(world):
    with at(local(2026, 3, 2, 10, 0)):  # saved on the Monday before
        return services.settings_save(
            county=world.region.county, enabled=True, weekday=3, time=datetime.time(7, 0), by=world.forum_secretary
        )


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (local(2026, 3, 5, 7, 0), local(2026, 3, 5, 7, 0)),  # on the moment
        (local(2026, 3, 5, 6, 59), local(2026, 2, 26, 7, 0)),  # a minute early: last week's
        (local(2026, 3, 9, 12, 0), local(2026, 3, 5, 7, 0)),  # the Monday after
        (local(2026, 3, 11, 23, 59), local(2026, 3, 5, 7, 0)),  # the Wednesday after
        (local(2026, 3, 26, 8, 0), local(2026, 3, 26, 7, 0)),  # the Thursday before summer time
        (local(2026, 4, 2, 7, 30), local(2026, 4, 2, 7, 0)),  # after it: still 07:00 local
    ],
)
def test_last_due_worked_out_by_hand(world, now, due):
    weekly = SituationSettings(county_id="20", weekday=3, time=datetime.time(7, 0))
    assert schedule.last_due(weekly, now) == due


def test_a_draft_once_per_due_moment_and_the_preparers_told(world, weekly):
    with at(THURSDAY_7 - datetime.timedelta(minutes=1)):
        assert schedule.prepare_due() == []  # last week's moment came before the schedule was saved
    with at(THURSDAY_7 + datetime.timedelta(minutes=3)):
        drafts = schedule.prepare_due()
        assert schedule.prepare_due() == []  # again: nothing
    (draft,) = drafts
    assert draft.prepared_automatically and draft.status == ReportStatus.DRAFT
    told = set(Notification.objects.filter(url=f"/lagesbild/{draft.pk}/").values_list("user__email", flat=True))
    assert told == {world.region_coordinator.email, world.forum_secretary.email}
    services.report_publish(report=draft, by=world.forum_secretary)
    with at(THURSDAY_7 + datetime.timedelta(days=6)):
        assert schedule.prepare_due() == []
    with at(THURSDAY_7 + datetime.timedelta(days=7, minutes=1)):
        (second,) = schedule.prepare_due()
    assert second.pk != draft.pk and second.previous == SituationReport.objects.get(pk=draft.pk)


def test_not_due_when_disabled_or_prepared_by_hand(world, weekly):
    with at(THURSDAY_7 + datetime.timedelta(minutes=1)):
        services.report_prepare(county=world.region.county, by=world.forum_secretary)
    with at(THURSDAY_7 + datetime.timedelta(minutes=5)):
        assert schedule.prepare_due() == []
    services.settings_save(
        county=world.region.county, enabled=False, weekday=3, time=datetime.time(7), by=world.region_coordinator
    )
    with at(THURSDAY_7 + datetime.timedelta(days=7, minutes=5)):
        assert schedule.prepare_due() == []


def test_the_command_prepares_and_the_page_saves_the_schedule(world, client, capsys):
    login(client, world.forum_secretary)
    with at(THURSDAY_7 - datetime.timedelta(days=1)):
        saved = client.post("/lagesbild/schema/", {"county": "20", "enabled": "on", "weekday": "3", "time": "07:00"})
    assert saved.status_code == 302
    assert SituationSettings.objects.get(county_id="20").enabled
    with at(THURSDAY_7 + datetime.timedelta(minutes=1)):
        call_command("situation_prepare_due")
    assert "1 situation report drafts prepared." in capsys.readouterr().out
    login(client, world.viewer)
    assert client.post("/lagesbild/schema/", {"county": "20", "weekday": "1", "time": "08:00"}).status_code == 403
    assert SituationSettings.objects.get(county_id="20").weekday == 3
