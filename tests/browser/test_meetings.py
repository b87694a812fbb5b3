"""Holding a meeting through the pages: the secretary writes the agenda, the minutes, a decision,
an assignment and the attendance, sends the minutes for approval; the chair and the checker
approve with their authenticator codes; the minutes are downloaded as PDF and Word.

Elements are found by id, name and form action rather than by text (the pages are Swedish)."""

from __future__ import annotations

import datetime
import io
import re

import docx
import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from samverkan.meetings import services
from samverkan.meetings.models import Assignment, Decision, MinutesStatus
from samverkan.organisations.models import County
from samverkan.testing import current_code, totp_device

pytestmark = pytest.mark.browser


def test_hold_a_meeting_approve_the_minutes_and_export_them(world, open_page):
    forum = services.forum_create(
        county=County.objects.get(code="20"),
        name="Chefsnätverket",
        organisations=[world.region, world.falun, world.avesta],
        by=world.forum_secretary,
    )
    services.forum_person_add(
        forum=forum, user=world.falun_coordinator, organisation=world.falun, by=world.forum_secretary
    )
    services.forum_person_add(
        forum=forum, user=world.avesta_coordinator, organisation=world.avesta, by=world.forum_secretary
    )
    start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(9)))
    meeting = services.meeting_create(
        forum=forum,
        data=services.MeetingInput(
            title="Veckomöte",
            starts_at=start,
            place="Falun",
            chair=world.falun_coordinator,
            checker=world.region_coordinator,
        ),
        by=world.forum_secretary,
    )

    # The secretary writes the agenda item, its minutes, a decision and an assignment.
    secretary = open_page(world.forum_secretary)
    secretary.goto(f"/moten/{meeting.pk}/")
    secretary.fill("#id_new-title", "Korttidsplatser i länet")
    secretary.check("input[name='new-kind'][value='decision']")
    secretary.fill("#id_new-presenter", "Filip Falun")
    secretary.click(f"form[action='/moten/{meeting.pk}/punkter/'] button[type=submit]")
    expect(secretary.locator(".message--success")).to_be_visible()
    item = meeting.items.get()
    secretary.click(f"a[href='/moten/punkter/{item.pk}/']")
    secretary.fill("#id_minutes", "Avesta behöver sex platser. Falun erbjuder Lunden.")
    secretary.click("form:not([action]) button[type=submit]")
    expect(secretary.locator(".message--success")).to_be_visible()
    secretary.fill("#id_text", "Att Falun erbjuder fyra platser på Lunden.")
    secretary.click(f"form[action='/moten/punkter/{item.pk}/beslut/'] button[type=submit]")
    expect(secretary.locator(".message--success")).to_be_visible()
    secretary.click(f"a[href='/moten/punkter/{item.pk}/uppdrag/']")
    secretary.fill("#id_assignment-title", "Ta fram en plan i steg")
    secretary.select_option("#id_assignment-owner_organisation", str(world.region.pk))
    secretary.fill("#id_assignment-due_date", (timezone.localdate() + datetime.timedelta(days=14)).isoformat())
    secretary.click("main form.narrow button[type=submit]")
    expect(secretary).to_have_url(re.compile(rf"/moten/punkter/{item.pk}/$"))
    assert Decision.objects.get(meeting=meeting).number == 1
    assert Assignment.objects.get(meeting=meeting).owner_organisation == world.region

    # Attendance: Avesta's coordinator took part remotely.
    secretary.goto(f"/moten/{meeting.pk}/narvaro/")
    avesta_row = meeting.attendance.get(user=world.avesta_coordinator)
    secretary.select_option(f"#status_{avesta_row.pk}", "remote")
    secretary.click("button[name=save]")
    expect(secretary).to_have_url(re.compile(rf"/moten/{meeting.pk}/$"))
    avesta_row.refresh_from_db()
    assert avesta_row.status == "remote"

    # Sent for approval: locked.
    secretary.click(f"form[action='/moten/{meeting.pk}/protokoll/send/'] button")
    expect(secretary.locator(f"form[action='/moten/{meeting.pk}/punkter/']")).to_have_count(0)
    assert services.current_version(meeting).status == MinutesStatus.FOR_APPROVAL

    # The chair and the checker approve with their codes.
    for signer in (world.falun_coordinator, world.region_coordinator):
        page = open_page(signer)
        page.goto(f"/moten/{meeting.pk}/")
        page.fill("#id_code", current_code(totp_device(signer)))
        page.click(f"form[action='/moten/{meeting.pk}/protokoll/sign/'] button")
        expect(page.locator(".message--success")).to_be_visible()
    version = services.current_version(meeting)
    assert version.status == MinutesStatus.APPROVED
    assert set(version.signatures.values_list("role", flat=True)) == {"chair", "checker"}

    # The minutes as PDF and Word.
    secretary.reload()
    with secretary.expect_download() as pdf_download:
        secretary.click("#export-pdf")
    pdf = open(pdf_download.value.path(), "rb").read()  # noqa: SIM115, PTH123 - Playwright's temporary file
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Att Falun erbjuder fyra platser på Lunden." in text and "Falun Coordinator" in text
    with secretary.expect_download() as word_download:
        secretary.click("#export-docx")
    document = docx.Document(word_download.value.path())
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "Avesta behöver sex platser. Falun erbjuder Lunden." in paragraphs
    assert version.content_hash in paragraphs
