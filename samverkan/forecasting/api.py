"""The forecasting API: the county's latest forecast of a series, and runs on demand (the same
selectors and services as the pages)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from ninja import Router, Schema
from ninja.responses import Status

from samverkan.apischema import BODY, CountyCode, Id, MunicipalityCode, responses
from samverkan.forecasting import selectors, services, tasks
from samverkan.forecasting.models import ForecastRun, RunStatus, SeriesKind, Trigger
from samverkan.organisations import policy

router = Router(tags=["forecasting"])


class IntervalOut(Schema):
    lower: list[float]
    upper: list[float]


class MethodForecastOut(Schema):
    method: str
    selected: bool
    days: list[datetime.date]
    point: list[float]
    intervals: dict[str, IntervalOut]
    above_staffed: list[float] | None
    above_surge: list[float] | None


class ForecastOut(Schema):
    county: str
    area: str | None
    kind: str
    origin: datetime.date | None
    computed_at: datetime.datetime | None
    forecasts: list[MethodForecastOut]
    accuracy: dict


class RunOut(Schema):
    id: int
    county: str
    status: str
    progress: int
    origin: datetime.date | None
    shortage_7d: float | None


class RunIn(Schema):
    county: CountyCode


def _acting(request) -> policy.Principal:
    who = policy.principal_of(request)
    if isinstance(who, (policy.SystemPrincipal, policy.Person, policy.ActingKey)):
        return who
    raise PermissionDenied


def _run_out(run: ForecastRun) -> RunOut:
    return RunOut(
        id=run.pk,
        county=run.county_id,
        status=run.status,
        progress=run.progress,
        origin=run.origin,
        shortage_7d=float(run.shortage_7d) if run.shortage_7d is not None else None,
    )


@router.get(
    "/forecasting/forecasts",
    url_name="forecasting_forecasts",
    response=responses({200: ForecastOut}, 404),
    summary="The county's latest forecast of one series (every method, 50/80/95 % intervals)",
)
def forecasts(
    request,
    county: CountyCode,
    kind: SeriesKind = SeriesKind.SHORT_TERM_OCCUPANCY,
    area: MunicipalityCode | None = None,
):
    """`area`: a municipality code, or none for the county. Short-term occupancy also carries the
    probability (0–1) per day that it exceeds the staffed places, and the staffed plus surge places."""
    run = selectors.latest_run(_acting(request), county)
    if run is None:
        raise Http404("No forecast of this county yet.")
    found = selectors.run_series(run, area=area or None, kind=kind.value)
    if not found:
        raise Http404("No forecast of this series in this area.")
    origin = run.origin or run.created_at.date()
    out = []
    for series in found:
        days = [origin + datetime.timedelta(days=i + 1) for i in range(len(series.point))]
        out.append(
            MethodForecastOut(
                method=series.method,
                selected=series.selected,
                days=days,
                point=series.point,
                intervals={
                    level: IntervalOut(lower=series.lower[level], upper=series.upper[level]) for level in series.lower
                },
                above_staffed=series.above_staffed,
                above_surge=series.above_surge,
            )
        )
    return ForecastOut(
        county=county,
        area=area or None,
        kind=kind.value,
        origin=run.origin,
        computed_at=run.finished_at,
        forecasts=out,
        accuracy=run.accuracy.get(kind.value, {}),
    )


@router.post(
    "/forecasting/runs",
    url_name="forecasting_runs",
    response=responses({202: RunOut}, *BODY),
    summary="Start a forecast run of the county (the task worker computes it; poll its status)",
)
def start_run(request, payload: RunIn):
    run = services.forecast_run_request(county_code=payload.county, trigger=Trigger.ON_DEMAND, by=_acting(request))
    if run.status == RunStatus.QUEUED:
        transaction.on_commit(lambda: tasks.forecast_run.enqueue(run_id=run.pk))
    return Status(202, _run_out(run))


@router.get(
    "/forecasting/runs/{run_id}",
    url_name="forecasting_run",
    response=responses({200: RunOut}, 404),
    summary="A forecast run's status and progress",
)
def run_status(request, run_id: Id):
    return _run_out(selectors.run_detail(_acting(request), run_id))
