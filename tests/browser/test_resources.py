"""A municipality borrows an oxygen concentrator and returns it, through the pages: Avesta's
coordinator asks for one, the region's coordinator lends one by keyboard-reachable checkboxes,
Avesta notes its return, and the item's history shows the loan.

Elements are found by id, name and form action rather than by text, so the test does not depend
on the Swedish translations."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from samverkan.resources.models import EquipmentItem, ItemStatus, LoanRequest, LoanStatus
from samverkan.resources.tests.helpers import concentrator_type, make_items

pytestmark = pytest.mark.browser


def test_a_municipality_borrows_a_concentrator_and_returns_it(world, open_page):
    items = make_items(world, 3)
    today = timezone.localdate()

    avesta = open_page(world.avesta_coordinator)
    avesta.goto("/resurser/?county=20")
    avesta.click("a[href='/resurser/lan/ny/?county=20']")
    expect(avesta.locator("#id_unit")).to_have_value(str(world.avesta_unit.pk))
    avesta.select_option("#id_type", str(concentrator_type().pk))
    avesta.fill("#id_quantity", "1")
    avesta.fill("#id_needed_from", today.isoformat())
    avesta.fill("#id_needed_until", (today + datetime.timedelta(days=14)).isoformat())
    avesta.fill("#id_purpose", "Syrgas efter utskrivning till korttidsplats")
    avesta.click("form.card button[type=submit]")
    expect(avesta).to_have_url(re.compile(r"/resurser/lan/\d+/$"))
    request = LoanRequest.objects.get()
    assert (request.status, request.lender, request.unit) == (LoanStatus.REQUESTED, world.region, world.avesta_unit)
    expect(avesta.locator(".status-tag--requested")).to_be_visible()

    region = open_page(world.region_coordinator)
    region.goto("/resurser/lan/?county=20&box=incoming")
    region.click(f"a[href='/resurser/lan/{request.pk}/']")
    checkbox = region.locator(f"input[name=items][value='{items[1].pk}']")
    checkbox.focus()
    region.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    region.click(f"form[action='/resurser/lan/{request.pk}/approve/'] button[type=submit]")
    expect(region.locator(".message--success")).to_be_visible()
    expect(region.locator(".status-tag--lent")).to_be_visible()
    assert EquipmentItem.objects.get(pk=items[1].pk).status == ItemStatus.ON_LOAN

    # The overview shows the item lent to Avesta.
    region.goto("/resurser/?county=20")
    avesta_row = region.locator("tr:has(th:text-is('Avesta'))")
    expect(avesta_row.locator("td").nth(1)).to_have_text("1")

    loan = request.loans.get()
    avesta.reload()
    avesta.select_option(f"#id_loan{loan.pk}-condition", "ok")
    avesta.click(f"form[action='/resurser/lan/retur/{loan.pk}/'] button[type=submit]")
    expect(avesta.locator(".message--success")).to_be_visible()
    expect(avesta.locator(".status-tag--returned")).to_be_visible()
    assert EquipmentItem.objects.get(pk=items[1].pk).status == ItemStatus.AVAILABLE

    avesta.goto(f"/resurser/utrustning/{items[1].pk}/")
    expect(avesta.locator(".timeline li")).to_have_count(3)  # added, lent, returned
    expect(avesta.locator(".timeline li").first).to_contain_text(world.avesta_unit.name)
