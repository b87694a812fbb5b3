"""The request's state table: which action moves which status to which, for which side.

Everything else (services, views, the API and the tests) reads this table; the tests generate
every allowed and forbidden case from it. The sides: the requester's; the receiver's (those the
request is addressed to, who may offer); once an offer is accepted, the provider's (the side
giving the places); and the system's. Who is on which side is the policy's rules
`placements.act_as_requester`, `…_receiver` and `…_provider` (samverkan/organisations/policy.py)."""

from __future__ import annotations

from dataclasses import dataclass

from samverkan.organisations import policy
from samverkan.organisations.models import Unit
from samverkan.placements.models import OfferStatus, PlaceOffer, PlaceRequest, RequestStatus

S = RequestStatus
REQUESTER, RECEIVER, PROVIDER, SYSTEM = "requester", "receiver", "provider", "system"
# The policy rule that decides each side on a request (the provider's is decided on its accepted offers).
SIDE_RULES = {REQUESTER: "placements.act_as_requester", RECEIVER: "placements.act_as_receiver", PROVIDER: None}


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


def addressed_to(request: PlaceRequest, unit: Unit) -> bool:
    """Is the request addressed to this unit: the unit itself, a unit of the addressed
    municipality, or (county-wide) a unit of another organisation of the county?"""
    if request.to_unit_id is not None:
        return unit.pk == request.to_unit_id
    if request.to_municipality_id is not None:
        return unit.organisation_id == request.to_municipality_id
    return unit.organisation.county_id == request.county_id and unit.organisation_id != request.from_organisation_id


def sides_of(principal: policy.Asker, request: PlaceRequest) -> frozenset[str]:
    """The sides of the request the principal acts for, each decided by its policy rule: the
    requester's, the receiver's, the provider's (once an offer is accepted), or several."""
    if isinstance(principal, policy.SystemPrincipal):
        return frozenset({SYSTEM})
    sides = {side for side, action in SIDE_RULES.items() if action and policy.can(principal, action, request)}
    if request.pk is not None and (
        PlaceOffer.objects.filter(request=request, status=OfferStatus.ACCEPTED)
        .visible_to(principal, "placements.act_as_provider")
        .exists()
    ):
        sides.add(PROVIDER)
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
