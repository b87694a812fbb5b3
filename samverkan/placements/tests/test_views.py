"""The web pages for requests enforce the same rules as the services: hidden from other
counties (404), refused for the wrong side (403), a conflict shown as a message."""

from __future__ import annotations

import pytest

from samverkan.placements import services
from samverkan.placements.models import OfferStatus, PlaceOffer, PlaceRequest, RequestStatus
from samverkan.placements.tests.helpers import new_request, report
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_another_county_gets_404(client, world):
    request = new_request(world, "county")
    login(client, world.outsider)
    assert client.get(f"/platser/{request.pk}/").status_code == 404
    assert client.post(f"/platser/{request.pk}/withdraw/").status_code == 404


def test_the_detail_page_offers_each_side_its_actions(client, world):
    request = new_request(world, "county")
    login(client, world.avesta_coordinator)
    html = client.get(f"/platser/{request.pk}/").content.decode()
    assert "Withdraw the request" in html and "Send offer" not in html
    login(client, world.lunden_staff)
    html = client.get(f"/platser/{request.pk}/").content.decode()
    assert "Send offer" in html and "Withdraw the request" not in html
    assert "Decline the request" not in html  # county-wide: not declined by one municipality
    login(client, world.viewer)
    html = client.get(f"/platser/{request.pk}/").content.decode()
    assert "Send offer" not in html and "Withdraw the request" not in html


@pytest.mark.parametrize("persona", ["viewer", "lunden_staff", "falun_coordinator"])
def test_the_wrong_side_gets_403(client, world, persona):
    request = new_request(world, "county")
    login(client, getattr(world, persona))
    assert client.post(f"/platser/{request.pk}/withdraw/").status_code == 403
    assert PlaceRequest.objects.get().status == RequestStatus.SENT


def test_declining_a_county_wide_request_is_refused(client, world):
    request = new_request(world, "county")
    login(client, world.falun_coordinator)
    assert client.post(f"/platser/{request.pk}/decline/", {"reason": "Fullt"}).status_code == 403


def test_a_conflict_is_shown_as_a_message(client, world):
    request = new_request(world, "county")
    services.request_withdraw(request=request, by=world.avesta_coordinator)
    login(client, world.avesta_coordinator)
    response = client.post(f"/platser/{request.pk}/withdraw/", follow=True)
    assert response.redirect_chain == [(f"/platser/{request.pk}/", 302)]
    assert _messages(response) == ["The request is withdrawn; that can no longer be done."]


def test_offer_accept_and_arrive_through_the_pages(client, world):
    report(world.lunden, world.lunden_staff)
    request = new_request(world, "county")
    login(client, world.lunden_staff)
    response = client.post(f"/platser/{request.pk}/erbjud/", {"unit": world.lunden.pk, "places": 2}, follow=True)
    assert _messages(response) == ["Your offer is sent."]
    offer = PlaceOffer.objects.get()
    assert client.post(f"/platser/erbjudanden/{offer.pk}/accept/").status_code == 403  # not the requester
    login(client, world.avesta_coordinator)
    response = client.post(f"/platser/erbjudanden/{offer.pk}/accept/", follow=True)
    assert _messages(response) == ["The places are reserved."]
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    response = client.post(f"/platser/{request.pk}/arrive/", follow=True)
    assert _messages(response) == ["The patients are marked as arrived."]
    assert PlaceRequest.objects.get().status == RequestStatus.IN_PLACE


def test_accepting_more_than_is_free_shows_why(client, world):
    request = new_request(world, "county")
    offer = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    login(client, world.avesta_coordinator)
    response = client.post(f"/platser/erbjudanden/{offer.pk}/accept/", follow=True)
    assert _messages(response) == [
        "Lunden korttidsboende has 0 free places now; the offer of 2 can no longer be accepted."
    ]


def test_the_new_request_form_refuses_a_personal_identity_number(client, world):
    login(client, world.avesta_coordinator)
    data = {
        "from_organisation": world.avesta.pk,
        "places": 1,
        "wanted_from": "2030-01-07",
        "urgency": "normal",
        "target": "county",
        "note": "Pnr 19121212-1212",
        "send": "1",
    }
    response = client.post("/platser/ny/?county=20", data)
    assert response.status_code == 200
    assert "The text looks like it contains a personal identity number." in response.content.decode()
    assert PlaceRequest.objects.count() == 0
    data["note"] = "Rullstol"
    response = client.post("/platser/ny/?county=20", data)
    request = PlaceRequest.objects.get()
    assert response["Location"] == f"/platser/{request.pk}/"
    assert (request.status, request.to_county, request.note) == (RequestStatus.SENT, True, "Rullstol")


@pytest.mark.parametrize("persona", ["viewer", "forum_secretary"])
def test_people_who_cannot_ask_do_not_get_the_form(client, world, persona):
    login(client, getattr(world, persona))
    assert client.get("/platser/ny/").status_code == 403
