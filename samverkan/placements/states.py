"""The request's state table: which action moves which status to which, for which side.

Everything else (services, views, the API and the tests) reads this table; the tests generate
every allowed and forbidden case from it."""

from __future__ import annotations

from dataclasses import dataclass

from samverkan.organisations import policy
from samverkan.organisations.models import Role
from samverkan.placements.models import PlaceRequest, RequestStatus

S = RequestStatus
REQUESTER, RECEIVER, SYSTEM = "requester", "receiver", "system"
COORDINATORS = {Role.MUNICIPAL_COORDINATOR, Role.REGION_COORDINATOR}


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the service decides (declining one offer)
    sides: frozenset[str]


TRANSITIONS: dict[str, Transition] = {
    "send": Transition(frozenset({S.DRAFT}), S.SENT, frozenset({REQUESTER})),
    "withdraw": Transition(frozenset({S.DRAFT, S.SENT, S.OFFERED, S.ACCEPTED}), S.WITHDRAWN, frozenset({REQUESTER})),
    # Offers keep coming after a partial acceptance: offered, or still accepted (the service decides).
    "offer": Transition(frozenset({S.SENT, S.OFFERED, S.ACCEPTED}), None, frozenset({RECEIVER})),
    "decline": Transition(frozenset({S.SENT, S.OFFERED}), S.DECLINED, frozenset({RECEIVER})),
    "accept": Transition(frozenset({S.OFFERED, S.ACCEPTED}), S.ACCEPTED, frozenset({REQUESTER})),
    "decline_offer": Transition(frozenset({S.OFFERED, S.ACCEPTED}), None, frozenset({REQUESTER})),
    "arrive": Transition(frozenset({S.ACCEPTED}), S.IN_PLACE, frozenset({REQUESTER, RECEIVER})),
    "end": Transition(frozenset({S.IN_PLACE}), S.ENDED, frozenset({REQUESTER, RECEIVER})),
    "expire": Transition(frozenset({S.SENT, S.OFFERED}), S.EXPIRED, frozenset({SYSTEM})),
}


def _is_receiving_unit(request: PlaceRequest, unit_id: int | None, organisation_id: int | None, county: str) -> bool:
    """Is this unit (or any unit of this organisation) among those the request is addressed to?"""
    if request.to_unit_id is not None:
        return unit_id == request.to_unit_id or (unit_id is None and organisation_id == request.to_unit.organisation_id)
    if request.to_municipality_id is not None:
        return organisation_id == request.to_municipality_id
    return county == request.county_id and organisation_id != request.from_organisation_id


def sides_of(principal, request: PlaceRequest) -> frozenset[str]:
    """The sides of the request the principal acts for: the requester's, the receiver's, or both."""
    if principal is policy.SYSTEM:
        return frozenset({SYSTEM})
    scope = policy.scope_of(principal)
    if scope.is_admin:
        return frozenset({REQUESTER, RECEIVER})
    sides = set()
    for grant in scope.grants:
        if grant.role in COORDINATORS and grant.organisation_id == request.from_organisation_id:
            sides.add(REQUESTER)
        if grant.role == Role.UNIT_STAFF and request.from_unit_id and grant.unit_id == request.from_unit_id:
            sides.add(REQUESTER)
        if grant.role == Role.MUNICIPAL_COORDINATOR and _is_receiving_unit(
            request, None, grant.organisation_id, grant.county_code
        ):
            sides.add(RECEIVER)
        if grant.role == Role.UNIT_STAFF and _is_receiving_unit(
            request, grant.unit_id, grant.organisation_id, grant.county_code
        ):
            sides.add(RECEIVER)
    return frozenset(sides)


def allowed(principal, request: PlaceRequest, action: str) -> bool:
    transition = TRANSITIONS[action]
    if request.status not in transition.sources:
        return False
    if action == "decline" and request.to_county:
        return False  # a county-wide request is not declined by one municipality; others may still offer
    return bool(transition.sides & sides_of(principal, request))


def available_actions(principal, request: PlaceRequest) -> list[str]:
    return [action for action in TRANSITIONS if action != "expire" and allowed(principal, request, action)]
