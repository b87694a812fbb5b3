"""The equipment pool through the API: the same rules as the pages, errors per field, 409 when an item is taken."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from samverkan.resources.models import LoanRequest, LoanStatus
from samverkan.resources.tests.helpers import make_items, make_request
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def _post(client, path, data):
    return client.post(path, data, content_type="application/json")


def test_request_approve_and_return_through_the_api(client, world):
    items = make_items(world, 3)
    login(client, world.avesta_coordinator)
    today = timezone.localdate()
    body = {
        "unit": world.avesta_unit.pk,
        "type": "syrgaskoncentrator",
        "quantity": 2,
        "needed_from": today.isoformat(),
        "needed_until": (today + datetime.timedelta(days=8)).isoformat(),
        "purpose": "Två patienter med syrgas",
    }
    created = _post(client, "/api/v1/resources/loan-requests", body)
    assert created.status_code == 201, created.json()
    request_id = created.json()["id"]
    assert created.json()["lender"] == world.region.pk and created.json()["status"] == "requested"

    assert (
        _post(client, f"/api/v1/resources/loan-requests/{request_id}/approve", {"items": [items[0].pk]}).status_code
        == 403
    )
    login(client, world.region_coordinator)
    approved = _post(
        client, f"/api/v1/resources/loan-requests/{request_id}/approve", {"items": [items[0].pk, items[1].pk]}
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "lent" and len(approved.json()["loans"]) == 2

    other = make_request(world, unit=world.lunden)
    taken = _post(client, f"/api/v1/resources/loan-requests/{other.pk}/approve", {"items": [items[0].pk]})
    assert taken.status_code == 409 and "no longer available" in taken.json()["detail"]

    availability = client.get("/api/v1/resources/equipment/availability?county=20&weeks=2").json()
    assert availability[0]["available_now"] == 1 and availability[0]["on_loan"] == 2
    assert [w["lent"] for w in availability[0]["weeks"]] == [2, 2]  # 8 days from today reach into next week

    loan_id = approved.json()["loans"][0]["id"]
    returned = _post(client, f"/api/v1/resources/loans/{loan_id}/return", {"condition": "ok"})
    assert returned.status_code == 200 and returned.json()["returned_at"]
    again = _post(client, f"/api/v1/resources/loans/{loan_id}/return", {"condition": "ok"})
    assert again.status_code == 409


def test_bad_input_names_the_field(client, world):
    make_items(world, 1)
    login(client, world.avesta_coordinator)
    base = {
        "unit": world.avesta_unit.pk,
        "type": "syrgaskoncentrator",
        "quantity": 1,
        "needed_from": "2030-03-04",
        "needed_until": "2030-03-18",
        "purpose": "Syrgas",
    }
    for change, field in [
        ({"needed_until": "2030-03-01"}, "needed_until"),
        ({"purpose": "pnr 19121212-1212"}, "purpose"),
        ({"type": "rullstol"}, "type"),
        ({"quantity": "två"}, "quantity"),
        ({"needed_from": "2030-02-30"}, "needed_from"),
    ]:
        response = _post(client, "/api/v1/resources/loan-requests", {**base, **change})
        assert response.status_code == 422, change
        assert field in response.json()["detail"], response.json()
    assert not LoanRequest.objects.exists()
    request = make_request(world)
    login(client, world.region_coordinator)
    response = _post(client, f"/api/v1/resources/loan-requests/{request.pk}/decline", {"reason": ""})
    assert response.status_code == 422 and "reason" in response.json()["detail"]
    response = _post(client, f"/api/v1/resources/loan-requests/{request.pk}/approve", {"items": []})
    assert response.status_code == 422
    assert LoanRequest.objects.get(pk=request.pk).status == LoanStatus.REQUESTED


def test_lists_follow_the_policy(client, world):
    make_items(world, 2)
    make_request(world)
    login(client, world.viewer)
    assert client.get("/api/v1/resources/loan-requests").json() == []
    assert len(client.get("/api/v1/resources/equipment/items?county=20").json()) == 2
    login(client, world.outsider)
    assert client.get("/api/v1/resources/equipment/items?county=20").status_code == 403
    assert client.get("/api/v1/resources/loan-requests").json() == []
    login(client, world.avesta_coordinator)
    assert len(client.get("/api/v1/resources/loan-requests?box=outgoing").json()) == 1
    assert client.get("/api/v1/resources/loan-requests?box=incoming").json() == []
