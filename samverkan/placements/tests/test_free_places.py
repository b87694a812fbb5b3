"""The free places search (the shop window): units open for admission with free places now,
stale reports included but marked and listed last, filtered by need (a need whose code is a
bed category requires free places of that category) and by municipality."""

from __future__ import annotations

import pytest

from samverkan.capacity.models import BedCategory
from samverkan.organisations.models import Organisation, Unit, UnitKind
from samverkan.placements import selectors, services
from samverkan.placements.models import PlacementNeed
from samverkan.placements.tests.helpers import at, local, new_request, report
from samverkan.testing import login

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 4, 12, 0)  # a Wednesday
MORNING = local(2026, 3, 4, 8, 0)
LAST_WEEK = local(2026, 2, 25, 8, 0)


@pytest.fixture
def county(world):
    """Lunden: 4 free, 2 of them with oxygen but both taken. Avesta: full. Mora: 6 free, 2 with
    oxygen free, reported last week (stale). Rättvik: 5 free but closed for admission."""
    mora = Unit.objects.create(
        code="t-mora",
        name="Mora korttidsboende",
        kind=UnitKind.SHORT_TERM,
        organisation=Organisation.objects.get(code="2062"),
        municipality_id="2062",
    )
    rattvik = Unit.objects.create(
        code="t-rattvik",
        name="Rättviks korttidsboende",
        kind=UnitKind.SHORT_TERM,
        organisation=Organisation.objects.get(code="2031"),
        municipality_id="2031",
    )
    BedCategory.objects.create(county_id="20", code="syrgas", name="Syrgas")
    PlacementNeed.objects.create(county_id="20", code="syrgas", name="Syrgas")
    PlacementNeed.objects.create(county_id="20", code="demens", name="Demens")  # no bed category of its own
    report(world.lunden, world.lunden_staff, when=MORNING, staffed=16, occupied=12, categories={"syrgas": (2, 2)})
    report(world.avesta_unit, world.avesta_coordinator, when=MORNING, staffed=10, occupied=10)
    report(mora, world.admin, when=LAST_WEEK, staffed=16, occupied=10, categories={"syrgas": (3, 1)})
    report(
        rattvik, world.admin, when=MORNING, staffed=10, occupied=5, open_for_admission=False, closure_reason="outbreak"
    )
    world.mora, world.rattvik = mora, rattvik
    return world


def _found(principal, **filters) -> list[tuple[str, int, bool]]:
    with at(NOW):
        _overview, units = selectors.free_places(principal, "20", **filters)
    return [(f.row.unit_name, f.row.free, f.row.stale) for f in units]


def test_only_units_with_free_places_open_for_admission_stale_ones_marked_and_last(county):
    assert _found(county.viewer) == [
        ("Lunden korttidsboende", 4, False),
        ("Mora korttidsboende", 6, True),
    ]


def test_reserved_places_are_not_free(county):
    request = new_request(county, "county", places=4)
    offer = services.offer_create(request=request, unit=county.lunden, places=4, by=county.lunden_staff)
    services.offer_accept(offer=offer, by=county.avesta_coordinator)
    assert _found(county.viewer) == [("Mora korttidsboende", 6, True)]


def test_a_need_with_a_bed_category_needs_free_places_of_that_category(county):
    with at(NOW):
        _overview, units = selectors.free_places(county.viewer, "20", needs=["syrgas"])
    assert [(f.row.unit_name, f.category_free) for f in units] == [("Mora korttidsboende", {"syrgas": 2})]


def test_a_need_without_a_bed_category_does_not_narrow(county):
    assert _found(county.viewer, needs=["demens"]) == _found(county.viewer)


def test_the_municipality_filter(county):
    assert _found(county.viewer, municipality="2062") == [("Mora korttidsboende", 6, True)]
    assert _found(county.viewer, municipality="2084") == []


def test_the_api_search(client, county):
    login(client, county.avesta_coordinator)
    with at(NOW):
        everything = client.get("/api/v1/placements/free?county=20").json()
        oxygen = client.get("/api/v1/placements/free?county=20&need=syrgas").json()
        falun = client.get("/api/v1/placements/free?county=20&municipality=2080").json()
    assert [(u["unit"], u["unit_name"], u["municipality"], u["free"], u["stale"]) for u in everything] == [
        (county.lunden.pk, "Lunden korttidsboende", "2080", 4, False),
        (county.mora.pk, "Mora korttidsboende", "2062", 6, True),
    ]
    assert [u["unit"] for u in oxygen] == [county.mora.pk]
    assert [u["unit"] for u in falun] == [county.lunden.pk]


def test_another_county_may_not_search_dalarna(client, county):
    login(client, county.outsider)
    assert client.get("/api/v1/placements/free?county=20").status_code == 403


def test_the_page_lists_and_marks_stale_units(client, county):
    login(client, county.lunden_staff)
    with at(NOW):
        html = client.get("/platser/lediga/?county=20").content.decode()
        filtered = client.get("/platser/lediga/?county=20&need=syrgas").content.decode()
    assert "2 units with free places" in html
    assert "Lunden korttidsboende" in html and "Mora korttidsboende" in html
    assert "Rättviks korttidsboende" not in html and "Avesta korttidsboende" not in html
    assert html.count('class="is-stale"') == 1
    assert "1 unit with free places" in filtered
    assert "syrgas: 2" in filtered
