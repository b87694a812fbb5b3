"""Once an offer is accepted, arrival and end are marked only by the requesting side and the side
that gives the places: the staff of the accepted offers' units and their municipality's
coordinators (issue 17, finding 2). The probe: Ludvika, no part in it, marked arrival on Avesta's
county-wide request whose places were at Falun's Lunden, then ended the stay."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from samverkan.accounts.models import Notification
from samverkan.accounts.services import api_key_authenticate, api_key_create
from samverkan.organisations import policy
from samverkan.placements import services, states
from samverkan.placements.models import PlaceRequest, RequestStatus, Reservation
from samverkan.placements.tests.helpers import new_request, report
from samverkan.testing import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(world) -> PlaceRequest:
    """Avesta's county-wide request for 2 places, accepted at Lunden (Falun)."""
    report(world.lunden, world.lunden_staff)
    request = new_request(world, "county")
    offer = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    services.offer_accept(offer=offer, by=world.avesta_coordinator)
    return request


def _state(request: PlaceRequest) -> tuple:
    reservation = Reservation.objects.get(request=request)
    return PlaceRequest.objects.get(pk=request.pk).status, reservation.arrived_on, reservation.left_on


def test_ludvika_can_neither_mark_arrival_nor_end_on_the_pages(client, world, accepted):
    login(client, world.ludvika_coordinator)
    detail = client.get(f"/platser/{accepted.pk}/")
    assert detail.status_code == 200  # a county-wide request is seen by the whole county
    assert "arrive" not in detail.context["actions"]
    assert client.post(f"/platser/{accepted.pk}/arrive/").status_code == 403
    assert _state(accepted) == (RequestStatus.ACCEPTED, None, None)
    services.request_arrive(request=accepted, by=world.avesta_coordinator)
    arrived = _state(accepted)
    assert "end" not in client.get(f"/platser/{accepted.pk}/").context["actions"]
    assert client.post(f"/platser/{accepted.pk}/end/").status_code == 403
    assert _state(accepted) == arrived
    assert arrived[0] == RequestStatus.IN_PLACE


def test_a_ludvika_api_key_can_neither_mark_arrival_nor_end(world, accepted):
    _key, raw = api_key_create(
        organisation=world.ludvika, name="Ludvika", role="municipal_coordinator", by=policy.SYSTEM
    )
    key = api_key_authenticate(raw)
    with pytest.raises(PermissionDenied):
        services.request_arrive(request=accepted, by=key)
    services.request_arrive(request=accepted, by=world.lunden_staff)
    arrived = _state(accepted)
    with pytest.raises(PermissionDenied):
        services.request_end(request=accepted, by=key)
    assert _state(accepted) == arrived


@pytest.mark.parametrize("persona", ["avesta_coordinator", "falun_coordinator", "lunden_staff", "admin"])
def test_the_requester_and_the_side_giving_the_places_mark_arrival_and_end(world, accepted, persona):
    by = getattr(world, persona)
    services.request_arrive(request=accepted, by=by)
    services.request_end(request=accepted, by=by)
    assert _state(accepted)[0] == RequestStatus.ENDED


def test_a_municipality_of_the_county_is_a_bystander_of_a_wards_request_accepted_elsewhere(world):
    """The region's ward asks the whole county; Lunden gives the places; Avesta has no part."""
    report(world.lunden, world.lunden_staff)
    request = new_request(world, "ward")
    offer = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    services.offer_accept(offer=offer, by=world.region_coordinator)
    assert states.sides_of(world.avesta_coordinator, request) == {states.RECEIVER}
    with pytest.raises(PermissionDenied):
        services.request_arrive(request=request, by=world.avesta_coordinator)
    services.request_arrive(request=request, by=world.falun_coordinator)
    with pytest.raises(PermissionDenied):
        services.request_end(request=request, by=world.avesta_coordinator)


def test_arrival_marked_by_the_requester_tells_the_side_giving_the_places_only(world, accepted):
    Notification.objects.all().delete()
    services.request_arrive(request=accepted, by=world.avesta_coordinator)
    told = set(Notification.objects.values_list("user__email", flat=True))
    assert told == {world.falun_coordinator.email, world.lunden_staff.email}
