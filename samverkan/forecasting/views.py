from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from samverkan.charts import Band, Series, line_chart
from samverkan.forecasting import scenarios as scenario_model
from samverkan.forecasting import selectors, services, tasks
from samverkan.forecasting.forms import AreaForm, ScenarioForm
from samverkan.forecasting.metrics import BANDS, band_name
from samverkan.forecasting.models import (
    ForecastRun,
    ForecastSeries,
    Method,
    RunStatus,
    SeriesKind,
    Trigger,
)
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality
from samverkan.organisations.selectors import county_of_page

FLOW_KINDS = {SeriesKind.ADMISSIONS, SeriesKind.IN_HOSPITAL, SeriesKind.READY, SeriesKind.TO_SHORT_TERM}


def _county(request: HttpRequest) -> str:
    return county_of_page(
        request.user, request.GET.get("county") or request.POST.get("county"), action="forecasting.view"
    )


@dataclass
class DayRow:
    day: datetime.date
    point: float
    low50: float
    high50: float
    low80: float
    high80: float
    low95: float
    high95: float
    staffed: float | None
    above_staffed: float | None
    above_surge: float | None


def _days(run: ForecastRun, count: int) -> list[datetime.date]:
    origin = run.origin or run.created_at.date()  # a done run has its origin
    return [origin + datetime.timedelta(days=i + 1) for i in range(count)]


def _history_days(run: ForecastRun, count: int) -> list[datetime.date]:
    origin = run.origin or run.created_at.date()
    return [origin - datetime.timedelta(days=count - 1 - i) for i in range(count)]


def _chart(run: ForecastRun, shown: ForecastSeries, staffed: ForecastSeries | None, history: bool, label: str):
    days = _days(run, len(shown.point))
    series = []
    if history and shown.history:
        series.append(
            Series(
                _("Observed"), list(zip(_history_days(run, len(shown.history)), shown.history, strict=True)), "series-1"
            )
        )
    series.append(Series(_("Forecast (median)"), list(zip(days, shown.point, strict=True)), "series-2"))
    if staffed is not None:
        series.append(Series(_("Staffed places"), list(zip(days, staffed.point, strict=True)), "series-4"))
    bands = [
        Band(
            _("95 % interval"),
            list(zip(days, shown.lower["95"], strict=True)),
            list(zip(days, shown.upper["95"], strict=True)),
            "band-1",
        ),
        Band(
            _("80 % interval"),
            list(zip(days, shown.lower["80"], strict=True)),
            list(zip(days, shown.upper["80"], strict=True)),
            "band-2",
        ),
    ]
    return line_chart(series, label=label, bands=bands)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    principal = policy.actor_of(request)
    run = selectors.latest_run(principal, county)
    running = selectors.open_run(principal, county)
    municipalities = list(Municipality.objects.filter(county_id=county).order_by("name"))
    chosen = request.GET.copy()
    chosen.pop("county", None)
    form = AreaForm(chosen or None, municipalities=municipalities)
    area, kind, method = None, SeriesKind.SHORT_TERM_OCCUPANCY.value, ""
    if form.is_valid():
        area = form.cleaned_data["area"] or None
        kind = form.cleaned_data["kind"] or kind
        method = form.cleaned_data["method"] or ""
    context: dict = {
        "county": County.objects.get(code=county),
        "form": form,
        "run": run,
        "running": running,
        "may_run": policy.can(principal, "forecasting.run", policy.Place(county=county)),
        "area": area,
        "kind": kind,
        "kind_label": SeriesKind(kind).label,
        "area_name": next((m.name for m in municipalities if m.code == area), None),
    }
    if run is not None:
        found = selectors.run_series(run, area=area, kind=kind)
        shown = next((s for s in found if s.method == method), found[0] if found else None)
        staffed = None
        if kind == SeriesKind.SHORT_TERM_OCCUPANCY:
            staffed = next(iter(selectors.run_series(run, area=area, kind=SeriesKind.SHORT_TERM_STAFFED.value)), None)
        # Small counts: the observed flow of a municipality is shown to those who see exact counts.
        history = (
            area is None
            or SeriesKind(kind) not in FLOW_KINDS
            or policy.can(principal, "flow.exact_counts", policy.Place(county=county))
        )
        context.update(
            {
                "methods": [(s.method, Method(s.method).label, s.selected) for s in found],
                "shown": shown,
                "history_hidden": not history,
                "method_label": Method(shown.method).label if shown else "",
            }
        )
        if shown is not None:
            days = _days(run, len(shown.point))
            context["chart"] = _chart(
                run,
                shown,
                staffed,
                history,
                _("%(series)s: forecast with 80 and 95 %% intervals") % {"series": SeriesKind(kind).label},
            )
            context["rows"] = [
                DayRow(
                    day=day,
                    point=shown.point[i],
                    low50=shown.lower["50"][i],
                    high50=shown.upper["50"][i],
                    low80=shown.lower["80"][i],
                    high80=shown.upper["80"][i],
                    low95=shown.lower["95"][i],
                    high95=shown.upper["95"][i],
                    staffed=staffed.point[i] if staffed else None,
                    above_staffed=shown.above_staffed[i] * 100 if shown.above_staffed else None,
                    above_surge=shown.above_surge[i] * 100 if shown.above_surge else None,
                )
                for i, day in enumerate(days)
            ]
            if shown.above_staffed:
                context["shortage_week"] = max(shown.above_staffed[:7]) * 100
        accuracy = run.accuracy.get(kind, {})
        context["bands"] = [band_name(b) for b in BANDS]
        context["accuracy"] = [
            (Method(m).label if m in Method.values else m, [bands.get(band_name(b)) for b in BANDS])
            for m, bands in accuracy.items()
        ]
    return render(request, "forecasting/index.html", context)


@login_required
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    run = services.forecast_run_request(county_code=county, trigger=Trigger.ON_DEMAND, by=policy.actor_of(request))
    if run.status == RunStatus.QUEUED:
        transaction.on_commit(lambda: tasks.forecast_run.enqueue(run_id=run.pk))
    messages.success(request, _("The forecast runs in the background; this page shows its progress."))
    return redirect(reverse("forecasting:index") + f"?county={county}")


@login_required
def run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_detail(policy.actor_of(request), run_id)
    return render(request, "forecasting/_progress.html", {"running": run, "polled": True})


@login_required
def scenario_list(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    principal = policy.actor_of(request)
    may = policy.can(principal, "forecasting.scenario", policy.Place(county=county))
    form = None
    if may:
        form = ScenarioForm(request.POST or None, county=county)
        if request.method == "POST" and form.is_valid():
            try:
                scenario = services.scenario_create(county_code=county, values=form.cleaned_data, by=principal)
            except ValidationError as problem:
                for field, errors in problem.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("The scenario is computed."))
                return redirect("forecasting:scenario", scenario_id=scenario.pk)
    elif request.method == "POST":
        policy.require(principal, "forecasting.scenario", policy.Place(county=county))
    return render(
        request,
        "forecasting/scenarios.html",
        {
            "county": County.objects.get(code=county),
            "scenarios": selectors.scenarios(principal, county)[:50],
            "form": form,
        },
    )


@login_required
def scenario_detail(request: HttpRequest, scenario_id: int) -> HttpResponse:
    principal = policy.actor_of(request)
    scenario = selectors.scenario_detail(principal, scenario_id)
    results = scenario.results
    municipalities = dict(
        Municipality.objects.filter(county_id=scenario.county_id).order_by("name").values_list("code", "name")
    )
    area = request.GET.get("area") or "county"
    if area not in results.get("areas", {}):
        area = "county"
    days = [datetime.date.fromisoformat(d) for d in results.get("days", [])]
    extra = results["areas"][area]["short_term"] if days else []
    run = selectors.latest_run(principal, scenario.county_id)
    baseline_by_day: dict[datetime.date, tuple[float, float, float]] = {}
    if run is not None:
        found = selectors.run_series(
            run, area=None if area == "county" else area, kind=SeriesKind.SHORT_TERM_OCCUPANCY.value
        )
        if found:
            base = found[0]
            for i, day in enumerate(_days(run, len(base.point))):
                baseline_by_day[day] = (base.point[i], base.lower["80"][i], base.upper["80"][i])
    shown_days = sorted(set(days) | set(baseline_by_day))
    baseline: list[tuple[datetime.date, float | None]] = [
        (d, baseline_by_day[d][0]) for d in shown_days if d in baseline_by_day
    ]
    # After the forecast's last day the baseline is held at its last value (said on the page).
    last_day = max(baseline_by_day) if baseline_by_day else None
    held = baseline_by_day[last_day][0] if last_day else 0.0

    def baseline_on(d: datetime.date) -> float:
        if d in baseline_by_day:
            return baseline_by_day[d][0]
        return held if last_day is not None and d > last_day else 0.0

    extra_by_day = dict(zip(days, extra, strict=True))
    with_scenario: list[tuple[datetime.date, float | None]] = [
        (d, baseline_on(d) + extra_by_day.get(d, 0.0)) for d in shown_days
    ]
    chart = line_chart(
        [
            Series(_("Baseline forecast"), baseline, "series-1"),
            Series(_("Baseline + scenario"), with_scenario, "series-2"),
        ],
        label=_("Short-term places: baseline forecast and with the scenario"),
        bands=[
            Band(
                _("80 % interval of the baseline"),
                [(d, baseline_by_day[d][1]) for d in shown_days if d in baseline_by_day],
                [(d, baseline_by_day[d][2]) for d in shown_days if d in baseline_by_day],
                "band-1",
            )
        ],
    )
    rows = [
        (d, baseline_on(d) if last_day is not None else None, d not in baseline_by_day, extra_by_day.get(d), value)
        for d, value in with_scenario
    ]
    peaks = []
    for code, name in municipalities.items():
        peak_day, value = scenario_model.peak(results, code, "short_term")
        hospital_day, hospital = scenario_model.peak(results, code, "in_hospital")
        peaks.append((code, name, peak_day, value, hospital_day, hospital))
    return render(
        request,
        "forecasting/scenario.html",
        {
            "scenario": scenario,
            "area": area,
            "area_name": municipalities.get(area),
            "municipalities": municipalities,
            "chart": chart,
            "rows": rows,
            "peaks": peaks,
            "run": run,
            "held_from": last_day,
            "may_delete": policy.can(principal, "forecasting.scenario", scenario),
        },
    )


@login_required
@require_POST
def scenario_delete(request: HttpRequest, scenario_id: int) -> HttpResponse:
    principal = policy.actor_of(request)
    scenario = selectors.scenario_detail(principal, scenario_id)
    county = scenario.county_id
    services.scenario_delete(scenario=scenario, by=principal)
    messages.success(request, _("The scenario is deleted."))
    return redirect(reverse("forecasting:scenarios") + f"?county={county}")
