"""Epidemic scenarios on a small hand-checked case, and through the service and page."""

from __future__ import annotations

import datetime
import math

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from samverkan.audit.models import AuditEvent
from samverkan.forecasting import scenarios, services
from samverkan.forecasting.models import Scenario
from samverkan.organisations.models import Municipality
from samverkan.testing import login


def _parameters(**changes) -> scenarios.Parameters:
    values = {
        "start_date": datetime.date(2026, 3, 1),
        "days": 5,
        "initial_cases": 10,
        "doubling_time": 1,
        "share_hospitalised": 0.1,
        "hospital_los": 2,
        "share_short_term": 0.5,
        "short_term_los": 3,
        "outbreak": None,
    }
    values.update(changes)
    return scenarios.Parameters(**values)


def test_a_small_scenario_by_hand():
    # Cases double every day: 10, 20, 40, 80, 160; 10 % admitted: 1, 2, 4, 8, 16.
    # In hospital for 2 days: 1, 3, 6, 12, 24. Discharged on day t: admitted on t − 2: –, –, 1, 2, 4;
    # half to short-term care: 0, 0, 0.5, 1, 2; there for 3 days: 0, 0, 0.5, 1.5, 3.5.
    # Two municipalities with 3 000 and 1 000 inhabitants share by population: 3/4 and 1/4.
    result = scenarios.run(_parameters(), {"A": 3000, "B": 1000})
    county = result["areas"]["county"]
    assert result["days"] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    assert county["cases"] == [10, 20, 40, 80, 160]
    assert county["admissions"] == [1, 2, 4, 8, 16]
    assert county["in_hospital"] == [1, 3, 6, 12, 24]
    assert county["short_term"] == [0, 0, 0.5, 1.5, 3.5]
    assert result["areas"]["A"]["in_hospital"] == [0.8, 2.2, 4.5, 9, 18]  # 3/4, rounded to 0.1
    assert result["areas"]["B"]["short_term"] == [0, 0, 0.1, 0.4, 0.9]


def test_an_outbreak_starts_in_one_municipality_and_spreads():
    populations = {"A": 3000, "B": 1000}
    # Day 0: all of it in B; day t: B's share = e^(−t/7) + (1 − e^(−t/7)) · 1/4.
    assert scenarios.shares(populations, "B", 0) == {"A": 0.0, "B": 1.0}
    local = math.exp(-1 / scenarios.SPREAD_DAYS)
    day1 = scenarios.shares(populations, "B", 1)
    assert day1["B"] == pytest.approx(local + (1 - local) / 4)
    assert sum(day1.values()) == pytest.approx(1.0)
    result = scenarios.run(_parameters(outbreak="B"), populations)
    assert result["areas"]["B"]["cases"][0] == 10 and result["areas"]["A"]["cases"][0] == 0
    assert result["areas"]["county"]["cases"] == [10, 20, 40, 80, 160]


def test_peak():
    result = scenarios.run(_parameters(), {"A": 1})
    assert scenarios.peak(result, "A", "in_hospital") == ("2026-03-05", 24)


def _values(**changes):
    values = {
        "name": "Utbrott i Avesta",
        "start_date": datetime.date(2026, 3, 10),
        "initial_cases": 20,
        "doubling_time": 5,
        "share_hospitalised": 5,
        "hospital_los": 7,
        "share_short_term": 30,
        "short_term_los": 14,
        "outbreak_municipality": None,
        "days": 56,
    }
    values.update(changes)
    return values


def test_the_service_stores_and_audits(world):
    scenario = services.scenario_create(county_code="20", values=_values(), by=world.users["region_coordinator"])
    assert len(scenario.results["days"]) == 56
    assert set(scenario.results["areas"]) >= {"2080", "2084", "county"}
    assert AuditEvent.objects.filter(event_type="forecasting.scenario_created").count() == 1


def test_bad_values_name_the_field_and_store_nothing(world):
    with pytest.raises(ValidationError) as problem:
        services.scenario_create(
            county_code="20", values=_values(doubling_time=0, hospital_los=0), by=world.users["region_coordinator"]
        )
    assert {"doubling_time", "hospital_los"} <= set(problem.value.message_dict)
    with pytest.raises(ValidationError) as elsewhere:
        services.scenario_create(
            county_code="20",
            values=_values(outbreak_municipality=Municipality.objects.get(code="1880")),
            by=world.users["region_coordinator"],
        )
    assert "outbreak_municipality" in elsewhere.value.message_dict
    assert not Scenario.objects.exists()
    assert not AuditEvent.objects.filter(event_type__startswith="forecasting.").exists()


def test_viewers_may_not_create(world):
    with pytest.raises(PermissionDenied):
        services.scenario_create(county_code="20", values=_values(), by=world.users["viewer"])


def test_scenario_pages(world, client):
    login(client, world.users["falun_coordinator"])
    page = client.get("/prognoser/scenarier/?county=20")
    assert page.status_code == 200 and 'name="doubling_time"' in page.content.decode()
    answer = client.post(
        "/prognoser/scenarier/",
        {
            "county": "20",
            "name": "Utbrott i Avesta",
            "start_date": "2026-03-10",
            "initial_cases": "20",
            "doubling_time": "5",
            "share_hospitalised": "5",
            "hospital_los": "7",
            "share_short_term": "30",
            "short_term_los": "14",
            "outbreak_municipality": "2084",
            "days": "56",
        },
    )
    scenario = Scenario.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/prognoser/scenarier/{scenario.pk}/"
    assert scenario.outbreak_municipality_id == "2084" and scenario.created_by == world.users["falun_coordinator"]
    detail = client.get(f"/prognoser/scenarier/{scenario.pk}/?area=2084")
    assert detail.status_code == 200
    assert "<svg" in detail.content.decode()
    wrong = client.post("/prognoser/scenarier/", {"county": "20", "name": "x", "doubling_time": "0"})
    assert wrong.status_code == 200 and Scenario.objects.count() == 1
    login(client, world.users["outsider"])
    assert client.get(f"/prognoser/scenarier/{scenario.pk}/").status_code == 404
