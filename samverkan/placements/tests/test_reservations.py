"""Accepted offers hold places at once (free = staffed − occupied − reserved, never below zero),
never more than the unit has free; withdrawing gives them back; on arrival they leave the
reservation and become the unit's occupied places; ending records the day of leaving."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from samverkan.accounts.models import Notification
from samverkan.audit.models import AuditEvent
from samverkan.capacity.models import UnitCapacity
from samverkan.placements import services
from samverkan.placements.models import OfferStatus, PlaceOffer, PlaceRequest, RequestEvent, RequestStatus, Reservation
from samverkan.placements.tests.helpers import new_request, report
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def _reserved(unit) -> int:
    return UnitCapacity.objects.get(unit=unit).reserved


def _overview_row(client, unit) -> dict:
    response = client.get("/api/v1/capacity/overview?county=20")
    assert response.status_code == 200, response.content
    return next(row for row in response.json()["units"] if row["unit"] == unit.pk)


def _offer(world, places: int, *, asks: int | None = None, unit=None, shape="county") -> PlaceOffer:
    request = new_request(world, shape, places=asks or places)
    return services.offer_create(request=request, unit=unit or world.lunden, places=places, by=world.admin)


def _everything() -> tuple:
    """What a refused acceptance must leave as it was."""
    return (
        list(UnitCapacity.objects.order_by("pk").values_list("pk", "reserved")),
        list(PlaceOffer.objects.order_by("pk").values_list("pk", "status")),
        list(PlaceRequest.objects.order_by("pk").values_list("pk", "status")),
        Reservation.objects.count(),
        AuditEvent.objects.count(),
        RequestEvent.objects.count(),
        Notification.objects.count(),
    )


def test_accepting_reserves_the_places_at_once(client, world):
    report(world.lunden, world.lunden_staff, staffed=16, occupied=12)  # 4 free
    login(client, world.region_coordinator)
    assert (_overview_row(client, world.lunden)["free"], _overview_row(client, world.lunden)["reserved"]) == (4, 0)
    offer = _offer(world, 3)
    reservation = services.offer_accept(offer=offer, by=world.avesta_coordinator)
    assert (reservation.places, reservation.unit, reservation.holds_places) == (3, world.lunden, True)
    assert _reserved(world.lunden) == 3
    row = _overview_row(client, world.lunden)
    assert (row["reserved"], row["free"]) == (3, 1)  # 16 − 12 − 3
    event = AuditEvent.objects.get(event_type="placements.reservation_created")
    assert event.after == {"unit": world.lunden.pk, "places": 3, "reserved_after": 3}


def test_accepting_more_than_is_free_is_refused_and_changes_nothing(client, world):
    report(world.lunden, world.lunden_staff, staffed=16, occupied=12)  # 4 free
    too_many = _offer(world, 3)
    taken_meanwhile = _offer(world, 2)
    services.offer_accept(offer=taken_meanwhile, by=world.avesta_coordinator)  # 2 free left
    before = _everything()
    with pytest.raises(services.Conflict) as conflict:
        services.offer_accept(offer=too_many, by=world.avesta_coordinator)
    message = "Lunden korttidsboende has 2 free places now; the offer of 3 can no longer be accepted."
    assert str(conflict.value) == message
    assert _everything() == before

    login(client, world.avesta_coordinator)
    response = client.post(f"/api/v1/placements/offers/{too_many.pk}/accept")
    assert (response.status_code, response.json()) == (409, {"detail": message})
    assert _everything() == before


def test_a_unit_without_a_report_has_nothing_to_reserve(world):
    offer = _offer(world, 1)
    with pytest.raises(services.Conflict, match="has 0 free places now"):
        services.offer_accept(offer=offer, by=world.avesta_coordinator)
    assert not UnitCapacity.objects.filter(unit=world.lunden, reserved__gt=0).exists()


def test_exactly_the_free_places_can_be_reserved(world):
    report(world.lunden, world.lunden_staff, staffed=16, occupied=12)
    services.offer_accept(offer=_offer(world, 4), by=world.avesta_coordinator)
    assert _reserved(world.lunden) == 4
    with pytest.raises(services.Conflict, match="has 0 free places now"):
        services.offer_accept(offer=_offer(world, 1), by=world.avesta_coordinator)


def test_free_places_never_go_below_zero(client, world):
    report(world.lunden, world.lunden_staff, staffed=16, occupied=12)
    services.offer_accept(offer=_offer(world, 3), by=world.avesta_coordinator)
    report(world.lunden, world.lunden_staff, staffed=16, occupied=15)  # 16 − 15 − 3 would be −2
    login(client, world.region_coordinator)
    row = _overview_row(client, world.lunden)
    assert (row["occupied"], row["reserved"], row["free"]) == (15, 3, 0)
    with pytest.raises(services.Conflict, match="has 0 free places now"):
        services.offer_accept(offer=_offer(world, 1), by=world.avesta_coordinator)


def test_withdrawing_an_accepted_request_gives_the_places_back(client, world):
    report(world.lunden, world.lunden_staff, staffed=16, occupied=12)
    report(world.avesta_unit, world.avesta_coordinator, staffed=10, occupied=5)
    request = new_request(world, "ward", places=3)  # the hospital ward asks the county
    at_lunden = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    at_avesta = services.offer_create(request=request, unit=world.avesta_unit, places=1, by=world.avesta_coordinator)
    services.offer_accept(offer=at_lunden, by=world.region_coordinator)
    services.offer_accept(offer=at_avesta, by=world.region_coordinator)
    assert (_reserved(world.lunden), _reserved(world.avesta_unit)) == (2, 1)

    services.request_withdraw(request=request, by=world.region_coordinator, reason="Patienten blev kvar")
    assert (_reserved(world.lunden), _reserved(world.avesta_unit)) == (0, 0)
    assert all(r.released_at is not None and not r.holds_places for r in request.reservations.all())
    login(client, world.region_coordinator)
    assert _overview_row(client, world.lunden)["free"] == 4
    event = AuditEvent.objects.get(event_type="placements.request_withdraw")
    assert event.after == {"status": "withdrawn", "text": "Patienten blev kvar"}


def test_withdrawing_after_arrival_is_not_possible(world):
    report(world.lunden, world.lunden_staff)
    offer = _offer(world, 2)
    services.offer_accept(offer=offer, by=world.avesta_coordinator)
    services.request_arrive(request=offer.request, by=world.lunden_staff)
    with pytest.raises(services.Conflict):
        services.request_withdraw(request=offer.request, by=world.avesta_coordinator)


def test_arrival_turns_reserved_places_into_occupied_ones_and_ending_records_the_day(client, world):
    report(world.lunden, world.lunden_staff, staffed=16, occupied=12)
    offer = _offer(world, 3)
    services.offer_accept(offer=offer, by=world.avesta_coordinator)
    services.request_arrive(request=offer.request, by=world.lunden_staff, on=datetime.date(2026, 3, 2))
    reservation = Reservation.objects.get()
    assert (_reserved(world.lunden), reservation.arrived_on, reservation.holds_places) == (
        0,
        datetime.date(2026, 3, 2),
        False,
    )
    # The patients are now the unit's: its next report counts them as occupied.
    report(world.lunden, world.lunden_staff, staffed=16, occupied=15)
    login(client, world.region_coordinator)
    row = _overview_row(client, world.lunden)
    assert (row["occupied"], row["reserved"], row["free"]) == (15, 0, 1)

    with pytest.raises(ValidationError):
        services.request_end(request=offer.request, by=world.avesta_coordinator, on=datetime.date(2026, 3, 1))
    services.request_end(request=offer.request, by=world.avesta_coordinator, on=datetime.date(2026, 3, 9))
    reservation.refresh_from_db()
    assert (reservation.arrived_on, reservation.left_on) == (datetime.date(2026, 3, 2), datetime.date(2026, 3, 9))
    assert PlaceRequest.objects.get(pk=offer.request_id).status == RequestStatus.ENDED


def test_arrival_and_ending_default_to_today(world):
    report(world.lunden, world.lunden_staff)
    offer = _offer(world, 1)
    services.offer_accept(offer=offer, by=world.avesta_coordinator)
    services.request_arrive(request=offer.request, by=world.avesta_coordinator)
    services.request_end(request=offer.request, by=world.lunden_staff)
    reservation = Reservation.objects.get()
    assert reservation.arrived_on == reservation.left_on == timezone.localdate()


def test_arrival_lapses_the_offers_still_open(world):
    report(world.lunden, world.lunden_staff)
    request = new_request(world, "county", places=3)
    first = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    second = services.offer_create(request=request, unit=world.lunden, places=1, by=world.lunden_staff)
    services.offer_accept(offer=first, by=world.avesta_coordinator)
    services.request_arrive(request=request, by=world.avesta_coordinator)
    second.refresh_from_db()
    assert second.status == OfferStatus.LAPSED


@pytest.mark.parametrize("places", [0, 3])
def test_an_offer_must_be_between_one_and_the_places_asked_for(world, places):
    request = new_request(world, "county", places=2)
    with pytest.raises(ValidationError) as error:
        services.offer_create(request=request, unit=world.lunden, places=places, by=world.lunden_staff)
    assert error.value.message_dict == {"places": ["Offer between 1 and 2 places."]}
    assert request.offers.count() == 0


def test_after_a_partial_acceptance_offers_for_the_remaining_places_come_in(world):
    """The request is accepted once one offer is; offers for the places still wanted keep coming
    (the request stays accepted), and once every place is accepted no more are taken."""
    report(world.lunden, world.lunden_staff)
    request = new_request(world, "county", places=3)
    first = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    services.offer_accept(offer=first, by=world.avesta_coordinator)
    with pytest.raises(ValidationError):
        services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    second = services.offer_create(request=request, unit=world.lunden, places=1, by=world.lunden_staff)
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
    services.offer_accept(offer=second, by=world.avesta_coordinator)
    with pytest.raises(services.Conflict, match="Every place the request asks for is already accepted."):
        services.offer_create(request=request, unit=world.lunden, places=1, by=world.lunden_staff)


def test_accepting_offers_beyond_the_places_asked_for_is_refused(world):
    report(world.lunden, world.lunden_staff, physical=40, staffed=30, occupied=10)
    request = new_request(world, "county", places=3)
    first = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    second = services.offer_create(request=request, unit=world.lunden, places=2, by=world.falun_coordinator)
    services.offer_accept(offer=first, by=world.avesta_coordinator)
    with pytest.raises(services.Conflict, match="more places than the request asks for"):
        services.offer_accept(offer=second, by=world.avesta_coordinator)
    assert _reserved(world.lunden) == 2


def test_accepting_all_the_places_asked_for_lapses_the_other_offers(world):
    report(world.lunden, world.lunden_staff, physical=40, staffed=30, occupied=10)
    request = new_request(world, "county", places=2)
    first = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    second = services.offer_create(request=request, unit=world.lunden, places=1, by=world.falun_coordinator)
    services.offer_accept(offer=first, by=world.avesta_coordinator)
    second.refresh_from_db()
    assert second.status == OfferStatus.LAPSED
    with pytest.raises(services.Conflict, match="no longer open"):
        services.offer_accept(offer=second, by=world.avesta_coordinator)


def test_offers_are_made_only_at_units_the_request_is_addressed_to(world):
    request = new_request(world, "unit")  # to Lunden only
    falun_ward_request = new_request(world, "municipality")
    with pytest.raises(Exception) as error:
        services.offer_create(request=request, unit=world.avesta_unit, places=1, by=world.admin)
    assert error.type.__name__ == "PermissionDenied"
    with pytest.raises(Exception) as error:  # the region's ward is not Falun's
        services.offer_create(request=falun_ward_request, unit=world.falun_ward, places=1, by=world.admin)
    assert error.type.__name__ == "PermissionDenied"


@pytest.mark.parametrize(
    "note",
    [
        "Patient 19121212-1212",
        "pnr 191212121212",
        "121212-1212 behöver syrgas",
        "121212+1212",
        "1212121212",
        "Pnr: 19121212 1212.",
    ],
)
def test_a_note_with_a_personal_identity_number_is_refused(world, note):
    with pytest.raises(ValidationError) as error:
        new_request(world, "county", note=note)
    assert error.value.message_dict == {
        "note": ["The text looks like it contains a personal identity number. Leave patient identity out."]
    }
    assert PlaceRequest.objects.count() == 0


@pytest.mark.parametrize(
    "note", ["Behöver syrgas 2 l/min", "Ankomst 2030-01-07 kl 14.00", "Rum 12, tel 023-123 45", "Vikt 120 kg"]
)
def test_a_note_without_one_is_kept(world, note):
    assert new_request(world, "county", note=note).note == note


def test_api_accept_returns_the_reservation(client, world):
    report(world.lunden, world.lunden_staff)
    offer = _offer(world, 2)
    login(client, world.avesta_coordinator)
    response = client.post(f"/api/v1/placements/offers/{offer.pk}/accept", json.dumps({}), "application/json")
    assert response.status_code == 201, response.content
    reservation = Reservation.objects.get()
    assert response.json() == {
        "id": reservation.pk,
        "unit": world.lunden.pk,
        "places": 2,
        "request": offer.request_id,
    }


def test_offer_comments_and_reasons_are_refused_when_they_look_like_a_personnummer(world):
    request = services.request_create(
        by=world.avesta_coordinator,
        from_organisation=world.avesta,
        places=1,
        wanted_from=datetime.date(2030, 1, 1),
        to_county=True,
    )
    with pytest.raises(ValidationError) as error:
        services.request_withdraw(request=request, by=world.avesta_coordinator, reason="Gäller 19121212-1212")
    assert "reason" in error.value.message_dict
    request.refresh_from_db()
    assert request.status == "sent"
