"""Issued statements: frozen lines, the difference when episodes change (a re-import with changed
facts), and disputes per role: raise, answer, credit on the next statement; all audited."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from samverkan.accounts.models import Notification
from samverkan.audit.models import AccessLogEntry, AuditEvent
from samverkan.flow.imports import import_rows
from samverkan.followup import services
from samverkan.followup.models import Dispute, DisputeStatus, LineKind, Statement
from samverkan.organisations.models import Municipality
from samverkan.testing import csv_rows, login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_messages():
    """These tests read the services' messages in English."""
    with translation.override("en"):
        yield


TODAY = datetime.date(2023, 4, 5)


@pytest.fixture
def falun(db) -> Municipality:
    return Municipality.objects.get(code="2080")


def issue(world, falun, month=3, today=TODAY) -> Statement:
    return services.statement_issue(
        municipality=falun, year=2023, month=month, by=world.region_coordinator, today=today
    )


def test_issuing_freezes_the_lines_audits_and_tells_the_municipality(world, march, falun):
    statement = issue(world, falun)
    assert statement.number == 1 and statement.amount == Decimal("31500.00") and statement.liable_days == 3
    assert [(line.record_id, line.liable_days, line.reason) for line in statement.lines.all()] == [
        ("F2", 1, "liable"),
        ("F1", 2, "liable"),
        ("F3", 0, "no_admission_notice"),
    ]
    assert sum(line.amount for line in statement.lines.all()) == statement.amount
    event = AuditEvent.objects.get(event_type="followup.statement_issued")
    assert event.after["number"] == 1 and event.after["amount"] == "31500.00"
    assert Notification.objects.filter(user=world.falun_coordinator).count() == 1
    assert not Notification.objects.filter(user=world.avesta_coordinator).exists()
    # Only the region's coordinators issue.
    with pytest.raises(PermissionDenied):
        services.statement_issue(municipality=falun, year=2023, month=3, by=world.falun_coordinator, today=TODAY)


def test_a_reimport_with_changed_facts_shows_the_difference_and_the_next_statement(client, world, march, falun, source):
    issue(world, falun)
    # The hospital system corrects F1's discharge from 11 to 13 March: 9 … 12 March, 4 days.
    result = import_rows(
        source=source,
        rows=[
            (
                2,
                {
                    "source_id": "F1",
                    "home_municipality": "2080",
                    "care_type": "somatic",
                    "admitted_at": "2023-03-04T10:00",
                    "admission_notice_at": "2023-03-04T13:00",
                    "ready_at": "2023-03-06T10:00",
                    "discharged_at": "2023-03-13T09:00",
                },
            )
        ],
        by=world.region_coordinator,
        filename="rattelse.csv",
    )
    assert result.ok, result.errors
    login(client, world.region_coordinator)
    changes = client.get("/uppfoljning/underlag/2080/?month=2023-03").context["changes"]
    assert changes.any and not changes.added and not changes.removed
    ((before, now),) = changes.changed
    assert (before.record_id, before.liable_days, now.liable_days) == ("F1", 2, 4)
    assert (changes.amount_before, changes.amount_now, changes.amount_difference) == (
        Decimal("31500.00"),
        Decimal("52500.00"),
        Decimal("21000.00"),
    )
    second = issue(world, falun)
    assert (second.number, second.amount) == (2, Decimal("52500.00"))
    assert not client.get("/uppfoljning/underlag/2080/?month=2023-03").context["changes"].any


def test_dispute_rejected_then_another_accepted_and_credited(client, world, march, falun):
    statement = issue(world, falun)
    f1 = statement.lines.get(record_id="F1")
    login(client, world.falun_coordinator)
    response = client.post(
        f"/uppfoljning/utfardade/rad/{f1.pk}/bestrid/",
        {"reason": "Inskrivningsmeddelandet kom aldrig.", "attachment": SimpleUploadedFile("logg.txt", b"logg")},
    )
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/uppfoljning/bestridanden/{dispute.pk}/"
    assert dispute.status == DisputeStatus.OPEN and dispute.answer_due == timezone.localdate() + datetime.timedelta(
        days=30
    )
    assert Notification.objects.filter(user=world.region_coordinator, url__contains=str(dispute.pk)).exists()
    assert AuditEvent.objects.filter(event_type="followup.dispute_raised", object_id=str(dispute.pk)).exists()
    # The same line cannot be disputed twice while open.
    again = client.post(f"/uppfoljning/utfardade/rad/{f1.pk}/bestrid/", {"reason": "Igen"})
    assert again.status_code == 200 and Dispute.objects.count() == 1

    # Avesta sees nothing of it; the region reads it and its attachment.
    login(client, world.avesta_coordinator)
    assert client.get(f"/uppfoljning/bestridanden/{dispute.pk}/").status_code == 404
    assert client.get(f"/uppfoljning/bestridanden/{dispute.pk}/bilaga/").status_code == 404
    assert client.get(f"/uppfoljning/utfardade/rad/{f1.pk}/bestrid/").status_code == 404
    login(client, world.region_coordinator)
    page = client.get(f"/uppfoljning/bestridanden/{dispute.pk}/")
    assert page.status_code == 200 and page.context["form"] is not None
    attachment = client.get(f"/uppfoljning/bestridanden/{dispute.pk}/bilaga/")
    assert attachment.content == b"logg" and "attachment" in attachment["Content-Disposition"]
    assert AccessLogEntry.objects.filter(resource=f"followup.dispute id={dispute.pk}").exists()

    # Rejecting needs a reason; with one the municipality is told.
    response = client.post(f"/uppfoljning/bestridanden/{dispute.pk}/", {"decision": "reject", "answer": ""})
    assert response.status_code == 200 and response.context["form"].errors["answer"]
    client.post(
        f"/uppfoljning/bestridanden/{dispute.pk}/", {"decision": "reject", "answer": "Meddelandet finns i loggen."}
    )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.REJECTED and dispute.answered_by == world.region_coordinator
    assert Notification.objects.filter(user=world.falun_coordinator, text__contains="Meddelandet finns").exists()
    assert client.post(f"/uppfoljning/bestridanden/{dispute.pk}/", {"decision": "accept"}).status_code == 403

    # A second dispute, of F2, accepted: credited on the next statement issued (April's).
    f2 = statement.lines.get(record_id="F2")
    second = services.dispute_raise(line=f2, reason="Fel utskrivningsdatum", by=world.falun_coordinator)
    with pytest.raises(PermissionDenied):
        services.dispute_answer(dispute=second, accept=True, answer="", by=world.falun_coordinator)
    services.dispute_answer(dispute=second, accept=True, answer="", by=world.region_coordinator)
    april = issue(world, falun, month=4, today=datetime.date(2023, 5, 2))
    credit = april.lines.get(kind=LineKind.CREDIT)
    assert (credit.record_id, credit.liable_days, credit.amount) == ("F2", -1, Decimal("-10500.00"))
    assert april.amount == sum(line.amount for line in april.lines.all())
    second.refresh_from_db()
    assert second.credited_on == april
    # Credited once only.
    assert not issue(world, falun, month=4, today=datetime.date(2023, 5, 3)).lines.filter(kind=LineKind.CREDIT).exists()
    events = AuditEvent.objects.filter(event_type__startswith="followup.dispute").values_list("event_type", flat=True)
    assert sorted(events) == [
        "followup.dispute_answered",
        "followup.dispute_answered",
        "followup.dispute_raised",
        "followup.dispute_raised",
    ]


def test_disputes_are_refused_after_the_deadline_and_on_a_superseded_statement(world, march, falun):
    statement = issue(world, falun)
    line = statement.lines.get(record_id="F1")
    late = timezone.localdate() + datetime.timedelta(days=31)
    with pytest.raises(ValidationError) as refused:
        services.dispute_raise(line=line, reason="Sent", by=world.falun_coordinator, today=late)
    assert "ended" in str(refused.value)
    issue(world, falun)
    with pytest.raises(ValidationError) as refused:
        services.dispute_raise(line=line, reason="Gammal", by=world.falun_coordinator)
    assert "newer statement" in str(refused.value)
    with pytest.raises(ValidationError):
        services.dispute_raise(line=line, reason="  ", by=world.falun_coordinator)
    assert not Dispute.objects.exists()
    # Neither the region nor another municipality raises one.
    newest = Statement.objects.get(number=2).lines.get(record_id="F1")
    for outsider in (world.region_coordinator, world.avesta_coordinator):
        with pytest.raises(PermissionDenied):
            services.dispute_raise(line=newest, reason="x", by=outsider)


def test_dispute_api_and_list(client, world, march, falun):
    statement = issue(world, falun)
    line = statement.lines.get(record_id="F1")
    login(client, world.falun_coordinator)
    response = client.post(
        "/api/v1/followup/disputes", {"line": line.pk, "reason": "Fel"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    dispute_id = response.json()["id"]
    assert response.json()["source_id"] == "F1" and response.json()["status"] == "open"
    assert (
        client.post(
            f"/api/v1/followup/disputes/{dispute_id}/answer", {"accept": True}, content_type="application/json"
        ).status_code
        == 404
    )
    login(client, world.region_coordinator)
    assert [d["id"] for d in client.get("/api/v1/followup/disputes?county=20&status=open").json()] == [dispute_id]
    response = client.post(
        f"/api/v1/followup/disputes/{dispute_id}/answer", {"accept": False}, content_type="application/json"
    )
    assert response.status_code == 422 and "answer" in response.json()["detail"]
    response = client.post(
        f"/api/v1/followup/disputes/{dispute_id}/answer",
        {"accept": True, "answer": "Ja"},
        content_type="application/json",
    )
    assert response.json()["status"] == "accepted"
    page = client.get("/uppfoljning/bestridanden/?county=20&status=accepted")
    assert [d.pk for d in page.context["disputes"]] == [dispute_id]
    login(client, world.viewer)
    assert client.get("/uppfoljning/bestridanden/?county=20").status_code == 403
    assert client.get("/api/v1/followup/disputes?county=20").status_code == 403


def test_dispute_api_with_an_attachment(client, world, march, falun):
    """A municipality sends its dispute with an attachment (base64 in the JSON); both sides read
    the dispute and download the file through the API, each read an access-log row; a file that is
    not base64 is a 422 naming the field, and nothing is saved."""
    statement = issue(world, falun)
    line = statement.lines.get(record_id="F1")
    login(client, world.falun_coordinator)
    body = {
        "line": line.pk,
        "reason": "Kallelse till SIP skickades i tid, se loggen.",
        "attachment": {"name": "sip-logg.txt", "content_type": "text/plain", "content_base64": "U0lQIDctMyAwOTo0NQ=="},
    }
    bad = {**body, "attachment": {**body["attachment"], "content_base64": "inte base64!"}}
    response = client.post("/api/v1/followup/disputes", bad, content_type="application/json")
    assert response.status_code == 422 and "attachment.content_base64" in response.json()["detail"]
    assert not Dispute.objects.exists()
    response = client.post("/api/v1/followup/disputes", body, content_type="application/json")
    assert response.status_code == 201, response.content
    dispute_id = response.json()["id"]
    assert response.json()["attachment"] == "sip-logg.txt"
    assert bytes(Dispute.objects.get().attachment) == b"SIP 7-3 09:45"
    for person in (world.falun_coordinator, world.region_coordinator):
        login(client, person)
        detail = client.get(f"/api/v1/followup/disputes/{dispute_id}")
        assert detail.status_code == 200 and detail.json()["source_id"] == "F1"
        download = client.get(f"/api/v1/followup/disputes/{dispute_id}/attachment")
        assert download.status_code == 200 and download.content == b"SIP 7-3 09:45"
        assert 'filename="sip-logg.txt"' in download["Content-Disposition"]
    assert AccessLogEntry.objects.filter(resource=f"followup.dispute_attachment id={dispute_id}").count() == 2
    assert AccessLogEntry.objects.filter(resource=f"followup.dispute id={dispute_id}").count() == 2
    login(client, world.avesta_coordinator)  # another municipality's dispute: not found
    assert client.get(f"/api/v1/followup/disputes/{dispute_id}").status_code == 404
    assert client.get(f"/api/v1/followup/disputes/{dispute_id}/attachment").status_code == 404
    login(client, world.falun_coordinator)
    response = client.post(
        "/api/v1/followup/disputes",
        {"line": statement.lines.get(record_id="F2").pk, "reason": "Fel"},
        content_type="application/json",
    )
    assert response.json()["attachment"] is None
    assert client.get(f"/api/v1/followup/disputes/{response.json()['id']}/attachment").status_code == 404


def test_issue_through_the_api_and_the_page(client, world, march, falun):
    login(client, world.region_coordinator)
    response = client.post(
        "/api/v1/followup/statements/issue",
        {"municipality": "2084", "month": "2023-03"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["amount"] == "94500.00" and response.json()["lines"] == 1
    response = client.post("/uppfoljning/underlag/2080/utfarda/?month=2023-03")
    statement = Statement.objects.get(municipality_id="2080")
    assert response.status_code == 302 and response["Location"] == f"/uppfoljning/utfardade/{statement.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200 and len(page.context["lines"]) == 3 and not page.context["may_dispute"]
    exported = csv_rows(client.get(response["Location"] + "?format=csv").content)
    assert exported[0][:5] == ["municipality", "month", "number", "kind", "source_id"]
    assert [line[4] for line in exported[1:]] == ["F2", "F1", "F3", ""]
    assert exported[-1][3] == "total" and exported[-1][-2] == "31500,00"
    assert sum(Decimal(line[-2].replace(",", ".")) for line in exported[1:-1]) == Decimal("31500.00")
    login(client, world.falun_coordinator)
    assert client.post("/uppfoljning/underlag/2080/utfarda/?month=2023-03").status_code == 403
    page = client.get(f"/uppfoljning/utfardade/{statement.pk}/")
    assert page.context["may_dispute"] and "bestrid" in page.content.decode()
    login(client, world.avesta_coordinator)
    assert client.get(f"/uppfoljning/utfardade/{statement.pk}/").status_code == 404
