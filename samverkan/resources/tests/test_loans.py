"""Loans end to end through the services: request, approval, overdue reminders, return with the
item's condition, the item's history and audit events; bad input refused with a message naming
the field and the database unchanged; availability and where the items are."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from samverkan.accounts.models import Notification
from samverkan.audit.models import AuditEvent
from samverkan.resources import selectors, services
from samverkan.resources.models import EquipmentItem, ItemStatus, LoanRequest, LoanStatus
from samverkan.resources.tests.helpers import TODAY, concentrator_type, make_items, make_request

pytestmark = pytest.mark.django_db
D = datetime.date


def test_a_loan_from_request_to_return(world):
    items = make_items(world, 3)
    request = make_request(world, quantity=2, by=world.avesta_coordinator)
    assert (request.status, request.lender, request.borrower) == (LoanStatus.REQUESTED, world.region, world.avesta)
    assert Notification.objects.filter(user=world.region_coordinator, url__endswith=f"/lan/{request.pk}/").exists()

    services.loan_request_approve(request=request, items=items[:2], by=world.region_coordinator, note="Hämtas i Falun")
    request.refresh_from_db()
    assert request.status == LoanStatus.LENT
    lent = EquipmentItem.objects.filter(pk__in=[i.pk for i in items[:2]])
    assert {(i.status, i.loan_unit) for i in lent} == {(ItemStatus.ON_LOAN, world.avesta_unit)}
    assert Notification.objects.filter(user=world.avesta_coordinator, text__contains="approved").exists()

    first, second = request.loans.order_by("pk")
    services.loan_return(loan=first, by=world.avesta_coordinator, condition="ok")
    request.refresh_from_db()
    assert request.status == LoanStatus.LENT  # one item still out
    services.loan_return(loan=second, by=world.region_coordinator, condition="damaged", note="Trasig sladd")
    request.refresh_from_db()
    assert request.status == LoanStatus.RETURNED
    assert EquipmentItem.objects.get(pk=first.item_id).status == ItemStatus.AVAILABLE
    damaged = EquipmentItem.objects.get(pk=second.item_id)
    assert (damaged.status, damaged.loan_unit) == (ItemStatus.IN_SERVICE, None)
    assert [e.action for e in damaged.events.all()] == ["returned", "lent", "added"]
    assert "Trasig sladd" in damaged.events.first().text
    types = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {"resources.loan_requested", "resources.loan_approved", "resources.loan_returned"} <= types
    with pytest.raises(services.Conflict):
        services.loan_return(loan=second, by=world.region_coordinator, condition="ok")


def test_approving_in_part_and_the_limits_of_an_approval(world):
    items = make_items(world, 3)
    request = make_request(world, quantity=2)
    with pytest.raises(ValidationError) as too_many:
        services.loan_request_approve(request=request, items=items, by=world.region_coordinator)
    assert "items" in too_many.value.message_dict
    orebro_item = make_items(world, 1, county="18")[0]
    with pytest.raises(ValidationError):
        services.loan_request_approve(request=request, items=[orebro_item], by=world.admin)
    services.loan_request_approve(request=request, items=items[:1], by=world.region_coordinator)
    assert request.loans.count() == 1
    other = make_request(world)
    with pytest.raises(services.Conflict, match="no longer available"):
        services.loan_request_approve(request=other, items=items[:1], by=world.region_coordinator)
    assert LoanRequest.objects.get(pk=other.pk).status == LoanStatus.REQUESTED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose": "Till patient 19121212-1212"}, "purpose"),
        ({"purpose": "  "}, "purpose"),
        ({"needed_until": D(2030, 3, 1)}, "needed_until"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 51}, "quantity"),
    ],
)
def test_bad_requests_name_the_field_and_store_nothing(world, change, field):
    make_items(world, 1)
    data = {
        "by": world.avesta_coordinator,
        "unit": world.avesta_unit,
        "type": concentrator_type(),
        "quantity": 1,
        "needed_from": TODAY,
        "needed_until": TODAY + datetime.timedelta(days=7),
        "purpose": "Syrgas",
        **change,
    }
    audit_before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.loan_request_create(**data)
    assert field in refused.value.message_dict
    assert not LoanRequest.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_only_the_units_own_people_ask_for_it(world):
    make_items(world, 1)
    for persona in ("falun_coordinator", "lunden_staff", "viewer", "forum_secretary", "outsider"):
        with pytest.raises(PermissionDenied):
            make_request(world, unit=world.avesta_unit, by=getattr(world, persona))
    make_request(world, unit=world.lunden, by=world.lunden_staff)
    with pytest.raises(PermissionDenied):
        make_request(world, unit=world.avesta_unit, by=world.lunden_staff)


def test_nobody_to_ask_without_items(world):
    concentrator_type()
    with pytest.raises(ValidationError) as refused:
        make_request(world, by=world.avesta_coordinator)
    assert "lender" in refused.value.message_dict


def test_overdue_loans_are_reminded_once_a_day(world):
    items = make_items(world, 2)
    late = make_request(world, first=D(2030, 2, 1), last=D(2030, 2, 28))
    on_time = make_request(world, unit=world.lunden, first=D(2030, 2, 1), last=D(2030, 3, 31))
    services.loan_request_approve(request=late, items=items[:1], by=world.region_coordinator)
    services.loan_request_approve(request=on_time, items=items[1:], by=world.region_coordinator)
    Notification.objects.all().delete()
    assert services.loans_remind_overdue(today=TODAY) == 1
    told = Notification.objects.filter(text__contains="overdue")
    assert {n.user for n in told} == {world.avesta_coordinator, world.region_coordinator}
    assert "4 days overdue" in told.first().text  # due 28 February, today 4 March
    assert services.loans_remind_overdue(today=TODAY) == 0  # once a day
    assert services.loans_remind_overdue(today=TODAY + datetime.timedelta(days=1)) == 1
    assert AuditEvent.objects.filter(event_type="resources.loan_reminded").count() == 2
    assert [loan.item for loan in selectors.overdue_loans(world.region_coordinator, "20", today=TODAY)] == items[:1]
    assert list(selectors.overdue_loans(world.falun_coordinator, "20", today=TODAY)) == []  # not Falun's loan
    services.loan_return(loan=late.loans.get(), by=world.region_coordinator, condition="ok")
    assert services.loans_remind_overdue(today=TODAY + datetime.timedelta(days=2)) == 0


def test_availability_and_where_the_items_are(world):
    items = make_items(world, 4)
    services.item_update(
        item=items[3], status=ItemStatus.IN_SERVICE, last_service_on=None, next_service_on=None, by=world.admin
    )
    lent = make_request(world, first=D(2030, 3, 1), last=D(2030, 3, 12))
    services.loan_request_approve(request=lent, items=items[:1], by=world.region_coordinator)
    make_request(world, unit=world.lunden, quantity=3, first=D(2030, 3, 18), last=D(2030, 3, 20))  # waiting

    [row] = selectors.pool_availability(world.viewer, "20", today=TODAY, weeks=3)
    assert (row.total, row.available_now, row.on_loan, row.in_service, row.overdue) == (4, 2, 1, 1, 0)
    assert [(w.free, w.lent, w.asked, w.short) for w in row.weeks] == [
        (2, 1, 0, False),
        (2, 1, 0, False),
        (3, 0, 3, False),
    ]
    [row] = selectors.pool_availability(world.viewer, "20", today=D(2030, 3, 13), weeks=2)
    assert row.overdue == 1 and [w.free for w in row.weeks] == [2, 2]  # overdue: out until returned

    types, rows = selectors.items_by_municipality(world.viewer, "20", today=TODAY)
    assert types == [concentrator_type()]
    assert {r.municipality.code: r.cells for r in rows} == {"2080": [(3, 0)], "2084": [(0, 1)]}
    with pytest.raises(PermissionDenied):
        selectors.pool_availability(world.outsider, "20")
    assert selectors.pool_availability(world.outsider, "18") == []


def test_items_are_managed_by_their_owner(world):
    item = make_items(world, 1)[0]
    with pytest.raises(PermissionDenied):
        services.item_update(
            item=item, status=ItemStatus.RETIRED, last_service_on=None, next_service_on=None, by=world.falun_coordinator
        )
    services.item_update(
        item=item,
        status=ItemStatus.AVAILABLE,
        last_service_on=D(2030, 1, 10),
        next_service_on=D(2031, 1, 10),
        by=world.region_coordinator,
    )
    item.refresh_from_db()
    assert item.next_service_on == D(2031, 1, 10)
    assert item.events.first().action == "updated"
    with pytest.raises(PermissionDenied):
        services.item_create(
            type=concentrator_type(),
            serial="X-1",
            owner=world.region,
            home_municipality=item.home_municipality,
            by=world.falun_coordinator,
        )
    with pytest.raises(ValidationError) as duplicate:
        services.item_create(
            type=concentrator_type(),
            serial=item.serial,
            owner=world.region,
            home_municipality=item.home_municipality,
            by=world.region_coordinator,
        )
    assert "An item of this type already has this serial number." in str(duplicate.value)
    request = make_request(world)
    services.loan_request_approve(request=request, items=[item], by=world.region_coordinator)
    with pytest.raises(services.Conflict):
        services.item_update(
            item=item,
            status=ItemStatus.RETIRED,
            last_service_on=None,
            next_service_on=None,
            by=world.region_coordinator,
        )


def test_equipment_types_are_the_region_coordinators_list(world):
    county = world.region.county
    with pytest.raises(PermissionDenied):
        services.equipment_type_create(county=county, code="rullstol", name="Rullstol", by=world.falun_coordinator)
    with pytest.raises(PermissionDenied):
        services.equipment_type_create(county=county, code="rullstol", name="Rullstol", by=world.outsider)
    created = services.equipment_type_create(
        county=county, code="rullstol", name="Rullstol", by=world.region_coordinator
    )
    assert AuditEvent.objects.filter(event_type="resources.equipment_type_created", object_id=str(created.pk)).exists()
    with pytest.raises(ValidationError):
        services.equipment_type_create(county=county, code="rullstol", name="Igen", by=world.region_coordinator)


def test_the_reminder_command(world):
    item = make_items(world, 1)[0]
    today = timezone.localdate()
    late = make_request(world, first=today - datetime.timedelta(days=9), last=today - datetime.timedelta(days=1))
    services.loan_request_approve(request=late, items=[item], by=world.region_coordinator)
    out = io.StringIO()
    call_command("resources_remind", stdout=out)
    assert out.getvalue().startswith("1 overdue")
    call_command("resources_remind", stdout=out)
    assert "0 overdue" in out.getvalue()
