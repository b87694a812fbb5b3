"""Epidemiology figures by form, CSV file (all or nothing, errors by row and column) and API."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from samverkan.audit.models import AuditEvent
from samverkan.capacity.tests.helpers import at, local
from samverkan.situation import csvfigures, services
from samverkan.situation.models import EpidemiologyFigure, Indicator
from samverkan.situation.services import FigureInput
from samverkan.testing import login

pytestmark = pytest.mark.django_db

TODAY = local(2026, 4, 17, 14, 0)
CODES = ["confirmed_cases", "intensive_care", "covid_ward", "deaths"]


def state() -> tuple:
    return (
        list(EpidemiologyFigure.objects.order_by("pk").values_list("indicator__code", "date", "value")),
        AuditEvent.objects.count(),
    )


def test_the_county_has_the_four_standard_indicators(world):
    assert [i.code for i in services.indicators_for("20")] == CODES
    assert [i.code for i in services.indicators_for("20")] == CODES  # created once
    assert Indicator.objects.filter(county_id="20").count() == 4


def test_record_replace_and_audit(world):
    with at(TODAY):
        services.figures_record(
            county_code="20",
            items=[FigureInput(datetime.date(2026, 4, 17), "deaths", 28)],
            source="form",
            by=world.region_coordinator,
        )
        services.figures_record(
            county_code="20",
            items=[FigureInput(datetime.date(2026, 4, 17), "deaths", 29)],
            source="api",
            by=world.forum_secretary,
        )
    figure = EpidemiologyFigure.objects.get()
    assert (figure.value, figure.source, figure.entered_by) == (29, "api", world.forum_secretary)
    events = AuditEvent.objects.filter(event_type="situation.figure_recorded").order_by("pk")
    assert [(e.before, e.after["value"]) for e in events] == [(None, 28), ({"value": 28}, 29)]


def test_bad_items_change_nothing_and_name_each_problem(world):
    with at(TODAY):
        services.figures_record(
            county_code="20", items=[FigureInput(datetime.date(2026, 4, 1), "deaths", 3)], source="form", by=world.admin
        )
        before = state()
        with pytest.raises(ValidationError) as refused:
            services.figures_record(
                county_code="20",
                items=[
                    FigureInput(datetime.date(2026, 4, 16), "deaths", 5, label="0"),
                    FigureInput(datetime.date(2026, 4, 18), "deaths", 5, label="1"),
                    FigureInput(datetime.date(2026, 4, 16), "influenza", 5, label="2"),
                    FigureInput(datetime.date(2026, 4, 16), "covid_ward", -1, label="3"),
                ],
                source="api",
                by=world.admin,
            )
    assert set(refused.value.message_dict) == {"1.date", "2.indicator", "3.value"}
    assert state() == before


def test_only_the_region_and_the_secretary_record_figures(world):
    for persona in ("falun_coordinator", "lunden_staff", "viewer", "outsider"):
        with pytest.raises(PermissionDenied):
            services.figures_record(
                county_code="20",
                items=[FigureInput(datetime.date(2026, 4, 1), "deaths", 3)],
                source="form",
                by=world.users[persona],
            )


def test_a_county_adds_an_indicator(world):
    county = world.region.county
    added = services.indicator_create(county=county, code="influenza", name="Influensa", by=world.region_coordinator)
    assert added.order == 5 and not added.standard
    with pytest.raises(ValidationError):
        services.indicator_create(county=county, code="influenza", name="Igen", by=world.region_coordinator)
    with pytest.raises(ValidationError):
        services.indicator_create(county=county, code="Bad code!", name="X", by=world.region_coordinator)
    with pytest.raises(PermissionDenied):
        services.indicator_create(county=county, code="rs", name="RS", by=world.forum_secretary)
    with pytest.raises(PermissionDenied):
        services.indicator_create(county=county, code="rs", name="RS", by=world.outsider)


# CSV ------------------------------------------------------------------------------------------


def test_csv_parses_commas_semicolons_bom_and_empty_cells():
    items = csvfigures.parse(
        "\ufeffdatum;confirmed_cases;deaths\n2020-04-17;564;29\n2020-04-18;;30\n\n".encode(), CODES
    )
    assert [(i.date.isoformat(), i.indicator, i.value, i.row) for i in items] == [
        ("2020-04-17", "confirmed_cases", 564, 2),
        ("2020-04-17", "deaths", 29, 2),
        ("2020-04-18", "deaths", 30, 3),
    ]
    windows = csvfigures.parse("date,deaths\r\n2020-04-17,29\r\n".encode("cp1252"), CODES)
    assert windows[0].value == 29


def test_csv_errors_name_row_and_column():
    with pytest.raises(ValidationError) as refused:
        csvfigures.parse(b"date,deaths,influenza\n2020-04-17,29,1\n", CODES)
    assert list(refused.value.message_dict) == ["row 1, column influenza"]
    with pytest.raises(ValidationError) as refused:
        csvfigures.parse(b"date,deaths,covid_ward\n17/4/2020,29,1\n2020-04-18,-3,x\n2020-04-19,1,2,3\n", CODES)
    assert refused.value.message_dict == {
        "row 2, column date": ["17/4/2020 is not a date (YYYY-MM-DD)."],
        "row 3, column deaths": ["-3 is not a whole number from 0 up."],
        "row 3, column covid_ward": ["x is not a whole number from 0 up."],
        "row 4": ["The row has more cells than the header."],
    }
    with pytest.raises(ValidationError):
        csvfigures.parse(b"day,deaths\n", CODES)


def test_csv_upload_is_all_or_nothing(world, client):
    login(client, world.region_coordinator)
    good_then_bad = b"date,deaths,intensive_care\n2026-04-15,20,10\n2026-04-16,21,11\n2026-04-30,22,12\n"
    before = state()
    with at(TODAY):
        page = client.post(
            "/lagesbild/epidemiologi/fil/?county=20",
            {"file": SimpleUploadedFile("figures.csv", good_then_bad, content_type="text/csv")},
        )
    assert page.status_code == 400
    assert "row 4, column date: The date is in the future." in page.content.decode()
    assert state() == before
    with at(TODAY):
        page = client.post(
            "/lagesbild/epidemiologi/fil/?county=20",
            {
                "file": SimpleUploadedFile(
                    "figures.csv", good_then_bad.replace(b"2026-04-30", b"2026-04-17"), content_type="text/csv"
                )
            },
        )
    assert page.status_code == 302
    assert EpidemiologyFigure.objects.count() == 6


def test_csv_duplicate_day_is_refused(world):
    items = csvfigures.parse(b"date,deaths\n2026-04-15,20\n2026-04-15,21\n", CODES)
    with at(TODAY), pytest.raises(ValidationError) as refused:
        services.figures_record(county_code="20", items=items, source="csv", by=world.admin)
    assert refused.value.message_dict == {
        "row 3, column date": ["deaths on 2026-04-15 is given twice (also in row 2)."]
    }


# Form and API ---------------------------------------------------------------------------------


def test_form_records_a_day(world, client):
    login(client, world.forum_secretary)
    with at(TODAY):
        page = client.post(
            "/lagesbild/epidemiologi/?county=20",
            {"date": "2026-04-17", "indicator_confirmed_cases": "564", "indicator_deaths": "29"},
        )
    assert page.status_code == 302
    assert sorted(EpidemiologyFigure.objects.values_list("indicator__code", "value")) == [
        ("confirmed_cases", 564),
        ("deaths", 29),
    ]
    with at(TODAY):
        shown = client.get("/lagesbild/epidemiologi/?county=20")
    assert shown.status_code == 200 and "564" in shown.content.decode()
    with at(TODAY):
        empty = client.post("/lagesbild/epidemiologi/?county=20", {"date": "2026-04-17"})
    assert empty.status_code == 400 and "Give at least one figure." in empty.content.decode()


def test_api_records_and_reads_figures(world, client):
    login(client, world.region_coordinator)
    body = [
        {"county": "20", "date": "2026-04-16", "indicator": "intensive_care", "value": 18},
        {"county": "20", "date": "2026-04-17", "indicator": "intensive_care", "value": 19},
    ]
    with at(TODAY):
        created = client.post("/api/v1/situation/epidemiology", body, content_type="application/json")
        assert created.status_code == 201, created.content
        listed = client.get("/api/v1/situation/epidemiology?county=20")
    assert listed.json() == [
        {"date": "2026-04-16", "indicator": "intensive_care", "value": 18},
        {"date": "2026-04-17", "indicator": "intensive_care", "value": 19},
    ]
    bad = [*body, {"county": "20", "date": "2026-04-17", "indicator": "rs", "value": 1}]
    with at(TODAY):
        refused = client.post("/api/v1/situation/epidemiology", bad, content_type="application/json")
    assert refused.status_code == 422
    assert list(refused.json()["detail"]) == ["2.indicator"]
    viewer = login(client, world.viewer)
    with at(TODAY):
        assert viewer.get("/api/v1/situation/epidemiology?county=20").status_code == 200
        assert viewer.post("/api/v1/situation/epidemiology", body, content_type="application/json").status_code == 403
        assert viewer.get("/api/v1/situation/epidemiology?county=18").status_code == 403
