"""Assembling a situation report's figures from the apps that own them, at one moment.

Every figure comes from the owning app's own reads (never recomputed here), read as the system,
so that the report is the same picture for everyone in the county:

- capacity: `capacity.selectors.county_overview` (the county overview's totals and municipality
  totals, free places = staffed − occupied − reserved by capacity/figures.py) and
  `county_free_places_series` (free places per day, the last TREND_DAYS days);
- placements: `placements.selectors.request_list` (open requests, places asked for, requests
  waiting longer than the escalation plan's hours; places shared = places of requests accepted
  or in place) and `placements.escalation.escalation_view` (the confirmed step, the suggested
  step and the figures that trigger it);
- flow: `flow.statistics.statistics` turned into readers' figures by `readers_figures`: whole
  ISO weeks that have ended, counts randomly rounded to multiples of 5 (the report is read by
  every role, so it carries what every role may see; docs/decisions/small-count-protection.md);
- resources: `resources.selectors.pool_availability` (per equipment type: items available, lent,
  in service, overdue, and free items per coming week, resources/availability.py) and
  `resources.selectors.stock_overview`'s county totals per article (stock, use in 7 days, days
  of supply by resources/supply.py, reporting places and those below 7 days): the totals every
  member of the county sees, never one organisation's stock;
- forecast: `forecasting.selectors.latest_run` (the county's latest finished forecast) and its
  county series of short-term occupancy (the method shown first) with the staffed places: per
  day of the coming FORECAST_DAYS the expected occupied places, the 80 % interval and the
  probability that demand exceeds the staffed places; the run's probability of a shortage within
  7 days (`shortage_7d`, the figure the escalation plan reads) and each municipality's;
- epidemiology: this app's figures, the latest value of each indicator on or before the day of
  the report and the value a week earlier.

The result is plain JSON (stored on the report, so a published report never changes when the
sources do). Texts inside it (municipality and step names, the escalation's reasons) are in the
site's language (Swedish), as prepared."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from samverkan.capacity import selectors as capacity
from samverkan.capacity.schedule import LOCAL
from samverkan.flow import statistics as flow_statistics
from samverkan.forecasting import selectors as forecasting
from samverkan.forecasting.models import SeriesKind
from samverkan.organisations import policy
from samverkan.organisations.models import Municipality
from samverkan.placements import escalation
from samverkan.placements import selectors as placements
from samverkan.placements.models import OPEN_STATUSES, RequestStatus
from samverkan.resources import selectors as resources
from samverkan.resources import supply
from samverkan.situation.models import EpidemiologyFigure, Indicator

TREND_DAYS = 14
FLOW_WEEKS = 4
EPIDEMIOLOGY_DAYS = 28
RESOURCE_WEEKS = 4
FORECAST_DAYS = 14
SHORTAGE_DAYS = 7
SHARED_STATUSES = (RequestStatus.ACCEPTED, RequestStatus.IN_PLACE)

Json = dict[str, Any]


def compose(county_code: str, *, now: datetime.datetime | None = None) -> Json:
    """The figures of a situation report of `county_code` as they stand at `now`."""
    now = now or timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "as_of": now.isoformat(),
            "capacity": capacity_section(county_code, now),
            "placements": placements_section(county_code, now),
            "flow": flow_section(county_code, now),
            "resources": resources_section(county_code, now),
            "forecast": forecast_section(county_code),
            "epidemiology": epidemiology_section(county_code, now),
        }


def _totals(totals: capacity.Totals) -> Json:
    return {
        "units": totals.units,
        "reporting_units": totals.reporting_units,
        "stale_units": totals.stale_units,
        "staffed": totals.staffed,
        "occupied": totals.occupied,
        "reserved": totals.reserved,
        "free": totals.free,
        "closed_units": totals.closed_units,
        "occupancy_percent": None if totals.occupancy_rate is None else round(totals.occupancy_rate * 100, 1),
    }


def capacity_section(county_code: str, now: datetime.datetime) -> Json:
    overview = capacity.county_overview(policy.SYSTEM, county_code, now=now)
    series = capacity.county_free_places_series(policy.SYSTEM, county_code, days=TREND_DAYS, now=now)
    return {
        "totals": _totals(overview.totals),
        "municipalities": [
            {"code": group.code, "name": group.name, **_totals(group.totals)} for group in overview.municipalities
        ],
        "trend": [
            {"day": point.day.isoformat(), "free": point.free, "reporting_units": point.reporting_units}
            for point in series
        ],
    }


def placements_section(county_code: str, now: datetime.datetime) -> Json:
    requests = placements.request_list(policy.SYSTEM, county_code=county_code)
    open_requests = list(requests.filter(status__in=OPEN_STATUSES).values_list("places", "sent_at"))
    shared = list(requests.filter(status__in=SHARED_STATUSES).values_list("places", flat=True))
    view = escalation.escalation_view(policy.SYSTEM, county_code)
    hours = min((step.waiting_hours for step in view.steps), default=24)
    limit = now - datetime.timedelta(hours=hours)
    return {
        "open_requests": len(open_requests),
        "places_asked": sum(places for places, _ in open_requests),
        "waiting_hours": hours,
        "waiting_long": sum(1 for _, sent_at in open_requests if sent_at is not None and sent_at <= limit),
        "shared_requests": len(shared),
        "shared_places": sum(shared),
        "escalation": {
            "current": {"order": view.current.order, "name": view.current.name},
            "confirmed_at": view.state.confirmed_at.isoformat() if view.state.confirmed_at else None,
            "comment": view.state.comment,
            "suggested": {"order": view.suggestion.step.order, "name": view.suggestion.step.name},
            "reasons": [str(reason) for reason in view.suggestion.reasons],
        },
    }


FLOW_COUNTS = ("admissions", "discharges", "ready_notices", "in_hospital", "ready_in_hospital")


def flow_section(county_code: str, now: datetime.datetime) -> Json:
    today = now.astimezone(LOCAL).date()
    monday = today - datetime.timedelta(days=today.weekday())
    try:
        start, end = flow_statistics.whole_periods(
            monday - datetime.timedelta(weeks=FLOW_WEEKS), monday - datetime.timedelta(days=1), "week", today
        )
    except flow_statistics.PeriodRefused as refused:  # pragma: no cover - a whole week always lies before this one
        return {"weeks": [], "note": str(refused)}
    exact = flow_statistics.statistics(
        policy.SYSTEM, county_code=county_code, start=start, end=end, granularity=flow_statistics.Granularity.WEEK
    )
    stats = flow_statistics.readers_figures(exact, flow_statistics.Rounding.from_settings())
    county = stats.county
    last = county.buckets[-1].figures if county.buckets else flow_statistics.Figures()
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "rounded_to": flow_statistics.ROUNDING_BASE,
        "weeks": [
            {
                "start": bucket.start.isoformat(),
                "end": bucket.end.isoformat(),
                **{name: getattr(bucket.figures, name) for name in FLOW_COUNTS},
            }
            for bucket in county.buckets
        ],
        "last_week": {
            **{name: getattr(last, name) for name in FLOW_COUNTS},
            "destinations": dict(last.destinations),
        },
        "municipalities": [
            {
                "code": area.code,
                "name": area.name,
                **{name: getattr(area.buckets[-1].figures, name) for name in FLOW_COUNTS if area.buckets},
            }
            for area in stats.municipalities
        ],
    }


def _days(value: int | None) -> int | None:
    """Days of supply as stored: None both when the use is unknown and when nothing is used (the
    bucket, "> 30", tells them apart)."""
    return None if value is None or value >= supply.FOREVER else value


def resources_section(county_code: str, now: datetime.datetime) -> Json:
    today = now.astimezone(LOCAL).date()
    pool = resources.pool_availability(policy.SYSTEM, county_code, today=today, weeks=RESOURCE_WEEKS)
    stock = resources.stock_overview(policy.SYSTEM, county_code, now=now)
    red = [bucket.colour == "red" for bucket in supply.Bucket]
    return {
        "equipment": [
            {
                "code": row.type.code,
                "name": row.type.name,
                "total": row.total,
                "available_now": row.available_now,
                "on_loan": row.on_loan,
                "in_service": row.in_service,
                "overdue": row.overdue,
                "weeks": [
                    {
                        "start": period.start.isoformat(),
                        "end": period.end.isoformat(),
                        "free": period.free,
                        "lent": period.lent,
                        "asked": period.asked,
                    }
                    for period in row.weeks
                ],
            }
            for row in pool
        ],
        "supply": {
            "window_days": resources.STOCK_WINDOW_DAYS,
            "items": [
                {
                    "code": total.item.code,
                    "name": total.item.name,
                    "counted_in": total.item.unit_label,
                    "on_hand": total.total.on_hand,
                    "used_7_days": total.total.used_7_days,
                    "days": _days(total.total.days),
                    "bucket": total.total.bucket.label if total.total.bucket else None,
                    "places": total.places,
                    "low_places": sum(count for count, low in zip(total.per_bucket, red, strict=True) if low),
                    "unknown_use": total.unknown,
                }
                for total in stock.totals
            ],
        },
    }


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _shortage(series: object) -> float | None:
    """The highest probability (%) on the first SHORTAGE_DAYS days that demand exceeds the staffed places."""
    above = getattr(series, "above_staffed", None)
    return _percent(max(above[:SHORTAGE_DAYS])) if above else None


def forecast_section(county_code: str) -> Json:
    run = forecasting.latest_run(policy.SYSTEM, county_code)
    if run is None or run.origin is None:
        return {"available": False}
    occupancy = forecasting.run_series(run, area=None, kind=SeriesKind.SHORT_TERM_OCCUPANCY.value)
    staffed = forecasting.run_series(run, area=None, kind=SeriesKind.SHORT_TERM_STAFFED.value)
    shown = occupancy[0] if occupancy else None
    places = staffed[0].point if staffed else []
    days = []
    if shown is not None:
        for i, point in enumerate(shown.point[:FORECAST_DAYS]):
            days.append(
                {
                    "day": (run.origin + datetime.timedelta(days=i + 1)).isoformat(),
                    # Whole places, so that the public page hides a forecast from 1 to 4 as a count.
                    "expected": round(point),
                    "low": round(shown.lower.get("80", [])[i]) if i < len(shown.lower.get("80", [])) else None,
                    "high": round(shown.upper.get("80", [])[i]) if i < len(shown.upper.get("80", [])) else None,
                    "staffed": round(places[i]) if i < len(places) else None,
                    "above_staffed_percent": _percent(shown.above_staffed[i]) if shown.above_staffed else None,
                }
            )
    names = dict(Municipality.objects.filter(county_id=county_code).values_list("code", "name"))
    municipalities = []
    for code, name in sorted(names.items(), key=lambda item: item[1]):
        found = forecasting.run_series(run, area=code, kind=SeriesKind.SHORT_TERM_OCCUPANCY.value)
        if found and (probability := _shortage(found[0])) is not None:
            municipalities.append({"code": code, "name": name, "shortage_percent": probability})
    return {
        "available": True,
        "data_until": run.origin.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "shortage_7d": float(run.shortage_7d) if run.shortage_7d is not None else None,
        "method": shown.method if shown is not None else None,
        "days": days,
        "municipalities": municipalities,
    }


def epidemiology_section(county_code: str, now: datetime.datetime) -> Json:
    today = now.astimezone(LOCAL).date()
    first = today - datetime.timedelta(days=EPIDEMIOLOGY_DAYS + 7 - 1)
    indicators = list(Indicator.objects.filter(county_id=county_code).order_by("order", "name"))
    values: dict[int, list[tuple[datetime.date, int]]] = {indicator.pk: [] for indicator in indicators}
    for indicator_id, day, value in (
        EpidemiologyFigure.objects.filter(indicator__county_id=county_code, date__gte=first, date__lte=today)
        .order_by("date")
        .values_list("indicator_id", "date", "value")
    ):
        values[indicator_id].append((day, value))
    rows = []
    for indicator in indicators:
        points = values[indicator.pk]
        latest = points[-1] if points else None
        week_before = None
        if latest is not None:
            earlier = [p for p in points if p[0] <= latest[0] - datetime.timedelta(days=7)]
            week_before = earlier[-1] if earlier else None
        rows.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "date": latest[0].isoformat() if latest else None,
                "value": latest[1] if latest else None,
                "week_before_date": week_before[0].isoformat() if week_before else None,
                "week_before_value": week_before[1] if week_before else None,
                "series": [
                    [day.isoformat(), value]
                    for day, value in points
                    if day > today - datetime.timedelta(days=EPIDEMIOLOGY_DAYS)
                ],
            }
        )
    return {"indicators": rows, "days": EPIDEMIOLOGY_DAYS}
