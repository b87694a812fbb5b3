"""Demo placements, from the minutes of 6 May 2020: Avesta asks the county for six places,
Falun's Lunden offers four and Borlänge's Tjärnan two, Avesta accepts both; an earlier stay
from Ludvika at Smedjebacken gives the settlement something to show; the county stands at step 2."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from samverkan.accounts.models import User
from samverkan.organisations.models import Organisation, Unit
from samverkan.placements import escalation, services
from samverkan.placements.models import DayRate, PlacementNeed, PlaceRequest

NEEDS = [
    ("syrgas", "Syrgas"),
    ("covid", "Covid-positiv"),
    ("demens", "Demens"),
    ("palliativ", "Palliativ vård"),
    ("bariatrisk", "Bariatrisk utrustning"),
]


def load(stdout) -> None:
    if PlaceRequest.objects.filter(county_id="20").exists():
        stdout.write("Placement demo data already present.")
        return
    for code, name in NEEDS:
        PlacementNeed.objects.get_or_create(county_id="20", code=code, defaults={"name": name})
    today = timezone.localdate()
    DayRate.objects.get_or_create(
        county_id="20", valid_from=datetime.date(today.year, 1, 1), defaults={"amount": Decimal("2950.00")}
    )
    DayRate.objects.get_or_create(
        county_id="20", valid_from=datetime.date(today.year - 1, 1, 1), defaults={"amount": Decimal("2800.00")}
    )

    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@demo.samverkan.se")}
    avesta, ludvika = Organisation.objects.get(code="2084"), Organisation.objects.get(code="2085")
    lunden, tjarnan = Unit.objects.get(code="2080-lunden"), Unit.objects.get(code="2081-tjarnan")
    smedjebacken = Unit.objects.get(code="2061-korttid")

    # An earlier stay: Ludvika placed two patients at Smedjebacken last month.
    earlier = services.request_create(
        by=users["ludvika"],
        from_organisation=ludvika,
        places=2,
        wanted_from=today - datetime.timedelta(days=34),
        to_unit=smedjebacken,
        note="Två patienter efter utskrivning, behöver korttidsplats i två–tre veckor.",
    )
    offer = services.offer_create(request=earlier, unit=smedjebacken, places=2, by=users["admin"])
    services.offer_accept(offer=offer, by=users["ludvika"])
    services.request_arrive(request=earlier, by=users["ludvika"], on=today - datetime.timedelta(days=33))
    services.request_end(request=earlier, by=users["ludvika"], on=today - datetime.timedelta(days=12))

    # Avesta lacks places and calls off six in the county.
    needs = list(PlacementNeed.objects.filter(county_id="20", code__in=["syrgas"]))
    request = services.request_create(
        by=users["avesta"],
        from_organisation=avesta,
        places=6,
        wanted_from=today,
        to_county=True,
        urgency="urgent",
        needs=needs,
        note="Sex utskrivningsklara patienter på Avesta lasarett; två behöver syrgas.",
    )
    lunden_offer = services.offer_create(
        request=request, unit=lunden, places=4, by=users["lunden"], comment="Fyra platser, syrgas finns."
    )
    tjarnan_offer = services.offer_create(
        request=request, unit=tjarnan, places=2, by=users["borlange"], comment="Två platser – bemanningen är ansträngd."
    )
    services.offer_accept(offer=lunden_offer, by=users["avesta"])
    services.offer_accept(offer=tjarnan_offer, by=users["avesta"])

    steps = escalation.steps_for("20")
    escalation.escalation_confirm(
        county_code="20",
        step=steps[1],
        by=users["region.dalarna"],
        comment="Chefsnätverket 6 maj: vi delar befintliga platser i länet innan nya öppnas.",
    )
    stdout.write("Placement demo data: Avesta's request for six places, offers from Lunden and Tjärnan, step 2.")
