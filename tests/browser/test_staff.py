"""A staff request is decided, through the pages: Avesta's coordinator asks the region for
nurses, the region's coordinator prepares a proposal and records management's decision (approved
in part, with a reason), and Avesta sees the decision.

Elements are found by id, name and form action rather than by text."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from samverkan.resources.models import StaffRequest, StaffStatus

pytestmark = pytest.mark.browser


def test_a_staff_request_is_decided(world, open_page):
    today = timezone.localdate()
    avesta = open_page(world.avesta_coordinator)
    avesta.goto("/resurser/personal/?county=20")
    avesta.click("a[href='/resurser/personal/ny/?county=20']")
    expect(avesta.locator("#id_unit")).to_have_value(str(world.avesta_unit.pk))
    avesta.select_option("#id_profession", "nurse")
    avesta.check("input[name=competences][value=intensive_care]")
    avesta.fill("#id_number", "3")
    avesta.fill("#id_starts_on", today.isoformat())
    avesta.fill("#id_ends_on", (today + datetime.timedelta(days=30)).isoformat())
    avesta.check("input[name=shifts][value=day]")
    avesta.check("input[name=shifts][value=night]")
    avesta.fill("#id_reason", "Sex nya korttidsplatser, sjuksköterskor saknas")
    avesta.click("form.card button[type=submit]")
    expect(avesta).to_have_url(re.compile(r"/resurser/personal/\d+/$"))
    request = StaffRequest.objects.get()
    assert (request.status, request.shifts, request.number) == (StaffStatus.SUBMITTED, ["day", "night"], 3)

    region = open_page(world.region_coordinator)
    region.goto(f"/resurser/personal/{request.pk}/")
    region.fill("#id_propose-proposed_number", "2")
    region.fill("#id_propose-staff_from", "Vårdcentralen Avesta")
    region.fill("#id_propose-proposal", "Två sjuksköterskor dagtid från primärvården")
    region.click(f"form[action='/resurser/personal/{request.pk}/propose/'] button[type=submit]")
    expect(region.locator(".status-tag--proposed")).to_be_visible()
    expect(region.locator("#id_decide-number")).to_have_value("2")
    region.fill("#id_decide-reason", "Nattpass kan inte bemannas")
    region.click(f"form[action='/resurser/personal/{request.pk}/decide/'] button[type=submit]")
    expect(region.locator(".status-tag--partly_approved")).to_be_visible()
    request.refresh_from_db()
    assert (request.status, request.decided_number) == (StaffStatus.PARTLY_APPROVED, 2)

    avesta.reload()
    expect(avesta.locator(".status-tag--partly_approved")).to_be_visible()
    expect(avesta.locator("dl.facts")).to_contain_text("Nattpass kan inte bemannas")
    expect(avesta.locator("form[action$='/withdraw/']")).to_have_count(0)
