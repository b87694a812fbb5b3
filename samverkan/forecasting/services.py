"""Writes for forecasting: forecast runs (requested, run, stored) and scenarios. Each is checked
by the policy and audited in its transaction."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from samverkan.accounts.models import User
from samverkan.audit.services import audit_record
from samverkan.capacity.schedule import LOCAL
from samverkan.forecasting import compute, scenarios
from samverkan.forecasting.models import ForecastRun, ForecastSeries, RunStatus, Scenario, Trigger
from samverkan.forecasting.series import county_series
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality, Organisation
from samverkan.organisations.roles import OrganisationKind
from samverkan.placements import services as placements

log = logging.getLogger(__name__)


def _region(county_code: str) -> Organisation | None:
    return Organisation.objects.filter(county_id=county_code, kind=OrganisationKind.REGION).first()


def _person(by: policy.Principal) -> User | None:
    return by if isinstance(by, User) else None


def forecast_run_request(*, county_code: str, trigger: str, by: policy.Principal) -> ForecastRun:
    """Queue a forecast run of the county (the task worker runs it: forecasting/tasks.py).
    A run already queued or running for the county is returned instead of a second one."""
    policy.require(by, "forecasting.run", policy.Place(county=county_code))
    if trigger not in Trigger.values:
        raise ValueError(f"unknown trigger {trigger!r}")
    with transaction.atomic():
        County.objects.select_for_update().get(code=county_code)
        open_run = ForecastRun.objects.filter(
            county_id=county_code, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        ).first()
        if open_run is not None:
            return open_run
        run = ForecastRun.objects.create(county_id=county_code, trigger=trigger, requested_by=_person(by))
        audit_record(
            by=by,
            event_type="forecasting.run_requested",
            obj=run,
            organisation=_region(county_code),
            after={"county": county_code, "trigger": trigger},
        )
    return run


def forecast_run_execute(*, run: ForecastRun, by: policy.Principal, today: datetime.date | None = None) -> ForecastRun:
    """Compute a queued run and store its series (all or nothing), with its progress in the run
    as it goes; audited; the county-level probability of a shortage within 7 days goes to the
    escalation plan (placements.services.shortage_outlook_record)."""
    policy.require(by, "forecasting.run", run)
    claimed = ForecastRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=0
    )
    if not claimed:  # already run (a retried task) or running elsewhere
        run.refresh_from_db()
        return run
    day = today or timezone.now().astimezone(LOCAL).date()

    def progress(percent: int) -> None:
        ForecastRun.objects.filter(pk=run.pk).update(progress=min(percent, 99))

    try:
        data = county_series(run.county_id, day - datetime.timedelta(days=1))
        result = compute.compute(data, horizon=run.horizon, progress=progress)
    except Exception as problem:  # the run says it failed; the worker logs the trace
        log.exception("forecast run %s failed", run.pk)
        with transaction.atomic():
            ForecastRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, finished_at=timezone.now(), error=str(problem)[:500]
            )
            run.refresh_from_db()
            audit_record(
                by=by,
                event_type="forecasting.run_failed",
                obj=run,
                organisation=_region(run.county_id),
                after={"error": run.error},
            )
        return run
    with transaction.atomic():
        ForecastSeries.objects.bulk_create(
            [
                ForecastSeries(
                    run=run,
                    municipality_id=item.area,
                    kind=item.kind,
                    method=item.method,
                    selected=item.selected,
                    history=item.history,
                    point=item.point,
                    lower=item.lower,
                    upper=item.upper,
                    above_staffed=item.above_staffed,
                    above_surge=item.above_surge,
                )
                for item in result.series
            ],
            batch_size=500,
        )
        run.status = RunStatus.DONE
        run.progress = 100
        run.origin = result.origin
        run.accuracy = result.accuracy
        run.shortage_7d = Decimal(str(result.shortage_7d)) if result.shortage_7d is not None else None
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "progress", "origin", "accuracy", "shortage_7d", "finished_at"])
        audit_record(
            by=by,
            event_type="forecasting.run_completed",
            obj=run,
            organisation=_region(run.county_id),
            after={
                "origin": run.origin.isoformat() if run.origin else None,
                "series": len(result.series),
                "shortage_7d": str(run.shortage_7d) if run.shortage_7d is not None else None,
            },
        )
        if run.shortage_7d is not None:
            placements.shortage_outlook_record(
                county_code=run.county_id, probability=run.shortage_7d, data_until=run.origin, by=policy.SYSTEM
            )
    return run


SCENARIO_FIELDS = (
    "name",
    "start_date",
    "initial_cases",
    "doubling_time",
    "share_hospitalised",
    "hospital_los",
    "share_short_term",
    "short_term_los",
    "outbreak_municipality",
    "days",
)


def scenario_create(*, county_code: str, values: dict[str, Any], by: policy.Principal) -> Scenario:
    """Create a scenario of the county and compute its extra demand per municipality; a
    ValidationError names each field that is wrong and nothing is stored."""
    policy.require(by, "forecasting.scenario", policy.Place(county=county_code))
    unknown = set(values) - set(SCENARIO_FIELDS)
    if unknown:
        raise ValueError(f"unknown scenario fields {sorted(unknown)}")
    scenario = Scenario(county_id=county_code, created_by=_person(by), **values)
    scenario.full_clean(exclude=["results", "created_by"])
    outbreak = scenario.outbreak_municipality
    if outbreak is not None and outbreak.county_id != county_code:
        raise ValidationError({"outbreak_municipality": ["Choose a municipality of the county."]})
    populations = dict(
        Municipality.objects.filter(county_id=county_code).order_by("code").values_list("code", "population")
    )
    scenario.results = scenarios.run(
        scenarios.Parameters(
            start_date=scenario.start_date,
            days=scenario.days,
            initial_cases=float(scenario.initial_cases),
            doubling_time=float(scenario.doubling_time),
            share_hospitalised=float(scenario.share_hospitalised) / 100,
            hospital_los=scenario.hospital_los,
            share_short_term=float(scenario.share_short_term) / 100,
            short_term_los=scenario.short_term_los,
            outbreak=outbreak.code if outbreak else None,
        ),
        populations,
    )
    with transaction.atomic():
        scenario.save()
        audit_record(
            by=by,
            event_type="forecasting.scenario_created",
            obj=scenario,
            organisation=_region(county_code),
            after={field: str(getattr(scenario, field)) for field in SCENARIO_FIELDS},
        )
    return scenario


def scenario_delete(*, scenario: Scenario, by: policy.Principal) -> None:
    policy.require(by, "forecasting.scenario", scenario)
    with transaction.atomic():
        audit_record(
            by=by,
            event_type="forecasting.scenario_deleted",
            obj=scenario,
            organisation=_region(scenario.county_id),
            before={"name": scenario.name},
        )
        scenario.delete()
