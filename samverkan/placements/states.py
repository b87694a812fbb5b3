"""The request's state table: which action moves which status to which, for which side.

Everything else (services, views, the API and the tests) reads this table; the tests generate
every allowed and forbidden case from it. The sides: the requester's; the receiver's (those the
request is addressed to, who may offer); once an offer is accepted, the provider's (the side
giving the places, as the policy's `gives_the_places` says); and the system's."""

from __future__ import annotations

from dataclasses import dataclass

from samverkan.organisations import policy
from samverkan.organisations.models import Role
from samverkan.placements.models import OfferStatus, PlaceRequest, RequestStatus

S = RequestStatus
REQUESTER, RECEIVER, PROVIDER, SYSTEM = "requester", "receiver", "provider", "system"
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
    # Once places are given, the receivers who did not give them are bystanders.
    "arrive": Transition(frozenset({S.ACCEPTED}), S.IN_PLACE, frozenset({REQUESTER, PROVIDER})),
    "end": Transition(frozenset({S.IN_PLACE}), S.ENDED, frozenset({REQUESTER, PROVIDER})),
    "expire": Transition(frozenset({S.SENT, S.OFFERED}), S.EXPIRED, frozenset({SYSTEM})),
}


def _is_receiving_unit(request: PlaceRequest, unit_id: int | None, organisation_id: int | None, county: str) -> bool:
    """Is this unit (or any unit of this organisation) among those the request is addressed to?"""
    if request.to_unit_id is not None:
        return unit_id == request.to_unit_id or (unit_id is None and organisation_id == request.to_unit.organisation_id)
    if request.to_municipality_id is not None:
        return organisation_id == request.to_municipality_id
    return county == request.county_id and organisation_id != request.from_organisation_id


def providing_units(request: PlaceRequest) -> list[tuple[int, int]]:
    """(unit id, organisation id) of each unit whose accepted offer gives places to the request."""
    if request.pk is None:
        return []
    return list(request.offers.filter(status=OfferStatus.ACCEPTED).values_list("unit_id", "unit__organisation_id"))


def sides_of(principal, request: PlaceRequest) -> frozenset[str]:
    """The sides of the request the principal acts for: the requester's, the receiver's, the
    provider's (once an offer is accepted), or several of them."""
    if principal is policy.SYSTEM:
        return frozenset({SYSTEM})
    units = providing_units(request)
    sides = set()
    if units and policy.gives_the_places(
        principal, unit_ids=[unit for unit, _ in units], organisation_ids=[organisation for _, organisation in units]
    ):
        sides.add(PROVIDER)
    scope = policy.scope_of(principal)
    if scope.is_admin:
        return frozenset({*sides, REQUESTER, RECEIVER})
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


def allowed(principal, request: PlaceRequest, action: str, *, sides: frozenset[str] | None = None) -> bool:
    """May the principal take `action` on the request now? `sides`: sides_of(principal, request), if known."""
    transition = TRANSITIONS[action]
    if request.status not in transition.sources:
        return False
    if action == "decline" and request.to_county:
        return False  # a county-wide request is not declined by one municipality; others may still offer
    return bool(transition.sides & (sides if sides is not None else sides_of(principal, request)))


def available_actions(principal, request: PlaceRequest) -> list[str]:
    sides = sides_of(principal, request)
    return [action for action in TRANSITIONS if action != "expire" and allowed(principal, request, action, sides=sides)]
