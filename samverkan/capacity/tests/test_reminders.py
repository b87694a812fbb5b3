"""Reminder e-mails to the units that have not reported, from the follow-up page and from cron."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks import task_backends

from samverkan.accounts.models import User
from samverkan.capacity import services, tasks
from samverkan.capacity.models import ReportingSchedule
from samverkan.capacity.tests.helpers import at, local, report
from samverkan.organisations.models import Membership, Organisation, Unit, UnitKind
from samverkan.organisations.roles import Role
from samverkan.testing import login

pytestmark = pytest.mark.django_db

REMINDERS = "/kapacitet/rapportering/paminnelser/"
AFTER_DUE = local(2026, 3, 4, 10, 30)  # Wednesday, half an hour after the due time


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "https://samverkan.example.se/"


@pytest.fixture
def queued_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return task_backends["default"].results


@pytest.fixture
def avesta_staff(world) -> User:
    user = User.objects.create_user("avesta.staff@test.samverkan.se", "x-Lösen-2026!", full_name="Avesta Staff")
    Membership.objects.create(user=user, organisation=world.avesta, role=Role.UNIT_STAFF, unit=world.avesta_unit)
    return user


@pytest.fixture
def overdue(world, avesta_staff):
    """Lunden reported this morning; Avesta last on Monday; Tallen in Borlänge never, and nobody works there."""
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 4, 8))
    report(world.avesta_unit, world.avesta_coordinator, when=local(2026, 3, 2, 8))
    Unit.objects.create(
        code="t-tallen",
        name="Tallen",
        kind=UnitKind.SHORT_TERM,
        organisation=Organisation.objects.get(code="2081"),
        municipality_id="2081",
    )
    # The region's ward has not reported either, but wards do not report to this schedule.


def _send(client, world, county="20"):
    login(client, world.region_coordinator)
    with at(AFTER_DUE):
        return client.post(REMINDERS, {"county": county})


def test_reminders_go_to_the_staff_and_coordinator_of_overdue_units_only(
    client, world, overdue, immediate_tasks, avesta_staff
):
    response = _send(client, world)
    assert response.status_code == 302
    assert response["Location"] == "/kapacitet/rapportering/?county=20"
    (message,) = mail.outbox
    assert sorted(message.to) == ["avesta.coordinator@test.samverkan.se", "avesta.staff@test.samverkan.se"]
    assert "Avesta korttidsboende" in message.subject
    link = f"https://samverkan.example.se/kapacitet/enheter/{world.avesta_unit.pk}/rapportera/"
    assert link in message.body
    assert "10:00" in message.body
    everyone = {address for m in mail.outbox for address in m.to}
    assert "lunden.staff@test.samverkan.se" not in everyone
    assert "falun.coordinator@test.samverkan.se" not in everyone
    assert "region.coordinator@test.samverkan.se" not in everyone


def test_every_overdue_unit_gets_its_own_reminder(client, world, overdue, immediate_tasks):
    with at(local(2026, 3, 5, 10, 30)):  # Thursday: Lunden's Wednesday report is stale too
        count = tasks.send_overdue_reminders.call(county_code="20")
    assert count == 2
    by_unit = {m.subject: sorted(m.to) for m in mail.outbox}
    assert len(by_unit) == 2
    lunden = next(to for subject, to in by_unit.items() if "Lunden" in subject)
    assert lunden == ["falun.coordinator@test.samverkan.se", "lunden.staff@test.samverkan.se"]


def test_inactive_users_get_no_reminders(client, world, overdue, immediate_tasks, avesta_staff):
    avesta_staff.is_active = False
    avesta_staff.save()
    _send(client, world)
    assert [m.to for m in mail.outbox] == [["avesta.coordinator@test.samverkan.se"]]


def test_no_reminders_before_the_due_time(world, overdue, immediate_tasks):
    # Avesta's last report is stale, but reminders go out only once today's due time has passed.
    with at(local(2026, 3, 4, 9, 59)):
        assert tasks.send_overdue_reminders.call(county_code="20") == 0
    assert mail.outbox == []
    with at(local(2026, 3, 4, 10, 1)):
        assert tasks.send_overdue_reminders.call(county_code="20") >= 1
    report(world.avesta_unit, world.avesta_coordinator, when=local(2026, 3, 4, 10, 2))
    mail.outbox.clear()
    with at(local(2026, 3, 4, 10, 5)):
        tasks.send_overdue_reminders.call(county_code="20")
    assert "Avesta" not in " ".join(m.subject for m in mail.outbox)


def test_no_reminders_on_a_day_without_reporting(world, overdue, immediate_tasks):
    with at(local(2026, 3, 7, 12, 0)):  # a Saturday
        assert tasks.send_overdue_reminders.call(county_code="20") == 0


def test_no_reminders_when_the_county_turned_them_off(client, world, overdue, immediate_tasks):
    services.reporting_schedule_update(
        schedule=services.reporting_schedule_for("20"), by=world.region_coordinator, reminders_enabled=False
    )
    response = _send(client, world)
    assert response.status_code == 302
    assert mail.outbox == []


def test_only_schedulers_of_the_county_may_send_reminders(client, world, overdue, immediate_tasks):
    for user in [world.falun_coordinator, world.lunden_staff, world.viewer, world.outsider]:
        login(client, user)
        with at(AFTER_DUE):
            assert client.post(REMINDERS, {"county": "20"}).status_code == 403, user
    assert mail.outbox == []
    login(client, world.region_coordinator)
    assert client.get(REMINDERS).status_code == 405


def test_the_command_queues_reminders_for_counties_with_reminders_on(world, queued_tasks):
    ReportingSchedule.objects.create(county_id="20")
    ReportingSchedule.objects.create(county_id="18")
    ReportingSchedule.objects.create(county_id="01", reminders_enabled=False)
    out = io.StringIO()
    call_command("capacity_reminders", stdout=out)
    queued = sorted(result.kwargs["county_code"] for result in queued_tasks)
    assert queued == ["18", "20"]
    assert all(result.task.func is tasks.send_overdue_reminders.func for result in queued_tasks)
    assert out.getvalue().count("Queued reminders") == 2


def test_the_command_can_queue_one_county(world, queued_tasks):
    ReportingSchedule.objects.create(county_id="20")
    ReportingSchedule.objects.create(county_id="18")
    call_command("capacity_reminders", "--county", "20", stdout=io.StringIO())
    assert [result.kwargs for result in queued_tasks] == [{"county_code": "20"}]


def test_the_command_sends_the_reminders_through_the_task_backend(world, overdue, immediate_tasks):
    ReportingSchedule.objects.create(county_id="20")
    with at(AFTER_DUE):
        call_command("capacity_reminders", stdout=io.StringIO())
    assert [sorted(m.to) for m in mail.outbox] == [
        ["avesta.coordinator@test.samverkan.se", "avesta.staff@test.samverkan.se"]
    ]
