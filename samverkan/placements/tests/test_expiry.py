"""Unanswered requests expire: sent or offered requests whose answer time has passed become
expired (their open offers lapse and the requester is told); nothing else is touched."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from samverkan.accounts.models import Notification
from samverkan.audit.models import AuditEvent
from samverkan.placements import services
from samverkan.placements.models import OfferStatus, PlacementSettings, PlaceRequest, RequestStatus
from samverkan.placements.tests.helpers import at, local, new_request, report

pytestmark = pytest.mark.django_db

SENT_AT = local(2026, 3, 2, 9, 0)  # Monday morning
HOUR = datetime.timedelta(hours=1)


def _sent(world, shape="county", when=SENT_AT, **kwargs) -> PlaceRequest:
    with at(when):
        return new_request(world, shape, **kwargs)


def _offered(world, when=SENT_AT):
    request = _sent(world, when=when)
    with at(when + HOUR):
        offer = services.offer_create(request=request, unit=world.lunden, places=1, by=world.lunden_staff)
    return request, offer


def _status(request) -> str:
    return PlaceRequest.objects.values_list("status", flat=True).get(pk=request.pk)


def test_the_answer_time_is_48_hours_after_sending_by_default(world):
    request = _sent(world)
    assert (request.sent_at, request.expires_at) == (SENT_AT, SENT_AT + 48 * HOUR)


def test_the_county_setting_decides_the_answer_time(world):
    PlacementSettings.objects.create(county_id="20", expiry_hours=6)
    request = _sent(world)
    assert request.expires_at == SENT_AT + 6 * HOUR
    assert services.requests_expire(now=SENT_AT + 6 * HOUR - datetime.timedelta(seconds=1)) == 0
    assert services.requests_expire(now=SENT_AT + 6 * HOUR) == 1
    assert _status(request) == RequestStatus.EXPIRED


def test_a_draft_gets_its_answer_time_when_it_is_sent(world):
    PlacementSettings.objects.create(county_id="20", expiry_hours=12)
    with at(SENT_AT):
        draft = new_request(world, "county", send=False)
    assert draft.expires_at is None
    with at(SENT_AT + 24 * HOUR):
        sent = services.request_send(request=draft, by=world.avesta_coordinator)
    assert sent.expires_at == SENT_AT + 36 * HOUR


def test_sent_and_offered_requests_past_their_time_expire_and_nothing_else(world):
    report(world.lunden, world.lunden_staff, when=SENT_AT)
    sent = _sent(world)
    offered, open_offer = _offered(world)
    accepted, accepted_offer = _offered(world)
    second_offer = services.offer_create(request=accepted, unit=world.lunden, places=1, by=world.lunden_staff)
    with at(SENT_AT + 2 * HOUR):
        services.offer_accept(offer=accepted_offer, by=world.avesta_coordinator)
    draft = _sent(world, send=False)
    withdrawn = _sent(world)
    services.request_withdraw(request=withdrawn, by=world.avesta_coordinator)
    later = _sent(world, when=SENT_AT + 10 * HOUR)  # its time runs out at 10 h later

    with at(SENT_AT + 48 * HOUR):
        assert services.requests_expire() == 2

    assert {r.pk: _status(r) for r in [sent, offered, accepted, draft, withdrawn, later]} == {
        sent.pk: RequestStatus.EXPIRED,
        offered.pk: RequestStatus.EXPIRED,
        accepted.pk: RequestStatus.ACCEPTED,
        draft.pk: RequestStatus.DRAFT,
        withdrawn.pk: RequestStatus.WITHDRAWN,
        later.pk: RequestStatus.SENT,
    }
    open_offer.refresh_from_db()
    second_offer.refresh_from_db()
    assert (open_offer.status, open_offer.answered_at) == (OfferStatus.LAPSED, SENT_AT + 48 * HOUR)
    assert second_offer.status == OfferStatus.OPEN  # an accepted request's offers do not lapse
    assert offered.reservations.count() == 0

    with at(SENT_AT + 58 * HOUR):
        assert services.requests_expire() == 1
    assert _status(later) == RequestStatus.EXPIRED


def test_one_second_before_its_time_a_request_is_still_open(world):
    request = _sent(world)
    assert services.requests_expire(now=SENT_AT + 48 * HOUR - datetime.timedelta(seconds=1)) == 0
    assert _status(request) == RequestStatus.SENT


def test_accepted_requests_never_expire(world):
    report(world.lunden, world.lunden_staff, when=SENT_AT)
    request, offer = _offered(world)
    services.offer_accept(offer=offer, by=world.avesta_coordinator)
    assert services.requests_expire(now=SENT_AT + 365 * 24 * HOUR) == 0
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
    assert request.reservations.get().holds_places


def test_the_requester_is_told_and_the_expiry_is_audited_and_in_the_history(world):
    request = _sent(world)
    Notification.objects.all().delete()
    services.requests_expire(now=SENT_AT + 48 * HOUR)
    told = Notification.objects.filter(url=f"/platser/{request.pk}/")
    assert {n.user for n in told} == {world.avesta_coordinator}
    assert "expired" in told.get().text
    event = AuditEvent.objects.get(event_type="placements.request_expire", object_id=str(request.pk))
    assert (event.actor_label, event.before, event.after) == ("system", {"status": "sent"}, {"status": "expired"})
    assert list(request.events.values_list("action", "actor_label")) == [
        ("create", "Avesta Coordinator"),
        ("send", "Avesta Coordinator"),
        ("expire", "system"),
    ]


def test_the_management_command_expires_what_is_due(world):
    request = _sent(world)
    out = io.StringIO()
    with at(SENT_AT + 49 * HOUR):
        call_command("placements_expire", stdout=out)
    assert out.getvalue().strip() == "1 requests expired."
    assert _status(request) == RequestStatus.EXPIRED
