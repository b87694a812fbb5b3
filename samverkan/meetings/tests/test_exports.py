"""The minutes as PDF and Word: what was approved is what is printed, with its signatures.

Set SAMVERKAN_EXPORTS to a directory to keep the files (to render and look at them)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from samverkan.meetings import exports, services
from samverkan.meetings.models import AttendanceStatus
from samverkan.meetings.tests.helpers import at, code_for, make_meeting, make_setting
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def _keep(name: str, data: bytes) -> None:
    directory = os.environ.get("SAMVERKAN_EXPORTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / name).write_bytes(data)


def _held(world):
    setting = make_setting(world)
    services.agenda_item_update(
        item=setting.item,
        title=setting.item.title,
        kind=setting.item.kind,
        presenter=setting.item.presenter,
        description="Läget för korttidsplatser.",
        minutes="Avesta behöver sex platser nu. Falun erbjuder Lunden: 34 platser, kan utökas till 40.\n\n"
        "Ludvika öppnar 10 nya platser från 1 juni.",
        by=world.forum_secretary,
    )
    services.decision_add(
        item=setting.item, text="Att kommunerna delar platser enligt en plan i steg.", by=world.forum_secretary
    )
    next_meeting = make_meeting(world, setting.forum, at(2030, 4, 21))
    services.assignment_create(
        item=setting.item,
        data=services.AssignmentInput(
            title="Presentera en prioriteringsplan", owner_organisation=world.region, due_meeting=next_meeting
        ),
        by=world.forum_secretary,
    )
    rows = {r.name: r for r in setting.meeting.attendance.all()}
    services.attendance_set(
        meeting=setting.meeting,
        changes=[(rows["Region Coordinator"].pk, AttendanceStatus.ABSENT, "")],
        by=world.forum_secretary,
    )
    services.attendance_add(
        meeting=setting.meeting,
        name="Stina Ersättare",
        organisation=world.region,
        status=AttendanceStatus.REMOTE,
        substitute_for="Region Coordinator",
        by=world.forum_secretary,
    )
    return setting


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_a_draft_is_printed_as_a_draft(world):
    setting = _held(world)
    pdf, word = exports.minutes_pdf(setting.meeting), exports.minutes_docx(setting.meeting)
    _keep("draft.pdf", pdf)
    _keep("draft.docx", word)
    for text in (_pdf_text(pdf), _docx_text(word)):
        assert "DRAFT – not approved" in text
        assert "Not yet approved." in text
        assert "Decision § 1:" in text and "plan i steg" in text
        assert "Stina Ersättare" in text and "Remote" in text


def test_approved_minutes_print_the_signed_text_and_the_signatures(world):
    setting = _held(world)
    services.minutes_send_for_approval(meeting=setting.meeting, by=world.forum_secretary)
    version = services.minutes_sign(
        meeting=setting.meeting, code=code_for(world.falun_coordinator), by=world.falun_coordinator
    )
    version = services.minutes_sign(
        meeting=setting.meeting, code=code_for(world.region_coordinator), by=world.region_coordinator
    )
    pdf, word = exports.minutes_pdf(setting.meeting), exports.minutes_docx(setting.meeting)
    _keep("approved.pdf", pdf)
    _keep("approved.docx", word)
    pdf_text, word_text = _pdf_text(pdf), _docx_text(word)
    for text in (pdf_text, word_text):
        assert "DRAFT" not in text
        assert "Approved electronically by Falun Coordinator (Chair)" in text
        assert "Approved electronically by Region Coordinator (Minutes checker)" in text
        assert "Presentera en prioriteringsplan" in text
        assert "Ludvika öppnar 10 nya platser från 1 juni." in text
    assert version.content_hash in word_text
    assert version.content_hash in pdf_text.replace("\n", "")
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Minutes – Chefsnätverket 2030-04-14"


def test_a_correction_in_progress_still_prints_the_approved_version(world):
    setting = _held(world)
    services.minutes_send_for_approval(meeting=setting.meeting, by=world.forum_secretary)
    services.minutes_sign(meeting=setting.meeting, code=code_for(world.falun_coordinator), by=world.falun_coordinator)
    services.minutes_sign(meeting=setting.meeting, code=code_for(world.region_coordinator), by=world.region_coordinator)
    services.minutes_correct(meeting=setting.meeting, reason="Fel antal platser", by=world.forum_secretary)
    services.agenda_item_update(
        item=setting.item,
        title=setting.item.title,
        kind="decision",
        presenter="",
        description="",
        minutes="Ändrad text i rättelsen",
        by=world.forum_secretary,
    )
    text = _docx_text(exports.minutes_docx(setting.meeting))
    assert "Ludvika öppnar 10 nya platser" in text and "Ändrad text i rättelsen" not in text


def test_the_exports_are_downloads_for_those_who_see_the_minutes(world, client):
    setting = _held(world)
    login(client, world.avesta_coordinator)
    pdf = client.get(f"/moten/{setting.meeting.pk}/protokoll.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="protokoll-2030-04-14-chefsnatverket.pdf"'
    assert pdf.content.startswith(b"%PDF")
    word = client.get(f"/moten/{setting.meeting.pk}/protokoll.docx")
    assert word.status_code == 200 and word.content.startswith(b"PK")
    login(client, world.ludvika_coordinator)
    assert client.get(f"/moten/{setting.meeting.pk}/protokoll.pdf").status_code == 404
