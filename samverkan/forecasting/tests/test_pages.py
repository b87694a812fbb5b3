"""The forecast page, on-demand runs with progress, and the API."""

from __future__ import annotations

import datetime

from samverkan.forecasting import services
from samverkan.forecasting.models import ForecastRun, RunStatus, Trigger
from samverkan.forecasting.tests.conftest import TODAY
from samverkan.organisations import policy
from samverkan.testing import login


def _done_run(world) -> ForecastRun:
    run = services.forecast_run_request(county_code="20", trigger=Trigger.NIGHTLY, by=policy.SYSTEM)
    return services.forecast_run_execute(run=run, by=policy.SYSTEM, today=TODAY)


def test_the_page_without_a_forecast(world, client):
    login(client, world.users["viewer"])
    page = client.get("/prognoser/?county=20")
    assert page.status_code == 200
    assert "forecast-progress" not in page.content.decode()
    assert 'action="/prognoser/kor/"' not in page.content.decode()  # a viewer cannot start a run


def test_the_page_shows_chart_table_probabilities_and_accuracy(history, client):
    run = _done_run(history)
    login(client, history.users["falun_coordinator"])
    page = client.get("/prognoser/?county=20&kind=short_term_occupancy")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "chart-band" in html
    assert html.count("<tr>") >= 28
    first_day = (run.origin + datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    assert first_day in html
    assert "accuracy-caption" in html
    # Another method and a municipality.
    flat = client.get("/prognoser/?county=20&area=2080&kind=admissions&method=flat")
    assert flat.status_code == 200 and "<svg" in flat.content.decode()


def test_small_counts_hide_a_municipality_history_from_viewers(history, client):
    _done_run(history)
    login(client, history.users["viewer"])
    html = client.get("/prognoser/?county=20&area=2080&kind=admissions").content.decode()
    assert "series-1" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # no observed line
    login(client, history.users["falun_coordinator"])
    html = client.get("/prognoser/?county=20&area=2080&kind=admissions").content.decode()
    assert "chart-line series-1" in html


def test_on_demand_run_with_progress(history, client, settings, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC))
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    login(client, history.users["falun_coordinator"])
    answer = client.post("/prognoser/kor/", {"county": "20"})
    assert answer.status_code == 302
    run = ForecastRun.objects.get()
    assert run.status == RunStatus.QUEUED and run.requested_by == history.users["falun_coordinator"]
    page = client.get("/prognoser/?county=20").content.decode()
    assert f"/prognoser/korning/{run.pk}/status/" in page  # polled while queued
    services.forecast_run_execute(run=run, by=policy.SYSTEM)
    status = client.get(f"/prognoser/korning/{run.pk}/status/").content.decode()
    assert "hx-get" not in status and 'value="100"' in status
    login(client, history.users["viewer"])
    assert client.post("/prognoser/kor/", {"county": "20"}).status_code == 403


def test_api_forecast_and_runs(history, client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    login(client, history.users["region_coordinator"])
    assert client.get("/api/v1/forecasting/forecasts?county=20").status_code == 404
    _done_run(history)
    answer = client.get("/api/v1/forecasting/forecasts?county=20&kind=short_term_occupancy")
    assert answer.status_code == 200
    body = answer.json()
    assert body["kind"] == "short_term_occupancy" and body["area"] is None
    selected = [f for f in body["forecasts"] if f["selected"]]
    assert [f["method"] for f in selected] == ["occupancy_flow"]
    assert len(selected[0]["days"]) == 28 and set(selected[0]["intervals"]) == {"50", "80", "95"}
    assert len(selected[0]["above_staffed"]) == 28
    falun = client.get("/api/v1/forecasting/forecasts?county=20&area=2080&kind=admissions").json()
    assert {f["method"] for f in falun["forecasts"]} == {"damped_ets", "seasonal_naive", "flat"}
    started = client.post("/api/v1/forecasting/runs", {"county": "20"}, content_type="application/json")
    assert started.status_code == 202 and started.json()["status"] == "queued"
    status = client.get(f"/api/v1/forecasting/runs/{started.json()['id']}")
    assert status.status_code == 200 and status.json()["progress"] == 0
    login(client, history.users["outsider"])
    assert client.get("/api/v1/forecasting/forecasts?county=20").status_code == 403
    assert client.get(f"/api/v1/forecasting/runs/{started.json()['id']}").status_code == 404
