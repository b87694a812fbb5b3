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
    report(world.lunden, world.lunden_staff)  # 4 free places to offer from
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


# Issue 16, parts 3 and 4: a count that leads to its list, and no action that cannot succeed.


def test_the_home_count_of_requests_waiting_for_an_answer_is_the_list_it_links_to(client, world):
    report(world.lunden, world.lunden_staff)
    request = new_request(world, "county")
    login(client, world.falun_coordinator)
    home = client.get("/").content.decode()
    assert "1 place request waits for your answer." in home
    assert "/platser/?county=20&amp;box=awaiting" in home
    listed = client.get("/platser/?county=20&box=awaiting").content.decode()
    assert f">#{request.pk}</a>" in listed
    # Falun offers from Lunden: it has answered; the count and the list empty together.
    client.post(f"/platser/{request.pk}/erbjud/", {"unit": world.lunden.pk, "places": 1})
    assert PlaceOffer.objects.count() == 1
    assert "waits for your answer" not in client.get("/").content.decode()
    assert "No requests." in client.get("/platser/?county=20&box=awaiting").content.decode()
    # Ludvika, also asked (county-wide), has not answered: it still waits for Ludvika.
    login(client, world.ludvika_coordinator)
    assert "1 place request waits for your answer." in client.get("/").content.decode()
    assert f">#{request.pk}</a>" in client.get("/platser/?county=20&box=awaiting").content.decode()


def test_no_empty_actions_box_before_an_offer(client, world):
    report(world.lunden, world.lunden_staff)
    request = new_request(world, "county")
    html = login(client, world.falun_coordinator).get(f"/platser/{request.pk}/").content.decode()
    assert "Send offer" in html
    assert "What you can do" not in html  # offering is in the offers' section; nothing else to do here


def test_the_offer_form_shows_free_places_and_refuses_more(client, world):
    report(world.lunden, world.lunden_staff)  # 4 free
    request = new_request(world, "county", places=6)
    login(client, world.falun_coordinator)
    html = client.get(f"/platser/{request.pk}/").content.decode()
    assert "Lunden korttidsboende (4 free places)" in html
    response = client.post(f"/platser/{request.pk}/erbjud/", {"unit": world.lunden.pk, "places": 5}, follow=True)
    assert _messages(response) == ["Lunden korttidsboende has 4 free places now; offer at most that."]
    assert not PlaceOffer.objects.exists()


def test_a_unit_without_free_places_is_not_offered_from(client, world):
    report(world.lunden, world.lunden_staff, occupied=16)  # 0 free
    request = new_request(world, "county", places=3)
    login(client, world.falun_coordinator)
    html = client.get(f"/platser/{request.pk}/").content.decode()
    assert "Send offer" not in html
    assert "Your unit has no free place now" in html
    response = client.post(f"/platser/{request.pk}/erbjud/", {"unit": world.lunden.pk, "places": 3}, follow=True)
    assert _messages(response) == ["Lunden korttidsboende has 0 free places now; offer at most that."]
    assert not PlaceOffer.objects.exists()


def test_no_offer_form_once_every_place_is_accepted(client, world):
    report(world.lunden, world.lunden_staff)
    request = new_request(world, "county", places=1)
    offer = services.offer_create(request=request, unit=world.lunden, places=1, by=world.lunden_staff)
    services.offer_accept(offer=offer, by=world.avesta_coordinator)
    for persona in ("falun_coordinator", "ludvika_coordinator"):
        html = login(client, getattr(world, persona)).get(f"/platser/{request.pk}/").content.decode()
        assert "Send offer" not in html, persona


def test_the_accept_button_is_shown_only_when_accepting_can_succeed(client, world):
    report(world.lunden, world.lunden_staff)  # 4 free
    request = new_request(world, "county", places=4)
    offer = services.offer_create(request=request, unit=world.lunden, places=3, by=world.lunden_staff)
    login(client, world.avesta_coordinator)
    assert "Accept the offer from Lunden korttidsboende" in client.get(f"/platser/{request.pk}/").content.decode()
    report(world.lunden, world.lunden_staff, occupied=14)  # 2 free: the offer of 3 can no longer be accepted
    html = client.get(f"/platser/{request.pk}/").content.decode()
    assert "Accept the offer from Lunden korttidsboende" not in html
    assert "Decline the offer from Lunden korttidsboende" in html  # declining it still works
    assert PlaceOffer.objects.get(pk=offer.pk).status == OfferStatus.OPEN
