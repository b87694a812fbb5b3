"""Helpers shared by the placements tests: request shapes, who is on which side of them, and a
way to bring a request to any status through the services."""

from __future__ import annotations

import datetime

from django.utils import timezone

from samverkan.capacity.tests.helpers import at, local, report  # noqa: F401 - re-exported
from samverkan.organisations.models import Membership
from samverkan.placements import services
from samverkan.placements.models import PlaceRequest, RequestStatus
from samverkan.placements.states import PROVIDER, RECEIVER, REQUESTER

S = RequestStatus
WANTED_FROM = datetime.date(2030, 1, 7)

# The shapes a request can take: who asks, and to whom it is addressed.
SHAPES = ("unit", "municipality", "county", "ward")
COUNTY_WIDE = {"county", "ward"}

BOTH = frozenset({REQUESTER, RECEIVER})
# Who is on which side of each shape, written out by hand from the rules (not from states.py):
# the requester side is the coordinators of the asking organisation (and the administrator); the
# receiver side is the coordinators and unit staff of the addressed unit or municipality, or of
# any other municipality of the county when the request goes to the whole county.
_AVESTA_ASKS = {
    "admin": BOTH,
    "avesta_coordinator": frozenset({REQUESTER}),
    "falun_coordinator": frozenset({RECEIVER}),
    "lunden_staff": frozenset({RECEIVER}),
}
_AVESTA_ASKS_THE_COUNTY = {**_AVESTA_ASKS, "ludvika_coordinator": frozenset({RECEIVER})}
EXPECTED_SIDES: dict[str, dict[str, frozenset[str]]] = {
    "unit": _AVESTA_ASKS,
    "municipality": _AVESTA_ASKS,
    "county": _AVESTA_ASKS_THE_COUNTY,
    "ward": {  # the region's hospital ward asks the whole county
        "admin": BOTH,
        "region_coordinator": frozenset({REQUESTER}),
        "falun_coordinator": frozenset({RECEIVER}),
        "avesta_coordinator": frozenset({RECEIVER}),
        "ludvika_coordinator": frozenset({RECEIVER}),
        "lunden_staff": frozenset({RECEIVER}),
    },
}
# Once an offer at Lunden is accepted (bring_to: accepted, in place, ended), Lunden's staff and
# Falun's coordinators are also the side giving the places; the other receivers are bystanders.
PROVIDERS = {"admin", "falun_coordinator", "lunden_staff"}
WITH_ACCEPTED_OFFER = {S.ACCEPTED, S.IN_PLACE, S.ENDED}


def expected_sides(shape: str, persona: str, status: str = S.DRAFT) -> frozenset[str]:
    sides = EXPECTED_SIDES[shape].get(persona, frozenset())
    if status in WITH_ACCEPTED_OFFER and persona in PROVIDERS:
        return sides | {PROVIDER}
    return sides


def requester(world, shape: str):
    return world.region_coordinator if shape == "ward" else world.avesta_coordinator


def new_request(world, shape: str = "county", *, send: bool = True, places: int = 2, **extra) -> PlaceRequest:
    """A request of the given shape made through the service by its requester."""
    kwargs = {
        "by": requester(world, shape),
        "from_organisation": world.avesta,
        "places": places,
        "wanted_from": WANTED_FROM,
        "send": send,
    }
    if shape == "unit":
        kwargs["to_unit"] = world.lunden
    elif shape == "municipality":
        kwargs["to_municipality"] = world.falun
    elif shape == "county":
        kwargs["to_county"] = True
    elif shape == "ward":
        kwargs.update(from_organisation=world.region, from_unit=world.falun_ward, to_county=True)
    else:
        raise ValueError(shape)
    kwargs.update(extra)
    return services.request_create(**kwargs)


def bring_to(world, shape: str, status: str, *, with_report: bool = True) -> PlaceRequest:
    """A request of `shape` for 2 places in `status`, reached through the services wherever the
    state table allows. From `offered` on, Lunden (which has 4 free places) has made two offers
    of 1 place each; `accepted` has the first accepted and the second still open."""
    if with_report:
        report(world.lunden, world.lunden_staff)  # 20 physical, 16 staffed, 12 occupied: 4 free
    by = requester(world, shape)
    if status == S.DRAFT:
        return new_request(world, shape, send=False)
    request = new_request(world, shape)
    if status == S.WITHDRAWN:
        services.request_withdraw(request=request, by=by)
    elif status == S.DECLINED:
        if shape in COUNTY_WIDE:  # a county-wide request cannot be declined: set it directly
            PlaceRequest.objects.filter(pk=request.pk).update(status=S.DECLINED)
        else:
            services.request_decline(request=request, by=world.falun_coordinator, reason="Fullt")
    elif status == S.EXPIRED:  # its answer time passed an hour ago (other requests are left alone)
        past = timezone.now() - datetime.timedelta(hours=1)
        PlaceRequest.objects.filter(pk=request.pk).update(expires_at=past)
        services.requests_expire(now=past)
    elif status != S.SENT:
        first = services.offer_create(request=request, unit=world.lunden, places=1, by=world.lunden_staff)
        services.offer_create(request=request, unit=world.lunden, places=1, by=world.lunden_staff)
        if status != S.OFFERED:
            services.offer_accept(offer=first, by=by)
            if status != S.ACCEPTED:
                services.request_arrive(request=request, by=by)
                if status != S.IN_PLACE:
                    services.request_end(request=request, by=by)
    request.refresh_from_db()
    assert request.status == status, (shape, status, request.status)
    return request


# How each action a person takes is called: the request, an open offer of it, the unit to offer
# at and the actor.
CALLS = {
    "send": lambda request, offer, unit, by: services.request_send(request=request, by=by),
    "withdraw": lambda request, offer, unit, by: services.request_withdraw(request=request, by=by, reason="Löst"),
    "offer": lambda request, offer, unit, by: services.offer_create(request=request, unit=unit, places=1, by=by),
    "decline": lambda request, offer, unit, by: services.request_decline(request=request, by=by, reason="Fullt"),
    "accept": lambda request, offer, unit, by: services.offer_accept(offer=offer, by=by),
    "decline_offer": lambda request, offer, unit, by: services.offer_decline(offer=offer, by=by, reason="Långt"),
    "arrive": lambda request, offer, unit, by: services.request_arrive(request=request, by=by),
    "end": lambda request, offer, unit, by: services.request_end(request=request, by=by),
}


def add_member(email: str, organisation, role: str, unit=None):
    from samverkan.accounts.models import User

    user = User.objects.create_user(email, "Testlösen-2026!", full_name=email.split("@")[0])
    Membership.objects.create(user=user, organisation=organisation, role=role, unit=unit)
    return user
