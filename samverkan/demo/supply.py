"""Demo supply stock, from the Örebro minutes: the county's catalogue of protective equipment,
every municipality of Örebro county reporting every third day for the last 30 days (Hällefors
running low on FFP2 respirators), two supply coordinators each keeping contact with a part of
the county; Dalarna's municipalities with one report each."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from samverkan.accounts.models import User
from samverkan.organisations.models import Organisation
from samverkan.organisations.policy import SYSTEM
from samverkan.organisations.roles import OrganisationKind
from samverkan.resources import services
from samverkan.resources.models import SupplyItem

# (code, name, counted in, use per 1 000 inhabitants and week)
CATALOGUE = [
    ("ffp2", "Andningsskydd FFP2", "st", 40),
    ("ffp3", "Andningsskydd FFP3", "st", 12),
    ("munskydd", "Munskydd typ IIR", "st", 120),
    ("visir", "Visir", "st", 15),
    ("skyddsrock", "Skyddsrockar", "st", 60),
    ("forkladen", "Plastförkläden", "st", 150),
    ("handskar", "Handskar", "par", 400),
    ("handsprit", "Handdesinfektion", "liter", 6),
    ("testkit", "Provtagningskit", "st", 10),
]
LOW = ("1863", "ffp2")  # Hällefors runs low on FFP2 respirators
NORTH = [
    "1885",
    "1884",
    "1863",
    "1864",
    "1883",
    "1862",
]  # Lindesberg, Nora, Hällefors, Ljusnarsberg, Karlskoga, Degerfors


def _catalogue(county: str) -> None:
    for order, (code, name, unit_label, _use) in enumerate(CATALOGUE):
        services.supply_item_create(
            county_code=county, code=code, name=name, unit_label=unit_label, order=order, by=SYSTEM
        )


def _row(organisation: Organisation, code: str, week_use: int, days_left: float, rng: random.Random) -> dict:
    used = max(1, round(week_use * rng.uniform(0.8, 1.2)))
    on_hand = max(0, round(used / 7 * days_left))
    row: dict[str, object] = {
        "organisation": organisation.code,
        "item": code,
        "on_hand": on_hand,
        "used_7_days": used,
        "can_obtain": rng.choice(["yes", "yes", "yes", "uncertain"]),
    }
    if days_left < 20:
        row.update(on_order=used * 2, expected_on=(timezone.localdate() + datetime.timedelta(days=10)).isoformat())
    return row


def _population(organisation: Organisation) -> int:
    return organisation.municipality.population if organisation.municipality else 0


def load(stdout) -> None:
    if SupplyItem.objects.filter(county_id__in=["18", "20"]).exists():
        stdout.write("Supply demo data already present.")
        return
    rng = random.Random(18)  # noqa: S311 - demo figures
    for county in ("18", "20"):
        _catalogue(county)
    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@demo.samverkan.se")}
    orebro = list(
        Organisation.objects.filter(county_id="18", kind=OrganisationKind.MUNICIPALITY).select_related("municipality")
    )
    municipalities = [m for o in orebro if (m := o.municipality) is not None]
    north = [m for m in municipalities if m.code in NORTH]
    services.supply_contact_create(
        county_code="18", user=users["region.orebro"], area="Norra och västra länet", municipalities=north, by=SYSTEM
    )
    services.supply_contact_create(
        county_code="18",
        user=users["orebro"],
        area="Örebro och södra länet",
        municipalities=[m for m in municipalities if m.code not in NORTH],
        by=SYSTEM,
    )
    now = timezone.now()
    days = list(range(30, -1, -3))  # every third day, the last today
    count = 0
    for step, ago in enumerate(days):
        rows = []
        for organisation in orebro:
            population = _population(organisation)
            for code, _name, _unit, per_thousand in CATALOGUE:
                left = 10 + rng.uniform(5, 40)
                if (organisation.municipality_id, code) == LOW:
                    left = max(2.0, 24 - step * 2.2)  # from 24 days down to 2
                rows.append(_row(organisation, code, round(per_thousand * population / 1000), left, rng))
        batch = services.stock_reports_submit(
            county_code="18",
            rows=[(str(i + 2), row) for i, row in enumerate(rows)],
            by=SYSTEM,
            source="demo",
            at=now - datetime.timedelta(days=ago, hours=2),
        )
        count += batch.count
    dalarna = Organisation.objects.filter(county_id="20", kind=OrganisationKind.MUNICIPALITY).select_related(
        "municipality"
    )
    rows = [
        _row(
            organisation,
            code,
            round(per_thousand * _population(organisation) / 1000),
            15 + rng.uniform(0, 30),
            rng,
        )
        for organisation in dalarna
        for code, _name, _unit, per_thousand in CATALOGUE
    ]
    services.stock_reports_submit(
        county_code="20", rows=[(str(i + 2), row) for i, row in enumerate(rows)], by=SYSTEM, source="demo"
    )
    stdout.write(
        f"Supply: {count} stock reports in Örebro county over 30 days (Hällefors low on FFP2), {len(rows)} in Dalarna."
    )
