"""Status trackers: every municipality answers for itself; the county sees the answers; the
secretary reminds those who have not answered."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from samverkan.accounts.models import Notification
from samverkan.audit.models import AuditEvent
from samverkan.meetings import services
from samverkan.meetings.models import TrackerAnswer
from samverkan.meetings.tests.helpers import csv_rows
from samverkan.organisations.models import County, Organisation
from samverkan.testing import login

pytestmark = pytest.mark.django_db

OPTIONS = ["Redo", "Nästan redo", "Inga uppgifter"]


def _tracker(world):
    return services.tracker_create(
        county=County.objects.get(code="20"),
        question="Redo för digitala vårdmöten?",
        options=OPTIONS,
        by=world.forum_secretary,
    )


def test_municipalities_answer_for_themselves_and_the_latest_answer_counts(world):
    tracker = _tracker(world)
    today = timezone.localdate()
    services.tracker_answer(
        tracker=tracker, organisation=world.falun, status="Nästan redo", as_of=today, by=world.falun_coordinator
    )
    services.tracker_answer(
        tracker=tracker, organisation=world.falun, status="Redo", as_of=today, by=world.falun_coordinator
    )
    with pytest.raises(PermissionDenied):
        services.tracker_answer(
            tracker=tracker, organisation=world.avesta, status="Redo", as_of=today, by=world.falun_coordinator
        )
    with pytest.raises(ValidationError) as refused:
        services.tracker_answer(
            tracker=tracker, organisation=world.avesta, status="Kanske", as_of=today, by=world.avesta_coordinator
        )
    assert "status" in refused.value.message_dict
    # The secretary records an answer given by phone.
    services.tracker_answer(
        tracker=tracker,
        organisation=world.ludvika,
        status="Inga uppgifter",
        as_of=today,
        comment="Per telefon",
        by=world.forum_secretary,
    )
    latest = services.tracker_latest(tracker)
    assert {o: a.status for o, a in latest.items()} == {world.falun.pk: "Redo", world.ludvika.pk: "Inga uppgifter"}
    assert TrackerAnswer.objects.count() == 3
    assert AuditEvent.objects.filter(event_type="meetings.tracker_answered").count() == 3


def test_the_reminder_goes_to_the_municipalities_without_an_answer(world):
    tracker = _tracker(world)
    services.tracker_answer(
        tracker=tracker,
        organisation=world.falun,
        status="Redo",
        as_of=timezone.localdate(),
        by=world.falun_coordinator,
    )
    municipalities = Organisation.objects.filter(county_id="20", kind="municipality").count()
    assert services.tracker_remind(tracker=tracker, by=world.forum_secretary) == municipalities - 1
    reminded = set(Notification.objects.filter(text__startswith="Please answer").values_list("user__email", flat=True))
    assert reminded == {world.avesta_coordinator.email, world.ludvika_coordinator.email}
    with pytest.raises(PermissionDenied):
        services.tracker_remind(tracker=tracker, by=world.falun_coordinator)


def test_the_county_view_lists_every_municipality(world, client):
    tracker = _tracker(world)
    services.tracker_answer(
        tracker=tracker,
        organisation=world.avesta,
        status="Nästan redo",
        as_of=datetime.date(2026, 11, 30),
        by=world.avesta_coordinator,
    )
    login(client, world.viewer)
    page = client.get(f"/moten/statusfragor/{tracker.pk}/").content.decode()
    assert page.count("No answer") == Organisation.objects.filter(county_id="20", kind="municipality").count() - 1
    assert "Nästan redo" in page and "2026-11-30" in page
    rows = csv_rows(client.get(f"/moten/statusfragor/{tracker.pk}/svar.csv").content)
    assert ["Avesta", "Nästan redo", "2026-11-30", "", "Avesta Coordinator"] in rows
    login(client, world.avesta_coordinator)
    response = client.post(
        f"/moten/statusfragor/{tracker.pk}/", {"organisation": world.avesta.pk, "status": "Redo", "as_of": "2026-12-01"}
    )
    assert response.status_code == 302
    assert services.tracker_latest(tracker)[world.avesta.pk].status == "Redo"
    login(client, world.outsider)
    assert client.get(f"/moten/statusfragor/{tracker.pk}/").status_code == 404
