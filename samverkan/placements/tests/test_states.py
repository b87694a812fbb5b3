"""The state table, case by case. The cases are generated from states.TRANSITIONS: every action
a person takes × every status a request can be in × every persona × every shape of request.
A call succeeds exactly when the status is one of the action's sources and the persona is on a
side the action allows; otherwise the service raises Conflict (wrong status) or PermissionDenied
(wrong side). Every successful transition leaves its history row and its audit event."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import override_settings

from samverkan.audit.models import AuditEvent
from samverkan.organisations.models import Unit, UnitKind
from samverkan.placements import services, states
from samverkan.placements.models import OfferStatus, PlaceOffer, PlaceRequest, RequestStatus
from samverkan.placements.tests.helpers import CALLS, COUNTY_WIDE, SHAPES, bring_to, expected_sides, report
from samverkan.testing import PERSONAS, build_world

pytestmark = pytest.mark.django_db  # each test in a savepoint of the module's transaction (see `matrix`)

STATUSES = list(RequestStatus.values)
PERSON_ACTIONS = [action for action, t in states.TRANSITIONS.items() if states.SYSTEM not in t.sides]
SUCCESS = "ok"

AUDITED_AS = {
    "send": {"placements.request_sent"},
    "withdraw": {"placements.request_withdraw"},
    "offer": {"placements.offer_created"},
    "decline": {"placements.request_decline"},
    "accept": {"placements.request_accept", "placements.reservation_created"},
    "decline_offer": {"placements.offer_declined"},
    "arrive": {"placements.request_arrive"},
    "end": {"placements.request_end"},
}


def test_every_action_of_the_table_is_covered():
    assert set(PERSON_ACTIONS) == set(CALLS) == set(AUDITED_AS)
    assert set(states.TRANSITIONS) == {*CALLS, "expire"}
    assert states.TRANSITIONS["expire"].sides == {states.SYSTEM}


def expected_outcome(shape: str, status: str, action: str, persona: str) -> str | type[Exception]:
    transition = states.TRANSITIONS[action]
    if status not in transition.sources:
        return services.Conflict
    if action == "decline" and shape in COUNTY_WIDE:
        return PermissionDenied  # a county-wide request is not declined; others may still offer
    if transition.sides & expected_sides(shape, persona, status):
        return SUCCESS
    return PermissionDenied


def expected_status_after(action: str, status: str) -> str:
    target = states.TRANSITIONS[action].target
    if action == "offer":
        # An offer makes a sent request offered; an accepted request (places still wanted) stays accepted.
        return RequestStatus.ACCEPTED if status == RequestStatus.ACCEPTED else RequestStatus.OFFERED
    # Declining one offer keeps the request offered while other offers are open (the helper's
    # requests always have a second open offer) and keeps an accepted request accepted.
    return status if target is None else target


OFFERS_AT = {"avesta_coordinator": "t-avesta", "ludvika_coordinator": "t-marnas"}  # everyone else at Lunden


@dataclass
class Case:
    """One request in one status, and what the database held before any attempt on it."""

    shape: str
    status: str
    request: PlaceRequest
    offer: PlaceOffer
    last_audit: int
    history: int


def case_for(world, shape: str, status: str, request_pk: int) -> Case:
    request = PlaceRequest.objects.get(pk=request_pk)
    assert request.status == status
    # Requests without an open offer get a stray one, so accepting has an offer to name.
    offer = request.offers.filter(status=OfferStatus.OPEN).first() or PlaceOffer.objects.create(
        request=request, unit=world.lunden, places=1
    )
    return Case(
        shape,
        status,
        request,
        offer,
        last_audit=AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        history=request.events.count(),
    )


def attempt(world, case: Case, action: str, persona: str) -> tuple[object, list[str]]:
    """Try the action as the persona in a savepoint that is rolled back afterwards. Returns the
    outcome (SUCCESS or the exception class) and, after a success, what is wrong with its effects."""
    problems: list[str] = []
    unit = Unit.objects.get(code=OFFERS_AT.get(persona, world.lunden.code))
    with transaction.atomic():
        try:
            CALLS[action](PlaceRequest(pk=case.request.pk), case.offer, unit, getattr(world, persona))
        except (PermissionDenied, services.Conflict) as error:
            outcome = type(error)
        except Exception as error:  # noqa: BLE001 - any other error is a failure to report
            outcome = repr(error)
        else:
            outcome = SUCCESS
            status_after = PlaceRequest.objects.get(pk=case.request.pk).status
            if status_after != expected_status_after(action, case.status):
                problems.append(f"status {status_after}")
            new_audit = set(AuditEvent.objects.filter(pk__gt=case.last_audit).values_list("event_type", flat=True))
            if not AUDITED_AS[action] <= new_audit:
                problems.append(f"audit events {sorted(new_audit)}")
            if case.request.events.count() != case.history + 1:
                problems.append("no history row")
        transaction.set_rollback(True)
    return outcome, problems


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """The personas and one request per shape and status, built once for this module inside a
    transaction rolled back at its end; each test runs (and rolls back) in a savepoint within it."""
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast_hashing, transaction.atomic():
        world = build_world()
        Unit.objects.create(  # where Ludvika offers; only this module's world has it
            code="t-marnas",
            name="Marnäs korttidsenhet",
            kind=UnitKind.SHORT_TERM,
            organisation=world.ludvika,
            municipality_id="2085",
        )
        report(world.lunden, world.lunden_staff, physical=60, staffed=50, occupied=10)  # 40 free
        report(world.avesta_unit, world.avesta_coordinator, physical=20, staffed=16, occupied=8)
        requests = {
            (shape, status): bring_to(world, shape, status, with_report=False).pk
            for shape in SHAPES
            for status in STATUSES
        }
        yield world, requests
        transaction.set_rollback(True)


@pytest.mark.parametrize("action", PERSON_ACTIONS)
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("shape", SHAPES)
def test_action_from_status_by_each_persona(matrix, shape, status, action):
    world, requests = matrix
    case = case_for(world, shape, status, requests[shape, status])
    wrong = []
    for persona in PERSONAS:
        outcome, problems = attempt(world, case, action, persona)
        wanted = expected_outcome(shape, status, action, persona)
        if outcome != wanted or problems:
            wrong.append((persona, outcome, wanted, problems))
    assert not wrong
    assert PlaceRequest.objects.get(pk=requests[shape, status]).status == status  # all rolled back


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("shape", SHAPES)
def test_available_actions_are_exactly_the_ones_that_succeed(matrix, shape, status):
    world, requests = matrix
    request = PlaceRequest.objects.get(pk=requests[shape, status])
    for persona in PERSONAS:
        wanted = [a for a in PERSON_ACTIONS if expected_outcome(shape, status, a, persona) == SUCCESS]
        assert states.available_actions(getattr(world, persona), request) == wanted, persona


@pytest.mark.parametrize("status", [RequestStatus.DRAFT, RequestStatus.ACCEPTED, RequestStatus.ENDED])
@pytest.mark.parametrize("shape", SHAPES)
def test_sides_of_each_persona(matrix, shape, status):
    world, requests = matrix
    request = PlaceRequest.objects.get(pk=requests[shape, status])
    assert {p: states.sides_of(getattr(world, p), request) for p in PERSONAS} == {
        p: expected_sides(shape, p, status) for p in PERSONAS
    }


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("shape", SHAPES)
def test_the_system_expires_only_from_the_expire_sources(matrix, shape, status):
    _world, requests = matrix
    request = PlaceRequest.objects.get(pk=requests[shape, status])
    past = request.created_at - datetime.timedelta(minutes=1)  # before any other request's answer time
    PlaceRequest.objects.filter(pk=request.pk).update(expires_at=past)
    expired = services.requests_expire(now=past)
    request.refresh_from_db()
    if status in states.TRANSITIONS["expire"].sources:
        assert (expired, request.status) == (1, RequestStatus.EXPIRED)
        assert AuditEvent.objects.filter(
            event_type="placements.request_expire", object_id=str(request.pk), actor_label="system"
        ).exists()
    else:
        assert (expired, request.status) == (0, status)


def test_a_county_wide_request_cannot_be_declined_but_others_still_offer(world):
    request = bring_to(world, "county", RequestStatus.SENT)
    assert "decline" not in states.available_actions(world.falun_coordinator, request)
    with pytest.raises(PermissionDenied):
        services.request_decline(request=request, by=world.falun_coordinator, reason="Fullt hos oss")
    services.offer_create(request=request, unit=world.lunden, places=1, by=world.lunden_staff)
    request.refresh_from_db()
    assert request.status == RequestStatus.OFFERED


def test_a_request_to_one_municipality_can_be_declined_with_a_reason(world):
    request = bring_to(world, "municipality", RequestStatus.OFFERED)
    with pytest.raises(Exception) as error:
        services.request_decline(request=request, by=world.falun_coordinator, reason="  ")
    assert error.type.__name__ == "ValidationError"
    services.request_decline(request=request, by=world.falun_coordinator, reason="Fullt")
    request.refresh_from_db()
    assert (request.status, request.decline_reason) == (RequestStatus.DECLINED, "Fullt")
    assert set(request.offers.values_list("status", flat=True)) == {OfferStatus.LAPSED}


def test_declining_the_only_open_offer_puts_the_request_back_to_sent(world):
    request = bring_to(world, "county", RequestStatus.SENT)
    offer = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    services.offer_decline(offer=offer, by=world.avesta_coordinator, reason="För långt bort")
    request.refresh_from_db()
    offer.refresh_from_db()
    assert (request.status, offer.status, offer.decline_reason) == (
        RequestStatus.SENT,
        OfferStatus.DECLINED,
        "För långt bort",
    )
    with pytest.raises(services.Conflict):
        services.offer_decline(offer=offer, by=world.avesta_coordinator)
