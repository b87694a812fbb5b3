"""Demo patient flow: two years of synthetic episodes for Dalarna, through the real import path."""

from __future__ import annotations

import datetime

from django.utils import timezone

from samverkan.flow import generator, services
from samverkan.flow.models import Episode, UnitMapping
from samverkan.organisations import policy
from samverkan.organisations.models import Municipality, Unit, UnitKind

DAYS = 731


def load(stdout) -> None:
    source = services.source_for(county="20", name="Cosmic (demo)", by=policy.SYSTEM)
    if Episode.objects.filter(source=source).exists():
        stdout.write("Patient-flow demo data already present.")
        return
    wards = _hospital_wards(source)
    municipalities = list(Municipality.objects.filter(county_id="20").values_list("code", "population"))
    today = timezone.localdate()
    rows = generator.episodes(
        municipalities,
        start=today - datetime.timedelta(days=DAYS - 1),
        days=DAYS,
        seed=20,
        now=timezone.localtime().replace(tzinfo=None),
        wards=wards,
    )
    result = services.episodes_import(
        source=source,
        rows=((number, row) for number, row in enumerate(rows, start=2)),
        by=policy.SYSTEM,
        filename="demo-dalarna-2-ar.csv",
    )
    if not result.ok:
        raise RuntimeError("; ".join(str(e) for e in result.errors[:5]))
    stdout.write(f"Patient-flow demo data: {result.run.created} episodes for Dalarna over two years.")


def _hospital_wards(source) -> dict[str, list[str]]:
    """Region Dalarna's wards, mapped for the demo source under their own codes, by care type."""
    wards: dict[str, list[str]] = {"somatic": [], "psychiatric": []}
    for unit in Unit.objects.filter(organisation__code="R20", kind__in=[UnitKind.HOSPITAL_WARD, UnitKind.ICU]):
        UnitMapping.objects.get_or_create(source=source, code=unit.code, defaults={"unit": unit})
        wards["psychiatric" if "psykiatri" in unit.name.lower() else "somatic"].append(unit.code)
    return wards
