"""The loan request's state table, case by case, generated from states.TRANSITIONS: every action ×
every status × every persona × two shapes of request (Avesta's coordinator asking for Avesta's
unit; Lunden's staff asking for Lunden, a unit of Falun). The sides are written out here, not
read from the policy: the borrower's (the asking organisation's coordinators, the unit's staff)
and the lender's (the coordinators of the owner, Region Dalarna). A call succeeds exactly when
the status is one of the action's sources and the persona is on an allowed side; otherwise the
service raises Conflict (wrong status) or PermissionDenied (wrong side), and the database is
unchanged. Every success leaves its audit event."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from samverkan.audit.models import AuditEvent
from samverkan.resources import services, states
from samverkan.resources.models import EquipmentItem, ItemStatus, Loan, LoanRequest, LoanStatus, ReturnCondition
from samverkan.resources.tests.helpers import make_items, make_request
from samverkan.testing import PERSONAS

pytestmark = pytest.mark.django_db

SHAPES = {"avesta": "avesta_unit", "lunden": "lunden"}
BORROWERS = {"avesta": {"admin", "avesta_coordinator"}, "lunden": {"admin", "falun_coordinator", "lunden_staff"}}
LENDERS = {"admin", "region_coordinator"}
AUDITED_AS = {
    "approve": "resources.loan_approved",
    "decline": "resources.loan_decline",
    "withdraw": "resources.loan_withdraw",
    "return": "resources.loan_returned",
}
STATUS_AFTER = {
    "approve": LoanStatus.LENT,
    "decline": LoanStatus.DECLINED,
    "withdraw": LoanStatus.WITHDRAWN,
    "return": LoanStatus.RETURNED,  # the request's only item comes back
}


def test_every_action_of_the_table_is_covered():
    assert set(states.TRANSITIONS) == set(AUDITED_AS) == set(STATUS_AFTER)
    assert set(states.SIDE_RULES) == {states.BORROWER, states.LENDER}


def _sides(shape: str, persona: str) -> set[str]:
    sides = set()
    if persona in BORROWERS[shape]:
        sides.add(states.BORROWER)
    if persona in LENDERS:
        sides.add(states.LENDER)
    return sides


def expected(shape: str, status: str, action: str, persona: str) -> object:
    transition = states.TRANSITIONS[action]
    if status not in transition.sources:
        return services.Conflict
    return "ok" if transition.sides & _sides(shape, persona) else PermissionDenied


def _bring_to(world, shape: str, status: str) -> LoanRequest:
    unit = getattr(world, SHAPES[shape])
    make_items(world, 2)
    request = make_request(world, unit=unit)
    spare = EquipmentItem.objects.filter(status=ItemStatus.AVAILABLE).first()
    if status in (LoanStatus.LENT, LoanStatus.RETURNED):
        services.loan_request_approve(request=request, items=[spare], by=world.region_coordinator)
    if status == LoanStatus.RETURNED:
        services.loan_return(loan=request.loans.get(), by=world.region_coordinator, condition=ReturnCondition.OK)
    if status == LoanStatus.DECLINED:
        services.loan_request_decline(request=request, by=world.region_coordinator, reason="Alla är utlånade")
    if status == LoanStatus.WITHDRAWN:
        services.loan_request_withdraw(request=request, by=world.admin)
    request.refresh_from_db()
    assert request.status == status
    return request


def _call(action: str, request: LoanRequest, by) -> None:
    fresh = LoanRequest.objects.get(pk=request.pk)
    if action == "approve":
        item = EquipmentItem.objects.filter(status=ItemStatus.AVAILABLE).first()
        services.loan_request_approve(request=fresh, items=[item], by=by)
    elif action == "decline":
        services.loan_request_decline(request=fresh, by=by, reason="Behövs själva")
    elif action == "withdraw":
        services.loan_request_withdraw(request=fresh, by=by)
    else:
        loan = fresh.loans.filter(returned_at__isnull=True).first() or Loan(request=fresh)
        services.loan_return(loan=loan, by=by, condition=ReturnCondition.OK)


def _state(request: LoanRequest) -> tuple:
    return (
        LoanRequest.objects.get(pk=request.pk).status,
        list(Loan.objects.order_by("pk").values_list("pk", "returned_at")),
        list(EquipmentItem.objects.order_by("pk").values_list("status", "loan_unit")),
    )


@pytest.mark.parametrize("status", list(LoanStatus.values))
@pytest.mark.parametrize("action", list(states.TRANSITIONS))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_persona_may_act_exactly_as_the_table_says(world, shape, action, status):
    request = _bring_to(world, shape, status)
    before = _state(request)
    problems = []
    for persona in PERSONAS:
        wanted = expected(shape, status, action, persona)
        last_audit = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with transaction.atomic():
            try:
                _call(action, request, getattr(world, persona))
            except (PermissionDenied, services.Conflict) as refusal:
                outcome: object = type(refusal)
                if _state(request) != before:
                    problems.append(f"{persona}: a refused call changed the database")
            else:
                outcome = "ok"
                after = LoanRequest.objects.get(pk=request.pk).status
                if after != STATUS_AFTER[action]:
                    problems.append(f"{persona}: status {after}")
                events = set(AuditEvent.objects.filter(pk__gt=last_audit).values_list("event_type", flat=True))
                if AUDITED_AS[action] not in events:
                    problems.append(f"{persona}: audit {sorted(events)}")
            transaction.set_rollback(True)
        if outcome != wanted:
            problems.append(f"{persona}: {outcome} instead of {wanted}")
    assert not problems, problems


def test_the_pages_offer_exactly_the_allowed_actions(world):
    request = _bring_to(world, "lunden", LoanStatus.REQUESTED)
    offered = {persona: set(states.available_actions(getattr(world, persona), request)) for persona in PERSONAS}
    assert offered["lunden_staff"] == offered["falun_coordinator"] == {"withdraw"}
    assert offered["region_coordinator"] == {"approve", "decline"}
    assert offered["admin"] == {"approve", "decline", "withdraw"}
    assert offered["avesta_coordinator"] == offered["viewer"] == offered["outsider"] == set()
