"""The pages: borrowing and returning through them, what each role sees, and bad input shown in the form."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from samverkan.resources import services
from samverkan.resources.models import EquipmentItem, ItemStatus, LoanRequest, LoanStatus
from samverkan.resources.tests.helpers import concentrator_type, make_items, make_request
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def test_borrow_approve_and_return_through_the_pages(client, world):
    items = make_items(world, 2)
    today = timezone.localdate()
    avesta = login(client, world.avesta_coordinator)
    response = avesta.get("/resurser/lan/ny/")
    assert response.status_code == 200
    response = avesta.post(
        "/resurser/lan/ny/",
        {
            "unit": world.avesta_unit.pk,
            "type": concentrator_type().pk,
            "quantity": 1,
            "needed_from": today.isoformat(),
            "needed_until": (today + datetime.timedelta(days=10)).isoformat(),
            "purpose": "Syrgas på korttidsplats",
        },
    )
    request = LoanRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/resurser/lan/{request.pk}/"
    assert request.lender == world.region

    region = login(client.__class__(), world.region_coordinator)
    page = region.get(f"/resurser/lan/{request.pk}/").content.decode()
    assert "OC-20-001" in page and "OC-20-002" in page
    response = region.post(f"/resurser/lan/{request.pk}/approve/", {"items": [items[1].pk], "note": ""})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == LoanStatus.LENT and request.loans.get().item == items[1]

    loan = request.loans.get()
    response = avesta.post(f"/resurser/lan/retur/{loan.pk}/", {f"loan{loan.pk}-condition": "needs_service"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == LoanStatus.RETURNED
    assert EquipmentItem.objects.get(pk=items[1].pk).status == ItemStatus.IN_SERVICE
    history = avesta.get(f"/resurser/utrustning/{items[1].pk}/").content.decode()
    assert "Avesta korttidsboende" in history and "Needs service" in history


def test_a_bad_loan_request_is_shown_in_the_form(client, world):
    make_items(world, 1)
    login(client, world.avesta_coordinator)
    response = client.post(
        "/resurser/lan/ny/",
        {
            "unit": world.avesta_unit.pk,
            "type": concentrator_type().pk,
            "quantity": 1,
            "needed_from": "2030-03-10",
            "needed_until": "2030-03-01",
            "purpose": "För 19121212-1212",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "needed_until" in form.errors
    assert not LoanRequest.objects.exists()
    response = client.post(
        "/resurser/lan/ny/",
        {
            "unit": world.avesta_unit.pk,
            "type": concentrator_type().pk,
            "quantity": 1,
            "needed_from": "2030-03-01",
            "needed_until": "2030-03-10",
            "purpose": "För 19121212-1212",
        },
    )
    assert "personal identity number" in str(response.context["form"].errors["purpose"])
    assert not LoanRequest.objects.exists()


def test_the_overview_for_a_viewer_shows_the_pool_but_no_loans(client, world):
    items = make_items(world, 2)
    request = make_request(world, first=datetime.date(2020, 1, 1), last=datetime.date(2020, 1, 5))
    make_request(world)
    services.loan_request_approve(request=request, items=items[:1], by=world.region_coordinator)
    login(client, world.viewer)
    page = client.get("/resurser/").content.decode()
    assert "Syrgaskoncentrator" in page and "Falun" in page
    assert "OC-20-001" not in page  # overdue loans are the loans' people's business
    assert client.get("/resurser/lan/").context["requests"].count() == 0
    assert client.get(f"/resurser/lan/{request.pk}/").status_code == 404
    login(client, world.region_coordinator)
    page = client.get("/resurser/").content.decode()
    assert "Overdue loans" in page and "OC-20-001" in page


def test_item_pages_for_owner_and_others(client, world):
    item = make_items(world, 1)[0]
    login(client, world.falun_coordinator)
    assert client.get(f"/resurser/utrustning/{item.pk}/").context["form"] is None
    assert client.post(f"/resurser/utrustning/{item.pk}/", {"status": "retired"}).status_code == 403
    assert client.get("/resurser/utrustning/ny/").status_code == 200  # Falun may add its own items
    login(client, world.region_coordinator)
    response = client.post(
        f"/resurser/utrustning/{item.pk}/", {"status": "in_service", "next_service_on": "2030-05-01"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.next_service_on) == (ItemStatus.IN_SERVICE, datetime.date(2030, 5, 1))
    response = client.post(
        "/resurser/utrustning/ny/?county=20",
        {"type": concentrator_type().pk, "serial": item.serial, "owner": world.region.pk, "home_municipality": "2080"},
    )
    assert response.status_code == 200
    assert "serial number" in str(response.context["form"].errors)
    login(client, world.outsider)
    assert client.get(f"/resurser/utrustning/{item.pk}/").status_code == 404
