"""Free places are computed once (capacity/figures.py) and every reader agrees: the overview, the
report page, the free-places search, the escalation figures and the acceptance of an offer.

The case that used to disagree: a unit reported 16 staffed / 16 occupied yesterday, and a
planned change adds 10 staffed places from today. The search showed 10 free places and the
acceptance refused 2 of them ("0 free places now")."""

from __future__ import annotations

import datetime

import pytest

from samverkan.audit.models import AuditEvent
from samverkan.capacity import figures, selectors, services
from samverkan.capacity.models import PlannedChange, UnitCapacity
from samverkan.capacity.tests.helpers import at, local, report
from samverkan.placements import escalation
from samverkan.placements import selectors as placement_selectors
from samverkan.placements import services as placements
from samverkan.placements.tests.helpers import new_request
from samverkan.testing import login

pytestmark = pytest.mark.django_db(transaction=False)

YESTERDAY = local(2026, 3, 3, 10, 30)  # after the due time: current until today 10:00
TODAY = local(2026, 3, 4, 9, 30)


@pytest.fixture
def full_with_planned_places(world):
    report(world.lunden, world.lunden_staff, when=YESTERDAY, physical=30, staffed=16, occupied=16)
    PlannedChange.objects.create(
        unit=world.lunden, effective_from=TODAY.date(), staffed_change=10, description="Tio nya platser"
    )
    return world


def _search(world) -> dict[str, int]:
    _overview, units = placement_selectors.free_places(world.avesta_coordinator, "20")
    return {f.row.unit_name: f.row.free for f in units}


def test_search_and_acceptance_agree_when_a_planned_change_is_in_force(full_with_planned_places):
    world = full_with_planned_places
    with at(TODAY):
        assert _search(world)[world.lunden.name] == 10
        request = new_request(world, "county")
        offer = placements.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
        reservation = placements.offer_accept(offer=offer, by=world.avesta_coordinator)
        assert reservation.places == 2
        assert _search(world)[world.lunden.name] == 8


def test_all_readers_give_the_same_free_places(full_with_planned_places, client):
    world = full_with_planned_places
    with at(TODAY):
        state = UnitCapacity.objects.get(unit=world.lunden)
        in_force = figures.unit_figures(state)
        overview = selectors.county_overview(world.avesta_coordinator, "20")
        row = next(r for r in overview.rows if r.unit_id == world.lunden.pk)
        county = escalation.county_figures("20", escalation.steps_for("20"))
        login(client, world.avesta_coordinator)
        api_row = next(
            u for u in client.get("/api/v1/placements/free?county=20").json() if u["unit"] == world.lunden.pk
        )
    assert in_force.free == row.free == api_row["free"] == selectors.unit_free_places(world.lunden) == 10
    assert not row.stale
    assert county.free == sum(r.free for r in overview.rows if not r.stale and r.free is not None) >= 10


def test_acceptance_beyond_the_places_in_force_is_refused(full_with_planned_places):
    world = full_with_planned_places
    with at(TODAY):
        request = new_request(world, "county", places=12)
        offer = placements.offer_create(request=request, unit=world.lunden, places=11, by=world.lunden_staff)
        with pytest.raises(placements.Conflict, match="10 free places"):
            placements.offer_accept(offer=offer, by=world.avesta_coordinator)
    assert UnitCapacity.objects.get(unit=world.lunden).reserved == 0


def test_a_planned_change_not_yet_in_force_gives_nothing_to_reserve(world):
    report(world.lunden, world.lunden_staff, when=YESTERDAY, physical=30, staffed=16, occupied=16)
    PlannedChange.objects.create(
        unit=world.lunden, effective_from=TODAY.date() + datetime.timedelta(days=1), staffed_change=10, description="x"
    )
    with at(TODAY), pytest.raises(services.NotEnoughPlaces) as refused:
        services.places_reserve(unit=world.lunden, count=1, by=world.avesta_coordinator, reason="test")
    assert refused.value.free == 0


def test_reserving_and_releasing_are_audited_by_capacity(world):
    report(world.lunden, world.lunden_staff, physical=30, staffed=16, occupied=10)
    services.places_reserve(unit=world.lunden, count=4, by=world.avesta_coordinator, reason="request 1")
    services.places_release(unit=world.lunden, count=3, by=world.avesta_coordinator, reason="request 1: released")
    events = list(
        AuditEvent.objects.filter(event_type__startswith="capacity.places_")
        .order_by("pk")
        .values_list("event_type", "before", "after")
    )
    assert events == [
        ("capacity.places_reserved", {"reserved": 0}, {"reserved": 4, "reason": "request 1"}),
        ("capacity.places_released", {"reserved": 4}, {"reserved": 1, "reason": "request 1: released"}),
    ]
    assert selectors.unit_free_places(world.lunden) == 5


def test_free_places_never_go_below_zero():
    assert figures.free_places(10, 12, 1) == 0
    assert figures.free_places(16, 10, 2) == 4
