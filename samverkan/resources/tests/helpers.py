"""A small equipment pool for the tests: oxygen concentrators owned by Region Dalarna, kept in
Falun, and one type in Örebro county for the outsider."""

from __future__ import annotations

import datetime

from samverkan.organisations.models import Municipality, Organisation, Unit
from samverkan.resources import services
from samverkan.resources.models import EquipmentItem, EquipmentType, LoanRequest, SupplyItem
from samverkan.testing import World

TODAY = datetime.date(2030, 3, 4)  # a Monday


def concentrator_type(county: str = "20") -> EquipmentType:
    return EquipmentType.objects.get_or_create(
        county_id=county, code="syrgaskoncentrator", defaults={"name": "Syrgaskoncentrator"}
    )[0]


def make_items(
    world: World, count: int = 3, *, owner: Organisation | None = None, county: str = "20"
) -> list[EquipmentItem]:
    owner = owner or (world.region if county == "20" else world.orebro_region)
    home = Municipality.objects.get(code="2080" if county == "20" else "1880")
    kind = concentrator_type(county)
    start = EquipmentItem.objects.filter(type=kind).count()
    return [
        services.item_create(
            type=kind,
            serial=f"OC-{county}-{start + i + 1:03d}",
            owner=owner,
            home_municipality=home,
            home_site="Hjälpmedelscentralen",
            by=world.admin,
        )
        for i in range(count)
    ]


def make_request(
    world: World,
    *,
    unit: Unit | None = None,
    quantity: int = 1,
    first: datetime.date = TODAY,
    last: datetime.date | None = None,
    by=None,
) -> LoanRequest:
    unit = unit or world.avesta_unit
    return services.loan_request_create(
        by=by or world.admin,
        unit=unit,
        type=concentrator_type(unit.organisation.county_id),
        quantity=quantity,
        needed_from=first,
        needed_until=last or first + datetime.timedelta(days=13),
        purpose="Syrgas efter utskrivning till korttidsplats",
    )


def catalogue(county: str = "20") -> dict[str, SupplyItem]:
    items = [("ffp2", "FFP2-andningsskydd"), ("handsprit", "Handdesinfektion"), ("handskar", "Handskar")]
    return {
        code: SupplyItem.objects.get_or_create(county_id=county, code=code, defaults={"name": name, "order": i})[0]
        for i, (code, name) in enumerate(items)
    }


def stock_row(place: str, item: str = "ffp2", **values: object) -> dict[str, object]:
    """A row for `place`: an organisation code (digits or R…) or a unit code (t-…)."""
    key = "unit" if place.startswith("t-") else "organisation"
    return {key: place, "item": item, "on_hand": 100, "used_7_days": 70, "can_obtain": "yes", **values}


def make_staff_request(world: World, *, unit: Unit | None = None, by=None, number: int = 2, **values: object):
    from_date = values.pop("starts_on", TODAY)
    return services.staff_request_create(
        by=by or world.admin,
        unit=unit or world.avesta_unit,
        profession="nurse",
        competences=["intensive_care"],
        number=number,
        starts_on=from_date,
        ends_on=values.pop("ends_on", from_date + datetime.timedelta(days=20)),
        shifts=["day", "evening"],
        reason="Sex korttidsplatser öppnar, sjuksköterskor saknas",
        **values,
    )
