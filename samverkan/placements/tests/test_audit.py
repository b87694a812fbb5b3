"""Every change of a request is audited in the same transaction as the change: a flow leaves
one audit event per step, and when the audit event cannot be written nothing of the change
stays (status, offers, reservations, places held, history, notifications)."""

from __future__ import annotations

import pytest

from samverkan.accounts.models import Notification
from samverkan.audit.models import AuditEvent
from samverkan.capacity.models import UnitCapacity
from samverkan.placements import services, states
from samverkan.placements.models import OfferStatus, PlaceOffer, PlaceRequest, RequestEvent, RequestStatus, Reservation
from samverkan.placements.tests.helpers import CALLS, bring_to, new_request, report

pytestmark = pytest.mark.django_db

S = RequestStatus


def _types(since: int) -> list[str]:
    return list(AuditEvent.objects.filter(pk__gt=since).order_by("pk").values_list("event_type", flat=True))


def test_a_whole_flow_leaves_one_audit_event_per_step(world):
    report(world.lunden, world.lunden_staff)
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    request = new_request(world, "county", send=False, note="Rullstol")
    services.request_send(request=request, by=world.avesta_coordinator)
    offer = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    reservation = services.offer_accept(offer=offer, by=world.avesta_coordinator)
    services.request_arrive(request=request, by=world.lunden_staff)
    services.request_end(request=request, by=world.avesta_coordinator)
    assert _types(start) == [
        "placements.request_created",
        "placements.request_sent",
        "placements.offer_created",
        "capacity.places_reserved",  # capacity's own service holds the places and audits them
        "placements.request_accept",
        "placements.reservation_created",
        "capacity.places_released",
        "placements.request_arrive",
        "placements.request_end",
    ]
    events = {e.event_type: e for e in AuditEvent.objects.filter(pk__gt=start)}
    created = events["placements.request_created"]
    assert (created.actor, created.organisation, created.object_type, created.object_id) == (
        world.avesta_coordinator,
        world.avesta,
        "placements.placerequest",
        str(request.pk),
    )
    assert created.after == {
        "places": 2,
        "wanted_from": "2030-01-07",
        "wanted_until": None,
        "urgency": "normal",
        "to_unit": None,
        "to_municipality": None,
        "to_county": True,
        "needs": [],
    }
    offered = events["placements.offer_created"]
    assert (offered.actor, offered.organisation, offered.object_id) == (world.lunden_staff, world.falun, str(offer.pk))
    assert events["placements.reservation_created"].object_id == str(reservation.pk)
    assert (events["placements.request_arrive"].before, events["placements.request_arrive"].after) == (
        {"status": "accepted"},
        {"status": "in_place"},
    )


def _everything() -> tuple:
    return (
        list(PlaceRequest.objects.order_by("pk").values_list("pk", "status", "decline_reason", "expires_at")),
        list(PlaceOffer.objects.order_by("pk").values_list("pk", "status")),
        list(Reservation.objects.order_by("pk").values_list("pk", "arrived_on", "left_on", "released_at")),
        list(UnitCapacity.objects.order_by("pk").values_list("pk", "reserved")),
        RequestEvent.objects.count(),
        Notification.objects.count(),
        AuditEvent.objects.count(),
    )


# For each transition: a status and a shape it can be made from, and who makes it.
MADE_FROM = {
    "send": (S.DRAFT, "county", "avesta_coordinator"),
    "withdraw": (S.ACCEPTED, "county", "avesta_coordinator"),
    "offer": (S.SENT, "county", "lunden_staff"),
    "decline": (S.SENT, "municipality", "falun_coordinator"),
    "accept": (S.OFFERED, "county", "avesta_coordinator"),
    "decline_offer": (S.OFFERED, "county", "avesta_coordinator"),
    "arrive": (S.ACCEPTED, "county", "lunden_staff"),
    "end": (S.IN_PLACE, "county", "lunden_staff"),
    "expire": (S.OFFERED, "county", None),
}


def test_every_transition_is_covered():
    assert set(MADE_FROM) == set(states.TRANSITIONS)
    assert all(status in states.TRANSITIONS[action].sources for action, (status, _s, _p) in MADE_FROM.items())


@pytest.mark.parametrize("action", list(MADE_FROM))
def test_a_change_whose_audit_event_fails_is_not_made(world, monkeypatch, action):
    status, shape, persona = MADE_FROM[action]
    request = bring_to(world, shape, status)
    offer = request.offers.filter(status=OfferStatus.OPEN).first()
    before = _everything()

    def audit_store_down(**kwargs):
        raise RuntimeError("the audit log cannot be written")

    monkeypatch.setattr(services, "audit_record", audit_store_down)
    with pytest.raises(RuntimeError, match="audit log"):
        if action == "expire":
            services.requests_expire(now=request.expires_at)
        else:
            CALLS[action](request, offer, world.lunden, getattr(world, persona))
    assert _everything() == before
