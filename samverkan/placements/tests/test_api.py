"""The placements API: requests in (201, or 422 naming the field), lists, offers, answers,
the free places search, and the same rules for an organisation's API key as for its people."""

from __future__ import annotations

import json

import pytest

from samverkan.accounts.services import api_key_create, api_key_revoke
from samverkan.audit.models import AuditEvent
from samverkan.organisations import policy
from samverkan.placements import services
from samverkan.placements.models import OfferStatus, PlacementNeed, PlaceOffer, PlaceRequest, RequestStatus
from samverkan.placements.tests.helpers import new_request, report
from samverkan.testing import login

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/placements/requests"


def _post(client, url, payload=None, **headers):
    return client.post(url, json.dumps(payload or {}, default=str), content_type="application/json", **headers)


def _payload(world, **changes) -> dict:
    return {
        "from_organisation": world.avesta.pk,
        "places": 2,
        "wanted_from": "2030-01-07",
        "to_county": True,
        **changes,
    }


@pytest.fixture
def avesta_key(world):
    _key, raw = api_key_create(organisation=world.avesta, name="x", role="municipal_coordinator", by=policy.SYSTEM)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


# --- Requests in --------------------------------------------------------------------------


def test_a_request_is_created_and_sent(client, world):
    PlacementNeed.objects.create(county_id="20", code="syrgas", name="Syrgas")
    login(client, world.avesta_coordinator)
    response = _post(client, REQUESTS, _payload(world, needs=["syrgas"], urgency="urgent", note="Rullstol"))
    assert response.status_code == 201, response.content
    body = response.json()
    request = PlaceRequest.objects.get()
    assert body["id"] == request.pk
    assert {k: body[k] for k in ["county", "from_organisation", "places", "needs", "urgency", "note", "status"]} == {
        "county": "20",
        "from_organisation": world.avesta.pk,
        "places": 2,
        "needs": ["syrgas"],
        "urgency": "urgent",
        "note": "Rullstol",
        "status": "sent",
    }
    assert (body["to_county"], body["to_unit"], body["to_municipality"], body["offers"]) == (True, None, None, [])
    assert body["expires_at"] is not None
    assert request.created_by == world.avesta_coordinator


def test_a_draft_stays_a_draft(client, world):
    login(client, world.avesta_coordinator)
    response = _post(client, REQUESTS, _payload(world, draft=True, to_county=False, to_unit=world.lunden.pk))
    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["to_unit"], response.json()["sent_at"]) == (
        "draft",
        world.lunden.pk,
        None,
    )


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"places": 0}, {"places": ["Ask for between 1 and 100 places."]}),
        ({"places": 101}, {"places": ["Ask for between 1 and 100 places."]}),
        ({"wanted_until": "2030-01-06"}, {"wanted_until": ["The end date is before the start date."]}),
        ({"needs": ["syrgas", "okänd"]}, {"needs": ["Unknown need(s): okänd."]}),
        (
            {"to_municipality": "FALUN"},
            {"to": ["Address the request to one unit, one municipality or the whole county."]},
        ),
        ({"to_county": False}, {"to": ["Address the request to one unit, one municipality or the whole county."]}),
        (
            {"note": "Pnr 19121212-1212"},
            {"note": ["The text looks like it contains a personal identity number. Leave patient identity out."]},
        ),
        (
            {"to_county": False, "to_municipality": "AVESTA"},
            {"to_municipality": ["A municipality does not send requests to itself."]},
        ),
    ],
)
def test_bad_requests_get_422_naming_the_field(client, world, changes, errors):
    PlacementNeed.objects.create(county_id="20", code="syrgas", name="Syrgas")
    for key, value in list(changes.items()):  # organisation ids are known only now
        if value == "FALUN":
            changes[key] = world.falun.pk
        elif value == "AVESTA":
            changes[key] = world.avesta.pk
    login(client, world.avesta_coordinator)
    audit_before = AuditEvent.objects.count()
    response = _post(client, REQUESTS, _payload(world, **changes))
    assert response.status_code == 422, response.content
    assert response.json() == {"detail": errors}
    assert (PlaceRequest.objects.count(), AuditEvent.objects.count()) == (0, audit_before)


def test_two_targets_name_the_target(client, world):
    login(client, world.avesta_coordinator)
    response = _post(client, REQUESTS, _payload(world, to_unit=world.lunden.pk, to_county=True))
    assert response.status_code == 422
    assert response.json()["detail"]["to"] == ["Address the request to one unit, one municipality or the whole county."]


def test_a_request_to_another_county_is_refused(client, world):
    login(client, world.avesta_coordinator)
    response = _post(client, REQUESTS, _payload(world, to_county=False, to_unit=world.orebro_unit.pk))
    assert response.status_code == 404  # Örebro's units are not visible from Dalarna
    login(client, world.admin)
    response = _post(client, REQUESTS, _payload(world, to_county=False, to_unit=world.orebro_unit.pk))
    assert (response.status_code, response.json()["detail"]) == (
        422,
        {"to": ["Requests go to units and municipalities of your own county."]},
    )


def test_a_missing_field_is_a_422_from_the_schema(client, world):
    login(client, world.avesta_coordinator)
    payload = _payload(world)
    del payload["places"]
    assert _post(client, REQUESTS, payload).status_code == 422


@pytest.mark.parametrize("persona", ["falun_coordinator", "lunden_staff", "viewer", "forum_secretary"])
def test_only_the_coordinators_of_an_organisation_ask_for_it(client, world, persona):
    login(client, getattr(world, persona))
    response = _post(client, REQUESTS, _payload(world))
    assert response.status_code == 403
    assert PlaceRequest.objects.count() == 0


def test_another_county_cannot_ask_for_dalarna(client, world):
    login(client, world.outsider)
    assert _post(client, REQUESTS, _payload(world)).status_code == 404


def test_anonymous_callers_are_refused(client, world):
    assert _post(client, REQUESTS, _payload(world)).status_code == 401


# --- Lists --------------------------------------------------------------------------------


def test_the_list_filters_by_status_and_box(client, world):
    report(world.lunden, world.lunden_staff)
    sent = new_request(world, "county")
    draft = new_request(world, "county", send=False)
    offered = new_request(world, "unit")
    services.offer_create(request=offered, unit=world.lunden, places=1, by=world.lunden_staff)
    falun_asks = services.request_create(
        by=world.falun_coordinator,
        from_organisation=world.falun,
        places=1,
        wanted_from=sent.wanted_from,
        to_county=True,
    )
    login(client, world.avesta_coordinator)

    def ids(query=""):
        response = client.get(REQUESTS + query)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()}

    assert ids() == {sent.pk, draft.pk, offered.pk, falun_asks.pk}
    assert ids("?status=sent") == {sent.pk, falun_asks.pk}
    assert ids("?status=offered") == {offered.pk}
    assert ids("?status=draft") == {draft.pk}
    assert client.get(REQUESTS + "?status=nonsense").status_code == 422  # a status that is not one
    assert ids("?box=outgoing") == {sent.pk, draft.pk, offered.pk}
    assert ids("?box=incoming") == {falun_asks.pk}
    offers = next(r for r in client.get(REQUESTS).json() if r["id"] == offered.pk)["offers"]
    assert [(o["unit"], o["unit_name"], o["places"], o["status"]) for o in offers] == [
        (world.lunden.pk, "Lunden korttidsboende", 1, "open")
    ]


def test_another_county_sees_none_of_them(client, world):
    request = new_request(world, "county")
    login(client, world.outsider)
    assert client.get(REQUESTS).json() == []
    assert client.get(f"{REQUESTS}/{request.pk}").status_code == 404


# --- Offers and answers ------------------------------------------------------------------


def test_a_receiver_offers_places(client, world):
    request = new_request(world, "county")
    login(client, world.lunden_staff)
    response = _post(
        client, f"{REQUESTS}/{request.pk}/offers", {"unit": world.lunden.pk, "places": 2, "comment": "Rum 4"}
    )
    assert response.status_code == 201, response.content
    offer = PlaceOffer.objects.get()
    assert response.json() == {
        "id": offer.pk,
        "unit": world.lunden.pk,
        "unit_name": "Lunden korttidsboende",
        "places": 2,
        "status": "open",
    }
    assert (offer.comment, offer.offered_by) == ("Rum 4", world.lunden_staff)


@pytest.mark.parametrize("persona", ["avesta_coordinator", "region_coordinator", "viewer", "forum_secretary"])
def test_others_may_not_offer(client, world, persona):
    request = new_request(world, "county")
    login(client, getattr(world, persona))
    response = _post(client, f"{REQUESTS}/{request.pk}/offers", {"unit": world.lunden.pk, "places": 1})
    assert (response.status_code, response.json()) == (403, {"detail": "You may not do this with your role."})
    assert PlaceOffer.objects.count() == 0


def test_a_receiver_may_not_offer_at_a_unit_it_does_not_report_for(client, world):
    request = new_request(world, "ward")  # Avesta's coordinator is a receiver of the ward's request
    login(client, world.avesta_coordinator)
    response = _post(client, f"{REQUESTS}/{request.pk}/offers", {"unit": world.lunden.pk, "places": 1})
    assert response.status_code == 403
    response = _post(client, f"{REQUESTS}/{request.pk}/offers", {"unit": world.avesta_unit.pk, "places": 1})
    assert response.status_code == 201


def test_offering_too_many_places_is_a_422_and_to_a_closed_request_a_409(client, world):
    request = new_request(world, "county", places=2)
    login(client, world.lunden_staff)
    response = _post(client, f"{REQUESTS}/{request.pk}/offers", {"unit": world.lunden.pk, "places": 3})
    assert (response.status_code, response.json()) == (422, {"detail": {"places": ["Offer between 1 and 2 places."]}})
    services.request_withdraw(request=request, by=world.avesta_coordinator)
    response = _post(client, f"{REQUESTS}/{request.pk}/offers", {"unit": world.lunden.pk, "places": 1})
    assert (response.status_code, response.json()) == (
        409,
        {"detail": "The request is withdrawn; that can no longer be done."},
    )


def test_accept_and_decline_through_the_api_with_a_key(client, world, avesta_key):
    report(world.lunden, world.lunden_staff)  # 4 free
    request = new_request(world, "county", places=3)
    first = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    second = services.offer_create(request=request, unit=world.lunden, places=1, by=world.falun_coordinator)

    declined = _post(
        client, f"/api/v1/placements/offers/{second.pk}/decline", {"reason": "För långt bort"}, **avesta_key
    )
    assert declined.status_code == 200, declined.content
    assert declined.json()["status"] == "declined"
    second.refresh_from_db()
    assert second.decline_reason == "För långt bort"

    accepted = _post(client, f"/api/v1/placements/offers/{first.pk}/accept", **avesta_key)
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["places"] == 2
    again = _post(client, f"/api/v1/placements/offers/{first.pk}/accept", **avesta_key)
    assert (again.status_code, again.json()) == (409, {"detail": "The offer is no longer open."})
    event = AuditEvent.objects.get(event_type="placements.request_accept")
    assert event.actor_label.startswith("API key ")
    assert event.api_key is not None


def test_the_receiving_side_may_not_accept(client, world):
    report(world.lunden, world.lunden_staff)
    request = new_request(world, "county")
    offer = services.offer_create(request=request, unit=world.lunden, places=1, by=world.lunden_staff)
    login(client, world.falun_coordinator)
    assert client.post(f"/api/v1/placements/offers/{offer.pk}/accept").status_code == 403
    assert (
        client.post(f"/api/v1/placements/offers/{offer.pk}/decline", content_type="application/json").status_code == 403
    )
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_a_decline_body_that_is_not_an_object_is_a_422(client, world):
    request = new_request(world, "county")
    offer = services.offer_create(request=request, unit=world.lunden, places=1, by=world.lunden_staff)
    login(client, world.avesta_coordinator)
    response = client.post(f"/api/v1/placements/offers/{offer.pk}/decline", "[1]", content_type="application/json")
    assert response.status_code == 422


def test_an_api_key_acts_for_its_organisation(client, world, avesta_key):
    response = _post(client, REQUESTS, _payload(world), **avesta_key)
    assert response.status_code == 201, response.content
    request = PlaceRequest.objects.get()
    assert (request.status, request.created_by) == (RequestStatus.SENT, None)
    assert AuditEvent.objects.get(event_type="placements.request_created").actor_label.startswith("API key ")
    # The key of Avesta cannot ask in Falun's name, nor offer at Falun's unit.
    assert _post(client, REQUESTS, _payload(world, from_organisation=world.falun.pk), **avesta_key).status_code == 403
    falun_asks = services.request_create(
        by=world.falun_coordinator,
        from_organisation=world.falun,
        places=1,
        wanted_from=request.wanted_from,
        to_county=True,
    )
    response = _post(client, f"{REQUESTS}/{falun_asks.pk}/offers", {"unit": world.lunden.pk, "places": 1}, **avesta_key)
    assert response.status_code == 403
    response = _post(
        client, f"{REQUESTS}/{falun_asks.pk}/offers", {"unit": world.avesta_unit.pk, "places": 1}, **avesta_key
    )
    assert response.status_code == 201


def test_a_revoked_or_wrong_key_is_refused(client, world):
    key, raw = api_key_create(organisation=world.avesta, name="y", role="municipal_coordinator", by=policy.SYSTEM)
    api_key_revoke(api_key=key, by=policy.SYSTEM)
    assert _post(client, REQUESTS, _payload(world), HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert _post(client, REQUESTS, _payload(world), HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401
    assert PlaceRequest.objects.count() == 0
