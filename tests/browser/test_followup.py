"""A liability dispute through the pages: the region issues Falun's statement, Falun's coordinator
disputes a line with a reason and an attachment, the region rejects it with a reason, and Falun
sees the answer; a second dispute is accepted and credited on the next statement.

Elements are found by id, name and address rather than by text, so the test does not depend on
the Swedish translations."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from samverkan.capacity.schedule import LOCAL
from samverkan.flow.imports import source_for
from samverkan.flow.models import Episode
from samverkan.followup.models import DayRate, Dispute, DisputeStatus, LineKind, Statement

pytestmark = pytest.mark.browser


def _episode(record_id: str, ready: datetime.datetime, discharged: datetime.datetime) -> None:
    admitted = ready - datetime.timedelta(days=2)
    Episode.objects.create(
        source=source_for("20", "Cosmic"),
        record_id=record_id,
        home_municipality_id="2080",
        care_type="somatic",
        admitted_at=admitted,
        admission_notice_at=admitted + datetime.timedelta(hours=2),
        ready_at=ready,
        discharged_at=discharged,
    )


def test_dispute_rejected_and_another_accepted_and_credited(world, open_page, tmp_path):
    DayRate.objects.create(county_id="20", year=2023, amount=Decimal("10500"))
    _episode("F1", datetime.datetime(2023, 3, 6, 10, tzinfo=LOCAL), datetime.datetime(2023, 3, 11, 14, tzinfo=LOCAL))
    _episode("F2", datetime.datetime(2023, 3, 20, 10, tzinfo=LOCAL), datetime.datetime(2023, 3, 28, 9, tzinfo=LOCAL))

    # The region issues March.
    region = open_page(world.region_coordinator)
    region.goto("/uppfoljning/underlag/2080/?month=2023-03")
    region.click("form[action='/uppfoljning/underlag/2080/utfarda/?month=2023-03'] button[type=submit]")
    expect(region).to_have_url(re.compile(r"/uppfoljning/utfardade/\d+/$"))
    statement = Statement.objects.get()
    assert (statement.number, statement.amount) == (1, Decimal("73500.00"))  # 2 + 5 days

    # Falun's coordinator disputes F1 with a reason and an attachment, by keyboard.
    f1 = statement.lines.get(record_id="F1")
    falun = open_page(world.falun_coordinator)
    falun.goto(f"/uppfoljning/utfardade/{statement.pk}/")
    falun.click(f"a[href='/uppfoljning/utfardade/rad/{f1.pk}/bestrid/']")
    falun.focus("#id_reason")
    falun.keyboard.type("Vi fick inget inskrivningsmeddelande.")
    log = tmp_path / "logg.txt"
    log.write_text("2023-03-04 inget meddelande")
    falun.set_input_files("#id_attachment", str(log))
    falun.click("main form.card button[type=submit]")
    dispute = Dispute.objects.get()
    expect(falun).to_have_url(re.compile(rf"/uppfoljning/bestridanden/{dispute.pk}/$"))
    expect(falun.locator(".message--success")).to_be_visible()
    assert dispute.attachment_name == "logg.txt" and bytes(dispute.attachment) == b"2023-03-04 inget meddelande"

    # The region rejects it: first without a reason (refused, the field says why), then with one.
    region.goto("/uppfoljning/bestridanden/?county=20&status=open")
    region.click(f"a[href='/uppfoljning/bestridanden/{dispute.pk}/']")
    region.check("input[name=decision][value=reject]")
    region.click("main form.card button[type=submit]")
    expect(region.locator("#id_answer_error")).to_be_visible()
    region.fill("#id_answer", "Meddelandet skickades 4 mars enligt loggen.")
    region.click("main form.card button[type=submit]")
    expect(region.locator(".message--success")).to_be_visible()
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.REJECTED

    # Falun sees the answer.
    falun.reload()
    expect(falun.locator("main")).to_contain_text("Meddelandet skickades 4 mars enligt loggen.")

    # F2 disputed and accepted: credited on April's statement.
    f2 = statement.lines.get(record_id="F2")
    falun.goto(f"/uppfoljning/utfardade/rad/{f2.pk}/bestrid/")
    falun.fill("#id_reason", "Fel datum för utskrivningsklar.")
    falun.click("main form.card button[type=submit]")
    second = Dispute.objects.exclude(pk=dispute.pk).get()
    region.goto(f"/uppfoljning/bestridanden/{second.pk}/")
    region.check("input[name=decision][value=accept]")
    region.click("main form.card button[type=submit]")
    expect(region.locator(".message--success")).to_be_visible()
    region.goto("/uppfoljning/underlag/2080/?month=2023-04")
    region.click("form[action='/uppfoljning/underlag/2080/utfarda/?month=2023-04'] button[type=submit]")
    april = Statement.objects.get(month=datetime.date(2023, 4, 1))
    credit = april.lines.get(kind=LineKind.CREDIT)
    assert (credit.record_id, credit.amount) == ("F2", Decimal("-52500.00"))
    second.refresh_from_db()
    assert second.credited_on == april
