"""The public page and the open data files: only for counties that chose them, without login,
aggregates only and no count from 1 to 4 anywhere (fixtures full of small counts to tempt them);
the archive comparison for members."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re

import pytest

from samverkan.capacity.tests.helpers import at, local, report
from samverkan.flow.imports import import_rows, source_for
from samverkan.placements import services as placements
from samverkan.situation import opendata, services
from samverkan.situation.services import FigureInput
from samverkan.testing import login

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 5, 9, 0)
EPISODE_WORDS = ("source_id", "pseudonym", "personnummer", "birth_year", "episode")


def _small(world):
    """Small counts everywhere: Lunden 2 free (staffed 5, occupied 3), Avesta 1 free, 1 open
    request for 2 places, 3 deaths (2 a week before), 1 in intensive care, 4 flow episodes."""
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 5, 8), physical=5, staffed=5, occupied=3)
    report(world.avesta_unit, world.avesta_coordinator, when=local(2026, 3, 5, 8), physical=4, staffed=4, occupied=3)
    with at(local(2026, 3, 4, 8)):
        placements.request_create(
            by=world.avesta_coordinator,
            from_organisation=world.avesta,
            places=2,
            wanted_from=datetime.date(2026, 3, 5),
            to_county=True,
        )
        services.figures_record(
            county_code="20",
            items=[
                FigureInput(datetime.date(2026, 2, 25), "deaths", 2),
                FigureInput(datetime.date(2026, 3, 4), "deaths", 3),
                FigureInput(datetime.date(2026, 3, 4), "intensive_care", 1),
                FigureInput(datetime.date(2026, 3, 4), "confirmed_cases", 40),
            ],
            source="form",
            by=world.region_coordinator,
        )
    rows = [
        (n + 2, {"source_id": f"P{n}", "home_municipality": "2080", "care_type": "somatic",
                 "admitted_at": "2026-02-24T08:00", "discharged_at": "2026-02-26T08:00", "destination": "home"})
        for n in range(4)
    ]  # fmt: skip
    with at(NOW):
        import_rows(source=source_for("20", "Cosmic"), rows=rows, by=world.region_coordinator, filename="p.csv")


@pytest.fixture
def published(world):
    _small(world)
    county = world.region.county
    with at(local(2026, 2, 26, 9)):
        first = services.report_prepare(county=county, by=world.forum_secretary)
        services.report_publish(report=first, by=world.forum_secretary)
    with at(NOW):
        second = services.report_prepare(county=county, by=world.forum_secretary)
        services.report_publish(report=second, by=world.forum_secretary)
    services.settings_save(
        county=county, enabled=False, weekday=3, time=datetime.time(7), public=True, by=world.region_coordinator
    )
    second.refresh_from_db()
    return second


def _counts(value, key=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _counts(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _counts(item, key)
    elif isinstance(value, int) and not isinstance(value, bool) and key not in opendata.NOT_COUNTS:
        yield key, value


def test_the_fixture_is_full_of_small_counts(published):
    small = [(key, value) for key, value in _counts(published.figures) if 0 < value < 5]
    assert {"free", "open_requests", "places_asked", "staffed", "occupied"} <= {key for key, _ in small}
    assert ("value", 3) in small and ("week_before_value", 2) in small


def test_open_data_json_and_csv_hold_no_small_count_and_no_episode(published, client):
    data = client.get(f"/lagesbild/offentlig/20/{published.number}/data.json")
    assert data.status_code == 200
    body = data.json()
    assert body["number"] == 2
    assert [(k, v) for k, v in _counts(body["figures"]) if 0 < v < 5] == []
    deaths = next(row for row in body["figures"]["epidemiology"]["indicators"] if row["code"] == "deaths")
    assert (deaths["value"], deaths["week_before_value"]) == (None, None)
    text = json.dumps(body).lower()
    assert not any(word in text for word in EPISODE_WORDS)
    table = client.get(f"/lagesbild/offentlig/20/{published.number}/data.csv").content.decode()
    text = table.removeprefix("\ufeff")  # CSV for Excel: a BOM and ';' where the tables module writes them
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text.split("\n", 1)[0] else ","))
    assert rows[0] == ["section", "field", "value"]
    assert ["epidemiology", "indicators.confirmed_cases.value", "40"] in rows
    assert ["epidemiology", "indicators.deaths.value", ""] in rows
    for section, field, value in rows[1:]:
        if value.isdigit() and field.rsplit(".", 1)[-1] not in opendata.NOT_COUNTS:
            assert not 0 < int(value) < 5, (section, field, value)
    assert not any(word in table.lower() for word in EPISODE_WORDS)


def test_the_public_page_shows_no_small_count(published, client):
    page = client.get("/lagesbild/offentlig/20/")
    assert page.status_code == 200
    html = page.content.decode()
    shown = re.findall(r'class="num">([^<]*)<', html) + re.findall(r"<dd>([^<]*)</dd>", html)
    numbers = [int(value) for value in shown if value.strip().isdigit()]
    assert numbers and not [n for n in numbers if 0 < n < 5]
    assert "&lt;5" in html
    assert "Avlidna rose" not in html and "from 2 to 3" not in html  # hidden on both sides: no sentence
    assert client.get("/lagesbild/offentlig/20/1/").status_code == 200


def test_no_public_page_unless_the_county_chose_it(world, client):
    _small(world)
    with at(NOW):
        services.report_publish(
            report=services.report_prepare(county=world.region.county, by=world.forum_secretary),
            by=world.forum_secretary,
        )
    assert client.get("/lagesbild/offentlig/20/").status_code == 404
    assert client.get("/lagesbild/offentlig/20/1/data.json").status_code == 404
    assert client.get("/lagesbild/offentlig/18/").status_code == 404


def test_members_download_and_compare(published, world, client):
    login(client, world.viewer)
    first = published.previous
    exported = client.get(f"/lagesbild/{published.pk}/data.json")
    assert exported.status_code == 200 and exported.json()["number"] == 2
    assert client.get(f"/lagesbild/{published.pk}/data.xml").status_code == 404
    page = client.get(f"/lagesbild/jamfor/?a={published.pk}&b={first.pk}")
    assert page.status_code == 200
    rows = {(s, f): (a, b, d) for s, f, a, b, d in page.context["comparison"].rows}
    assert page.context["comparison"].first == first  # the older one first, whatever the order asked
    assert rows[("epidemiology", "indicators.deaths.value")] == (2, 3, 1)
    login(client, world.outsider)
    assert client.get(f"/lagesbild/jamfor/?a={published.pk}&b={first.pk}").status_code == 404
