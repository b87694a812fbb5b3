"""Staff requests to the region: the state table per persona (generated from
states.STAFF_TRANSITIONS), decisions (approve, in part, decline with reason), the requester told,
lent staff per week (hand-checked), exports, the API and bad input."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from samverkan.accounts.models import Notification
from samverkan.audit.models import AuditEvent
from samverkan.resources import selectors, services, states
from samverkan.resources.models import StaffRequest, StaffStatus
from samverkan.resources.tests.helpers import TODAY, make_staff_request
from samverkan.testing import PERSONAS, login

pytestmark = pytest.mark.django_db
D = datetime.date

SHAPES = {"avesta": "avesta_unit", "lunden": "lunden"}
REQUESTERS = {"avesta": {"admin", "avesta_coordinator"}, "lunden": {"admin", "falun_coordinator", "lunden_staff"}}
REGION = {"admin", "region_coordinator"}
AUDITED_AS = {
    "propose": "resources.staff_proposed",
    "decide": "resources.staff_decided",
    "withdraw": "resources.staff_withdrawn",
}
STATUS_AFTER = {
    "propose": StaffStatus.PROPOSED,
    "decide": StaffStatus.PARTLY_APPROVED,
    "withdraw": StaffStatus.WITHDRAWN,
}


def test_every_action_of_the_table_is_covered():
    assert set(states.STAFF_TRANSITIONS) == set(AUDITED_AS) == set(STATUS_AFTER)


def _bring_to(world, shape: str, status: str) -> StaffRequest:
    request = make_staff_request(world, unit=getattr(world, SHAPES[shape]), number=3)
    if status != StaffStatus.SUBMITTED and status != StaffStatus.WITHDRAWN:
        services.staff_request_propose(
            request=request, by=world.region_coordinator, proposal="Två från vårdcentralen", proposed_number=2
        )
    if status in (StaffStatus.APPROVED, StaffStatus.PARTLY_APPROVED, StaffStatus.DECLINED):
        number = {StaffStatus.APPROVED: 3, StaffStatus.PARTLY_APPROVED: 2, StaffStatus.DECLINED: 0}[status]
        services.staff_request_decide(
            request=request,
            by=world.region_coordinator,
            number=number,
            reason="Brist",
            decided_by_body="Regionledningen",
        )
    if status == StaffStatus.WITHDRAWN:
        services.staff_request_withdraw(request=request, by=world.admin)
    request.refresh_from_db()
    assert request.status == status
    return request


def _call(action: str, request: StaffRequest, by) -> None:
    fresh = StaffRequest.objects.get(pk=request.pk)
    if action == "propose":
        services.staff_request_propose(request=fresh, by=by, proposal="Förslag", proposed_number=1)
    elif action == "decide":
        services.staff_request_decide(
            request=fresh, by=by, number=1, reason="Bara en kan gå", decided_by_body="Regionledningen"
        )
    else:
        services.staff_request_withdraw(request=fresh, by=by)


@pytest.mark.parametrize("status", list(StaffStatus.values))
@pytest.mark.parametrize("action", list(states.STAFF_TRANSITIONS))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_persona_may_act_exactly_as_the_table_says(world, shape, action, status):
    request = _bring_to(world, shape, status)
    transition = states.STAFF_TRANSITIONS[action]
    problems = []
    for persona in PERSONAS:
        sides = ({states.REQUESTER} if persona in REQUESTERS[shape] else set()) | (
            {states.REGION} if persona in REGION else set()
        )
        wanted: object = (
            services.Conflict
            if status not in transition.sources
            else ("ok" if transition.sides & sides else PermissionDenied)
        )
        last_audit = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with transaction.atomic():
            try:
                _call(action, request, getattr(world, persona))
            except (PermissionDenied, services.Conflict) as refusal:
                outcome: object = type(refusal)
                if StaffRequest.objects.get(pk=request.pk).status != status:
                    problems.append(f"{persona}: a refused call changed the status")
            else:
                outcome = "ok"
                after = StaffRequest.objects.get(pk=request.pk).status
                expected_after = STATUS_AFTER[action]
                if after != expected_after:
                    problems.append(f"{persona}: status {after}")
                if not AuditEvent.objects.filter(pk__gt=last_audit, event_type=AUDITED_AS[action]).exists():
                    problems.append(f"{persona}: no audit event")
            transaction.set_rollback(True)
        if outcome != wanted:
            problems.append(f"{persona}: {outcome} instead of {wanted}")
    assert not problems, problems


@pytest.mark.parametrize(
    ("number", "status"), [(3, StaffStatus.APPROVED), (1, StaffStatus.PARTLY_APPROVED), (0, StaffStatus.DECLINED)]
)
def test_decisions_and_the_requester_is_told(world, number, status):
    request = make_staff_request(world, by=world.avesta_coordinator, number=3)
    assert Notification.objects.filter(user=world.region_coordinator, text__contains="asks the region").exists()
    services.staff_request_propose(
        request=request,
        by=world.region_coordinator,
        proposal="Från Avesta vårdcentral",
        proposed_number=3,
        staff_from="Vårdcentralen Avesta",
    )
    decided = services.staff_request_decide(
        request=request,
        by=world.region_coordinator,
        number=number,
        reason="Fler behövs på IVA" if number < 3 else "",
        decided_by_body="Regionledningen",
    )
    assert (decided.status, decided.decided_number) == (status, number)
    told = Notification.objects.get(user=world.avesta_coordinator)
    assert f"{number} of 3" in told.text
    assert [e.action for e in decided.events.all()] == ["submit", "propose", "decide"]


def test_a_part_or_a_decline_needs_a_reason_and_the_number_its_bounds(world):
    request = make_staff_request(world, number=3)
    services.staff_request_propose(request=request, by=world.region_coordinator, proposal="P", proposed_number=2)
    for number, reason, field in [
        (2, "", "reason"),
        (0, " ", "reason"),
        (4, "x", "number"),
        (2, "pnr 19121212-1212", "reason"),
    ]:
        with pytest.raises(ValidationError) as refused:
            services.staff_request_decide(
                request=request, by=world.region_coordinator, number=number, reason=reason, decided_by_body="Ledningen"
            )
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.staff_request_decide(request=request, by=world.region_coordinator, number=3, decided_by_body=" ")
    assert "decided_by_body" in refused.value.message_dict
    assert StaffRequest.objects.get(pk=request.pk).status == StaffStatus.PROPOSED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": 0}, "number"),
        ({"ends_on": D(2030, 3, 1)}, "ends_on"),
        ({"shifts": []}, "shifts"),
        ({"reason": "Till 19121212-1212"}, "reason"),
        ({"profession": "pilot"}, "profession"),
        ({"competences": ["flying"]}, "competences"),
    ],
)
def test_bad_requests_name_the_field_and_store_nothing(world, change, field):
    values = {
        "by": world.avesta_coordinator,
        "unit": world.avesta_unit,
        "profession": "nurse",
        "number": 2,
        "starts_on": TODAY,
        "ends_on": TODAY + datetime.timedelta(days=5),
        "shifts": ["day"],
        "reason": "Brist",
        **change,
    }
    with pytest.raises(ValidationError) as refused:
        services.staff_request_create(**values)
    assert field in refused.value.message_dict
    assert not StaffRequest.objects.exists()


def test_lent_staff_per_week(world):
    first = make_staff_request(world, number=3, starts_on=D(2030, 3, 6), ends_on=D(2030, 3, 12))  # weeks 10, 11
    second = make_staff_request(world, unit=world.lunden, number=2, starts_on=D(2030, 3, 18), ends_on=D(2030, 4, 30))
    waiting = make_staff_request(world, number=5, starts_on=D(2030, 3, 4))
    for request, number in ((first, 2), (second, 2)):
        services.staff_request_propose(
            request=request, by=world.region_coordinator, proposal="P", proposed_number=number
        )
        services.staff_request_decide(
            request=request, by=world.region_coordinator, number=number, reason="Brist", decided_by_body="RL"
        )
    assert waiting.status == StaffStatus.SUBMITTED
    bounds, rows, totals = selectors.lent_staff(world.region_coordinator, "20", today=TODAY, weeks=4)
    assert [b[0] for b in bounds] == [D(2030, 3, 4), D(2030, 3, 11), D(2030, 3, 18), D(2030, 3, 25)]
    assert [(r.unit, r.weeks) for r in rows] == [(world.avesta_unit, [2, 2, 0, 0]), (world.lunden, [0, 0, 2, 2])]
    assert totals == [2, 2, 2, 2]
    _bounds, rows, _totals = selectors.lent_staff(world.falun_coordinator, "20", today=TODAY, weeks=4)
    assert [r.unit for r in rows] == [world.lunden]  # Falun sees its own
    with pytest.raises(PermissionDenied):
        selectors.lent_staff(world.viewer, "20")


def test_pages_exports_and_api(client, world):
    request = make_staff_request(world, by=world.avesta_coordinator, number=2)
    login(client, world.region_coordinator)
    page = client.get(f"/resurser/personal/{request.pk}/")
    assert page.context["proposal_form"] is not None and page.context["decision_form"] is None
    response = client.post(
        f"/resurser/personal/{request.pk}/propose/",
        {
            "propose-proposed_number": 2,
            "propose-proposal": "Två sjuksköterskor från primärvården",
            "propose-staff_from": "Vårdcentral Avesta",
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/resurser/personal/{request.pk}/decide/", {"decide-number": 1, "decide-decided_by_body": "Regionledningen"}
    )
    assert response.status_code == 302
    assert StaffRequest.objects.get(pk=request.pk).status == StaffStatus.PROPOSED  # a part needs a reason
    response = client.post(
        f"/resurser/personal/{request.pk}/decide/",
        {"decide-number": 1, "decide-reason": "En behövs på IVA", "decide-decided_by_body": "Regionledningen"},
    )
    assert StaffRequest.objects.get(pk=request.pk).status == StaffStatus.PARTLY_APPROVED
    csv = client.get("/resurser/personal/?county=20&format=csv")
    assert (
        csv.status_code == 200
        and "Approved in part" in csv.content.decode()
        and "Avesta korttidsboende" in csv.content.decode()
    )
    xlsx = client.get("/resurser/personal/utlanad/?county=20&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    login(client, world.avesta_coordinator)
    mine = client.get("/api/v1/resources/staff-requests?box=outgoing").json()
    assert [(r["status"], r["decided_number"], r["decision_reason"]) for r in mine] == [
        ("partly_approved", 1, "En behövs på IVA")
    ]
    body = {
        "unit": world.avesta_unit.pk,
        "profession": "assistant_nurse",
        "competences": ["infection_control"],
        "number": 4,
        "starts_on": "2030-03-04",
        "ends_on": "2030-03-31",
        "shifts": ["night"],
        "reason": "Smittspridning på boendet",
    }
    created = client.post("/api/v1/resources/staff-requests", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "submitted"
    bad = client.post(
        "/api/v1/resources/staff-requests", {**body, "shifts": ["lunch"]}, content_type="application/json"
    )
    assert bad.status_code == 422 and "shifts.0" in bad.json()["detail"]
    denied = client.post(
        f"/api/v1/resources/staff-requests/{created.json()['id']}/propose",
        {"proposed_number": 4, "proposal": "x"},
        content_type="application/json",
    )
    assert denied.status_code == 403
    login(client, world.viewer)
    assert client.get("/api/v1/resources/staff-requests").json() == []
    assert client.get("/resurser/personal/?county=20").status_code == 403
