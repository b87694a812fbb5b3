"""A place request from start to reservation through the pages: Avesta asks the county for places,
Lunden's staff offer places, Avesta accepts, and the county overview shows Lunden's reserved places.

Elements are found by id, name and form action rather than by text, so the test does not depend
on the Swedish translations of the placements pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from samverkan.capacity import services as capacity
from samverkan.capacity.models import UnitCapacity
from samverkan.placements.models import OfferStatus, PlaceRequest, RequestStatus

pytestmark = pytest.mark.browser


def test_a_request_to_the_county_is_offered_accepted_and_reserved(world, open_page):
    capacity.capacity_report_create(
        data=capacity.ReportInput(unit=world.lunden, physical=40, staffed=34, occupied=30, surge=6),
        by=world.lunden_staff,
    )  # 4 free places

    # Avesta's coordinator asks the whole county for 2 places.
    avesta = open_page(world.avesta_coordinator)
    avesta.goto("/platser/ny/")
    expect(avesta.locator("#id_from_organisation")).to_have_value(str(world.avesta.pk))
    avesta.fill("#id_places", "2")
    avesta.select_option("#id_urgency", "urgent")
    avesta.check("input[name=target][value=county]")
    avesta.fill("#id_note", "Två platser, en med syrgas")
    avesta.click("button[name=send]")
    expect(avesta).to_have_url(re.compile(r"/platser/\d+/$"))
    request = PlaceRequest.objects.get()
    assert (request.status, request.to_county, request.places) == (RequestStatus.SENT, True, 2)
    assert avesta.url.endswith(f"/platser/{request.pk}/")
    expect(avesta.locator(".message--success")).to_be_visible()
    expect(avesta.locator(".status-tag--sent")).to_be_visible()

    # Lunden's staff see it in the requests to them and offer 2 places at Lunden.
    lunden = open_page(world.lunden_staff)
    lunden.goto("/platser/?box=incoming")
    lunden.click(f"a[href='/platser/{request.pk}/']")
    lunden.select_option("#id_unit", str(world.lunden.pk))
    expect(lunden.locator("#id_places")).to_have_value("2")
    lunden.fill("#id_comment", "Två rum lediga på avdelning B")
    lunden.click(f"form[action='/platser/{request.pk}/erbjud/'] button[type=submit]")
    expect(lunden.locator(".message--success")).to_be_visible()
    expect(lunden.locator(".status-tag--offered")).to_be_visible()
    offer = request.offers.get()
    assert (offer.unit, offer.places, offer.status) == (world.lunden, 2, OfferStatus.OPEN)

    # Avesta's coordinator accepts the offer.
    avesta.reload()
    expect(avesta.locator(".status-tag--offered")).to_be_visible()
    avesta.click(f"form[action='/platser/erbjudanden/{offer.pk}/accept/'] button[type=submit]")
    expect(avesta.locator(".message--success")).to_be_visible()
    expect(avesta.locator(".status-tag--accepted")).to_be_visible()
    expect(avesta.locator(f"form[action='/platser/erbjudanden/{offer.pk}/accept/']")).to_have_count(0)
    assert UnitCapacity.objects.get(unit=world.lunden).reserved == 2

    # The county overview shows Lunden's 2 reserved places and 2 free ones.
    region = open_page(world.region_coordinator)
    region.goto("/kapacitet/")
    row = region.locator(f"tr:has(a[href='/kapacitet/enheter/{world.lunden.pk}/'])")
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text("34")  # staffed
    expect(cells.nth(1)).to_have_text("30")  # occupied
    expect(cells.nth(2)).to_have_text("2")  # reserved
    expect(cells.nth(3)).to_have_text("2")  # free
