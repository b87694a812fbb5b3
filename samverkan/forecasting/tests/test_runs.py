"""Forecast runs: requested, run by the task worker (nightly or on demand), stored and audited;
the probability of a shortage reaches the escalation plan."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone, translation

from samverkan.audit.models import AuditEvent
from samverkan.capacity.models import PlannedChange
from samverkan.forecasting import services
from samverkan.forecasting.models import ForecastRun, ForecastSeries, RunStatus, Trigger
from samverkan.forecasting.tests.conftest import END, TODAY
from samverkan.organisations import policy
from samverkan.placements import escalation
from samverkan.placements.models import ShortageOutlook
from samverkan.testing import login


def _run(world, by=None) -> ForecastRun:
    run = services.forecast_run_request(
        county_code="20", trigger=Trigger.ON_DEMAND, by=by or world.users["region_coordinator"]
    )
    return services.forecast_run_execute(run=run, by=policy.SYSTEM, today=TODAY)


def test_a_run_stores_every_series_and_method(history):
    run = _run(history)
    assert run.status == RunStatus.DONE and run.progress == 100
    assert run.origin == TODAY - datetime.timedelta(days=1)
    county = ForecastSeries.objects.filter(run=run, municipality__isnull=True)
    kinds = {(s.kind, s.method) for s in county}
    assert ("admissions", "damped_ets") in kinds and ("admissions", "flat") in kinds
    assert ("admissions", "seasonal_naive") in kinds
    assert ("short_term_occupancy", "occupancy_flow") in kinds
    assert ("short_term_staffed", "flat") in kinds
    selected = county.get(kind="short_term_occupancy", selected=True)
    assert selected.method == "occupancy_flow"
    assert len(selected.point) == 28 and set(selected.lower) == {"50", "80", "95"}
    for i in range(28):
        assert selected.lower["95"][i] <= selected.lower["80"][i] <= selected.lower["50"][i]
        assert selected.upper["50"][i] <= selected.upper["80"][i] <= selected.upper["95"][i]
    assert len(selected.above_staffed) == 28 and all(0 <= p <= 1 for p in selected.above_staffed)
    assert all(a >= b for a, b in zip(selected.above_staffed, selected.above_surge, strict=True))
    # The staffed places are carried forward: 30 in the county.
    assert county.get(kind="short_term_staffed").point == [30.0] * 28
    # Falun's flat forecast of its admissions is its last day's.
    falun_flat = ForecastSeries.objects.get(run=run, municipality_id="2080", kind="admissions", method="flat")
    assert falun_flat.point == [falun_flat.history[-1]] * 28
    # Ludvika has no short-term unit: no occupancy forecast there.
    assert not ForecastSeries.objects.filter(run=run, municipality_id="2085", kind="short_term_occupancy").exists()
    # Past accuracy of the county's own series.
    assert set(run.accuracy["admissions"]) == {"damped_ets", "seasonal_naive", "flat"}
    assert "occupancy_flow" in run.accuracy["short_term_occupancy"]
    events = list(AuditEvent.objects.filter(event_type__startswith="forecasting.").values_list("event_type", flat=True))
    assert sorted(events) == ["forecasting.run_completed", "forecasting.run_requested"]


def test_planned_changes_of_staffed_places_count_from_their_day(history):
    # The origin is yesterday (END); the units last reported on END at 09:00.
    PlannedChange.objects.create(
        unit=history.lunden, effective_from=TODAY + datetime.timedelta(days=3), staffed_change=5, description="+5"
    )
    PlannedChange.objects.create(unit=history.avesta_unit, effective_from=TODAY, staffed_change=-4, description="-4")
    # Already in the latest report (on or before its day), or cancelled: not counted again.
    PlannedChange.objects.create(unit=history.lunden, effective_from=END, staffed_change=7, description="old")
    PlannedChange.objects.create(
        unit=history.lunden, effective_from=TODAY, staffed_change=9, description="off", cancelled_at=timezone.now()
    )
    run = _run(history)
    staffed = ForecastSeries.objects.filter(run=run, kind="short_term_staffed")
    # Day i ahead is END + 1 + i: Lunden's +5 from TODAY + 3 (i = 3), Avesta's −4 from TODAY (i = 0).
    assert staffed.get(municipality_id="2080").point == [20.0] * 3 + [25.0] * 25
    assert staffed.get(municipality_id="2084").point == [6.0] * 28
    assert staffed.get(municipality__isnull=True).point == [26.0] * 3 + [31.0] * 25
    # Avesta's 9 occupied places (no arrivals: slowly fewer) are above its 6 staffed places, not
    # its 10: a shortage in every sample of the first week.
    avesta = ForecastSeries.objects.get(run=run, municipality_id="2084", kind="short_term_occupancy", selected=True)
    assert avesta.above_staffed[:7] == [1.0] * 7


def test_the_shortage_probability_reaches_the_escalation_plan(history, client):
    run = _run(history)
    assert run.shortage_7d is not None
    outlook = ShortageOutlook.objects.get(county_id="20")
    assert outlook.probability == run.shortage_7d and outlook.data_until == run.origin
    assert AuditEvent.objects.filter(event_type="placements.shortage_outlook_recorded").exists()
    steps = escalation.steps_for("20")
    step = steps[-1]
    step.shortage_probability_at_least = Decimal("0.0")
    step.save()
    figures = escalation.county_figures("20", steps)
    assert figures.shortage_probability == run.shortage_7d
    with translation.override("en"):
        reasons = escalation.triggers(step, figures)
        assert any("within 7 days" in r for r in reasons)
        step.shortage_probability_at_least = Decimal("100.0") if run.shortage_7d < 100 else None
        step.save()
        assert not any("within 7 days" in r for r in escalation.triggers(step, figures))
    # The plan's page shows the probability and the step's threshold.
    login(client, history.users["region_coordinator"])
    with translation.override("en"):
        page = client.get("/platser/beredskap/?county=20", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "(latest forecast)" in page or "(senaste prognosen)" in page
    value = f"{run.shortage_7d:.1f}"
    assert f"{value} %" in page or f"{value.replace('.', ',')} %" in page


def test_only_coordinators_start_a_run(history):
    with pytest.raises(PermissionDenied):
        services.forecast_run_request(county_code="20", trigger=Trigger.ON_DEMAND, by=history.users["viewer"])
    with pytest.raises(PermissionDenied):
        services.forecast_run_request(county_code="20", trigger=Trigger.ON_DEMAND, by=history.users["outsider"])


def test_a_second_request_while_one_is_open_returns_it(history):
    first = services.forecast_run_request(
        county_code="20", trigger=Trigger.ON_DEMAND, by=history.users["falun_coordinator"]
    )
    again = services.forecast_run_request(
        county_code="20", trigger=Trigger.ON_DEMAND, by=history.users["falun_coordinator"]
    )
    assert again.pk == first.pk and ForecastRun.objects.count() == 1


def test_nightly_runs_through_the_task_worker(history, settings, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC))
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    out = StringIO()
    call_command("forecast_nightly", "--county", "20", stdout=out)
    run = ForecastRun.objects.get(county_id="20")
    assert run.trigger == Trigger.NIGHTLY and run.status == RunStatus.DONE
    assert run.origin == datetime.date(2026, 3, 1)
    assert "queued" in out.getvalue()


def test_nightly_queues_without_running(history, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    call_command("forecast_nightly", "--county", "20", stdout=StringIO())
    assert ForecastRun.objects.get(county_id="20").status == RunStatus.QUEUED


def test_a_failing_run_says_so_and_stores_nothing(history, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no data")

    monkeypatch.setattr(services.compute, "compute", broken)
    run = _run(history)
    assert run.status == RunStatus.FAILED and run.error == "no data"
    assert not ForecastSeries.objects.exists()
    assert AuditEvent.objects.filter(event_type="forecasting.run_failed").exists()


def test_a_county_without_data_runs_quickly_to_nothing(world):
    run = services.forecast_run_request(county_code="18", trigger=Trigger.NIGHTLY, by=policy.SYSTEM)
    run = services.forecast_run_execute(run=run, by=policy.SYSTEM, today=TODAY)
    assert run.status == RunStatus.DONE
    assert not ForecastSeries.objects.filter(run=run).exists() and run.accuracy == {}
    assert run.shortage_7d is None and not ShortageOutlook.objects.filter(county_id="18").exists()
