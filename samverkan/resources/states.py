"""The loan request's state table: which action moves which status to which, for which side.

Services, views, the API and the tests read this table; the tests generate every allowed and
forbidden case from it. The sides are the borrower's (the asking organisation, or the staff of
the unit the equipment is for) and the lender's (the owner asked), each decided by a policy rule
(`resources.act_as_borrower`, `resources.act_as_lender` in samverkan/organisations/policy.py)."""

from __future__ import annotations

from dataclasses import dataclass

from samverkan.organisations import policy
from samverkan.resources.models import LoanRequest, LoanStatus, StaffRequest, StaffStatus

S = LoanStatus
BORROWER, LENDER = "borrower", "lender"
SIDE_RULES = {BORROWER: "resources.act_as_borrower", LENDER: "resources.act_as_lender"}


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the service decides (a return keeps the loan lent until the last item is back)
    sides: frozenset[str]


TRANSITIONS: dict[str, Transition] = {
    # The owner approves (choosing which items, all or some of those asked for) and so lends them.
    "approve": Transition(frozenset({S.REQUESTED}), S.LENT, frozenset({LENDER})),
    "decline": Transition(frozenset({S.REQUESTED}), S.DECLINED, frozenset({LENDER})),
    "withdraw": Transition(frozenset({S.REQUESTED}), S.WITHDRAWN, frozenset({BORROWER})),
    # Either side notes an item's return and its condition.
    "return": Transition(frozenset({S.LENT}), None, frozenset({BORROWER, LENDER})),
}


def sides_of(principal: policy.Asker, request: LoanRequest) -> frozenset[str]:
    """The sides of the request the principal acts for (an administrator: both)."""
    return frozenset(side for side, action in SIDE_RULES.items() if policy.can(principal, action, request))


def allowed(principal: policy.Asker, request: LoanRequest, action: str, *, sides: frozenset[str] | None = None) -> bool:
    transition = TRANSITIONS[action]
    if request.status not in transition.sources:
        return False
    return bool(transition.sides & (sides if sides is not None else sides_of(principal, request)))


def available_actions(principal: policy.Asker, request: LoanRequest) -> list[str]:
    sides = sides_of(principal, request)
    return [action for action in TRANSITIONS if allowed(principal, request, action, sides=sides)]


# Staff requests: the requester's side and the region's (its coordinators, one of whom is the
# staffing coordinator; regional management's decision is recorded by them).

STAFF = StaffStatus
REQUESTER, REGION = "requester", "region"
STAFF_SIDE_RULES = {REQUESTER: "resources.act_as_staff_requester", REGION: "resources.act_as_staffing"}

STAFF_TRANSITIONS: dict[str, Transition] = {
    # The staffing coordinator prepares a proposal, and may revise it until the decision.
    "propose": Transition(frozenset({STAFF.SUBMITTED, STAFF.PROPOSED}), STAFF.PROPOSED, frozenset({REGION})),
    # Management decides on the proposal: approved, approved in part or declined (the service says which).
    "decide": Transition(frozenset({STAFF.PROPOSED}), None, frozenset({REGION})),
    "withdraw": Transition(frozenset({STAFF.SUBMITTED, STAFF.PROPOSED}), STAFF.WITHDRAWN, frozenset({REQUESTER})),
}


def staff_sides_of(principal: policy.Asker, request: StaffRequest) -> frozenset[str]:
    return frozenset(side for side, action in STAFF_SIDE_RULES.items() if policy.can(principal, action, request))


def staff_allowed(
    principal: policy.Asker, request: StaffRequest, action: str, *, sides: frozenset[str] | None = None
) -> bool:
    transition = STAFF_TRANSITIONS[action]
    if request.status not in transition.sources:
        return False
    return bool(transition.sides & (sides if sides is not None else staff_sides_of(principal, request)))


def staff_available_actions(principal: policy.Asker, request: StaffRequest) -> list[str]:
    sides = staff_sides_of(principal, request)
    return [action for action in STAFF_TRANSITIONS if staff_allowed(principal, request, action, sides=sides)]
