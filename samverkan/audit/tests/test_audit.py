"""Audit events are written with the change, in the same transaction, and cannot be edited."""

import pytest
from django.db import IntegrityError, transaction

from samverkan.audit.models import AccessLogEntry, AuditEvent
from samverkan.audit.services import AuditOutsideTransaction, access_log_record, audit_record
from samverkan.organisations import policy, services
from samverkan.organisations.models import Membership, Unit, UnitKind
from samverkan.organisations.roles import Role
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def test_a_change_writes_an_event_with_before_and_after(world):
    unit = world.lunden
    unit.name = "Lunden korttidsenhet"
    services.unit_save(unit=unit, by=world.region_coordinator)
    event = AuditEvent.objects.get(event_type="organisations.unit_changed")
    assert event.before["name"] == "Lunden korttidsboende"
    assert event.after["name"] == "Lunden korttidsenhet"
    assert event.actor == world.region_coordinator
    assert event.organisation == world.falun


def test_a_failing_change_leaves_no_audit_row(world):
    before = AuditEvent.objects.count()
    duplicate = Membership(user=world.viewer, organisation=world.region, role=Role.VIEWER)
    with pytest.raises((IntegrityError, Exception)), transaction.atomic():
        services.membership_save(membership=duplicate, by=world.admin)
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_an_error_after_the_audit_row_rolls_both_back(world):
    before_units, before_events = Unit.objects.count(), AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.unit_save(
            unit=Unit(
                code="new", name="Ny", kind=UnitKind.SHORT_TERM, organisation=world.falun, municipality_id="2080"
            ),
            by=world.admin,
        )
        raise RuntimeError("the surrounding change failed")
    assert (Unit.objects.count(), AuditEvent.objects.count()) == (before_units, before_events)


@pytest.mark.django_db(transaction=True)
def test_audit_outside_a_transaction_is_refused(world):
    with pytest.raises(AuditOutsideTransaction):
        audit_record(by=policy.SYSTEM, event_type="x.y")


def test_secrets_never_reach_the_audit_rows(world, client):
    login(client, world.falun_coordinator)
    client.post("/konto/api-keys/", {"organisation": world.falun.pk, "name": "K", "role": "municipal_coordinator"})
    for event in AuditEvent.objects.all():
        for payload in (event.before or {}, event.after or {}):
            assert not {"password", "key_hash", "key"} & set(payload)


def test_request_id_is_stamped_on_events(world, client):
    login(client, world.falun_coordinator)
    response = client.post(
        "/konto/api-keys/",
        {"organisation": world.falun.pk, "name": "K", "role": "municipal_coordinator"},
        HTTP_X_REQUEST_ID="req-12345678",
    )
    assert response["X-Request-ID"] == "req-12345678"
    assert AuditEvent.objects.get(event_type="accounts.api_key_created").request_id == "req-12345678"


def test_access_log_records_who_what_and_why(world):
    entry = access_log_record(
        by=world.region_coordinator, resource="flow.episode_list", reason="coordination", object_ids=[1, 2]
    )
    assert entry.actor_label == world.region_coordinator.email
    assert entry.object_ids == ["1", "2"]


def test_audit_rows_cannot_be_changed_on_the_admin_pages(world, client):
    with transaction.atomic():
        event = audit_record(by=policy.SYSTEM, event_type="x.y")
    login(client, world.admin)
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200  # view only
    response = client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"event_type": "changed"})
    assert response.status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, event_type="x.y").exists()
    assert client.get("/admin/audit/accesslogentry/add/").status_code == 403
    assert AccessLogEntry.objects.count() == 0


def test_admin_page_changes_are_audited(world, client):
    login(client, world.admin)
    response = client.post(
        f"/admin/organisations/unit/{world.lunden.pk}/change/",
        {
            "code": world.lunden.code,
            "name": "Lunden (ändrad)",
            "kind": world.lunden.kind,
            "organisation": world.falun.pk,
            "municipality": "2080",
            "site": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(event_type="organisations.unit_changed")
    assert event.actor == world.admin
    assert event.after["name"] == "Lunden (ändrad)"
