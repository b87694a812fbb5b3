"""The report's forecast summary: the latest finished forecast of the county as the forecasting app
stored it (probability of a shortage of short-term places within 7 days, the county's expected
occupancy against the staffed places, each municipality's probability), its sentence of change,
and its page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from samverkan.capacity.tests.helpers import at, local
from samverkan.forecasting.models import ForecastRun, ForecastSeries
from samverkan.situation import services
from samverkan.situation.changes import change_sentences
from samverkan.situation.opendata import public_figures
from samverkan.testing import login

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 5, 9, 0)
ORIGIN = datetime.date(2026, 3, 4)


def _run(shortage: str, county_above: list[float], falun_above: list[float]) -> ForecastRun:
    """A finished run with the county's short-term occupancy (flow model, shown first, and a flat
    one), the staffed places, and Falun's occupancy."""
    run = ForecastRun.objects.create(
        county_id="20",
        trigger="nightly",
        status="done",
        progress=100,
        origin=ORIGIN,
        finished_at=NOW - datetime.timedelta(hours=6),
        shortage_7d=Decimal(shortage),
    )
    point = [10.4 + 0.5 * i for i in range(28)]

    def series(**values: object) -> ForecastSeries:
        return ForecastSeries.objects.create(
            run=run,
            history=[10.0],
            lower={"50": [p - 1 for p in point], "80": [p - 2.3 for p in point], "95": [p - 4 for p in point]},
            upper={"50": [p + 1 for p in point], "80": [p + 2.4 for p in point], "95": [p + 4 for p in point]},
            **values,
        )

    series(kind="short_term_occupancy", method="occupancy_flow", selected=True, point=point,
           above_staffed=county_above + [0.9] * (28 - len(county_above)))  # fmt: skip
    series(kind="short_term_occupancy", method="flat", selected=False, point=[99.0] * 28, above_staffed=[0.99] * 28)
    series(kind="short_term_staffed", method="flat", selected=True, point=[12.0] * 28)
    series(kind="short_term_occupancy", method="occupancy_flow", selected=True, point=point, municipality_id="2080",
           above_staffed=falun_above + [0.0] * (28 - len(falun_above)))  # fmt: skip
    return run


def _prepare(world, when=NOW):
    with at(when):
        return services.report_prepare(county=world.region.county, by=world.forum_secretary)


def test_the_section_holds_the_latest_forecast_as_stored(world):
    _run("31.0", [0.05, 0.2, 0.31, 0.1, 0.0, 0.0, 0.0], [0.5, 0.1])
    section = _prepare(world).figures["forecast"]
    assert section["available"] is True
    assert (section["data_until"], section["shortage_7d"], section["method"]) == ("2026-03-04", 31.0, "occupancy_flow")
    assert len(section["days"]) == 14
    # Day 1: 10.4 expected (10), 80 %: 8.1–12.8 (8–13), 12 staffed, P(above) 0.05 = 5 %.
    assert section["days"][0] == {
        "day": "2026-03-05",
        "expected": 10,
        "low": 8,
        "high": 13,
        "staffed": 12,
        "above_staffed_percent": 5.0,
    }
    assert section["days"][13]["day"] == "2026-03-18" and section["days"][13]["expected"] == round(10.4 + 6.5)
    # Falun's highest probability in the first 7 days; Avesta has no forecast of its own.
    assert section["municipalities"] == [{"code": "2080", "name": "Falun", "shortage_percent": 50.0}]


def test_without_a_finished_forecast_the_section_says_so(world, client):
    ForecastRun.objects.create(county_id="20", trigger="nightly", status="running")
    draft = _prepare(world)
    assert draft.figures["forecast"] == {"available": False}
    login(client, world.forum_secretary)
    assert "The county has no finished forecast yet." in client.get(f"/lagesbild/{draft.pk}/").content.decode()


def test_the_sentence_says_how_the_probability_changed(world):
    _run("31.0", [0.31], [])
    with at(NOW):
        services.report_publish(report=_prepare(world), by=world.forum_secretary)
    _run("45.5", [0.455], [])
    later = NOW + datetime.timedelta(hours=1)
    second = _prepare(world, when=later)
    assert "The probability (%) of a shortage of short-term places within 7 days rose from 31,0 to 45,5." in (
        change_sentences(second)
    )


def test_the_page_and_the_public_figures(world, client):
    _run("31.0", [0.05, 0.2, 0.31], [0.5])
    with at(NOW):
        published = services.report_publish(report=_prepare(world), by=world.forum_secretary)
    login(client, world.viewer)
    page = client.get(f"/lagesbild/{published.pk}/").content.decode()
    assert 'id="forecast-heading"' in page and "31.0 %" in page and 'id="forecast-caption"' in page
    public = public_figures(published.figures)["forecast"]
    assert public["shortage_7d"] == 31.0 and public["municipalities"][0]["shortage_percent"] == 50.0
    assert public["days"][0]["expected"] == 10  # counts from 5 up are shown
