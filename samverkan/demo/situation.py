"""Demo situation reports for Dalarna: six weeks of infection-control figures rising to the
levels Örebro reported on 17 April 2020 (564 confirmed cases, 19 in intensive care, 66 in covid
wards, 29 dead), influenza as a county-added indicator, and two published reports (a week ago and
now) so that the archive, the change sentences and the home pages have something to show."""

from __future__ import annotations

import datetime

from django.utils import timezone

from samverkan.organisations import policy
from samverkan.organisations.models import County
from samverkan.situation import services
from samverkan.situation.models import Indicator, SituationReport

DAYS = 42


def _figures(day: int) -> dict[str, int]:
    """The figures `day` days into the six weeks (0 … DAYS − 1), worked out so the last day is Örebro's."""
    share = (day + 1) / DAYS
    return {
        "confirmed_cases": round(120 + 444 * share**1.5),
        "intensive_care": round(4 + 15 * share),
        "covid_ward": round(12 + 54 * share),
        "deaths": round(29 * share**2),
        "influenza": 30 - round(20 * share),
    }


def load(stdout) -> None:
    if SituationReport.objects.filter(county_id="20").exists():
        stdout.write("Situation demo data already present.")
        return
    county = County.objects.get(code="20")
    services.indicators_for("20")
    if not Indicator.objects.filter(county=county, code="influenza").exists():
        services.indicator_create(
            county=county, code="influenza", name="Influensa (laboratoriebekräftad)", by=policy.SYSTEM
        )
    today = timezone.localdate()
    first = today - datetime.timedelta(days=DAYS - 1)
    items = [
        services.FigureInput(date=first + datetime.timedelta(days=day), indicator=code, value=value)
        for day in range(DAYS)
        for code, value in _figures(day).items()
    ]
    services.figures_record(county_code="20", items=items, source="csv", by=policy.SYSTEM)
    week_ago = timezone.now() - datetime.timedelta(days=7)
    earlier = services.report_prepare(county=county, by=policy.SYSTEM, now=week_ago)
    services.report_comment(
        report=earlier,
        comments={"capacity": "Lunden i Falun kan utöka från 34 till 40 platser vid behov."},
        by=policy.SYSTEM,
    )
    services.report_publish(report=earlier, by=policy.SYSTEM)
    latest = services.report_prepare(county=county, by=policy.SYSTEM)
    services.report_comment(
        report=latest,
        comments={
            "placements": "Avesta behöver sex platser; Lunden och Tjärnan erbjuder.",
            "epidemiology": "Smittskyddet rapporterar fortsatt ökning av inlagda med covid.",
        },
        by=policy.SYSTEM,
    )
    services.report_publish(report=latest, by=policy.SYSTEM)
    stdout.write("Situation reports: 2 published for Dalarna, 6 weeks of epidemiology figures.")
