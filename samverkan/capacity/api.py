from __future__ import annotations

import datetime
from typing import Annotated

import orjson
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from ninja import Body, Field, Router, Schema
from ninja.responses import Status
from pydantic import TypeAdapter
from typing_extensions import TypedDict

from samverkan.apischema import BODY, CountyCode, DateTime, Id, choice, count, one_or_many, responses, text
from samverkan.capacity import fhir, selectors, services
from samverkan.capacity.models import BedCategory, CapacityReport, CapacityReportCategory
from samverkan.capacity.schedule import LOCAL
from samverkan.organisations import policy
from samverkan.organisations.models import Unit

router = Router(tags=["capacity"])
MAX_REPORTS_PER_CALL = 500  # far more units than an organisation has; a national system sends several calls


class CategoryFigures(Schema):
    staffed: Annotated[int, count(CapacityReportCategory, "staffed")]
    occupied: Annotated[int, count(CapacityReportCategory, "occupied")]


class ReportIn(Schema):
    unit: Id = Field(description="Unit id (GET /api/v1/units).")
    reported_at: DateTime | None = Field(None, description="Default now; without offset: Swedish local time.")
    physical: Annotated[int, count(CapacityReport, "physical")]
    staffed: Annotated[int, count(CapacityReport, "staffed")]
    occupied: Annotated[int, count(CapacityReport, "occupied")]
    surge: Annotated[int, count(CapacityReport, "surge")] = 0
    open_for_admission: bool = True
    closure_reason: Annotated[str, choice(CapacityReport, "closure_reason")] = Field(
        "", description="Only when closed."
    )
    comment: Annotated[str, text(CapacityReport, "comment")] = ""
    categories: dict[Annotated[str, text(BedCategory, "code")], CategoryFigures] = Field(
        default_factory=dict, description="Bed category code → figures."
    )
    corrects: Id | None = Field(None, description="Id of an earlier report of the same unit that this one corrects.")


class ReportOut(Schema):
    id: int
    unit: int
    reported_at: datetime.datetime
    physical: int
    staffed: int
    occupied: int
    surge: int
    open_for_admission: bool
    closure_reason: str
    comment: str
    corrects: int | None

    @staticmethod
    def resolve_unit(obj) -> int:
        return obj.unit_id

    @staticmethod
    def resolve_corrects(obj) -> int | None:
        return obj.corrects_id


# The overview's answer, declared as typed dicts: the answer is produced through them (OVERVIEW
# validates every row on its way out, and only their keys leave), and the OpenAPI schema is
# generated from them, so what the schema says is what is sent. pydantic validates plain dicts
# several times faster than it builds models, which counts for the national overview's 1 500 rows.


class TotalsOut(TypedDict):
    units: int
    reporting_units: int
    stale_units: int
    physical: int
    staffed: int
    occupied: int
    reserved: int
    free: int
    surge: int
    closed_units: int
    occupancy_rate: float | None


class UnitRowOut(TypedDict):
    unit: int
    unit_name: str
    unit_kind: str
    municipality: str
    municipality_name: str
    physical: int | None
    staffed: int | None
    occupied: int | None
    reserved: int
    free: int | None
    surge: int | None
    occupancy_rate: float | None
    open_for_admission: bool | None
    closure_reason: str
    reported_at: datetime.datetime | None
    stale: bool


class MunicipalityTotalsOut(TypedDict):
    code: str
    name: str
    totals: TotalsOut


class OverviewOut(TypedDict):
    county: str
    generated_at: datetime.datetime
    current_since: datetime.datetime | None
    units: list[UnitRowOut]
    municipalities: list[MunicipalityTotalsOut]
    totals: TotalsOut


OVERVIEW = TypeAdapter(OverviewOut)


def _input(item: ReportIn, units: dict[int, Unit], corrected: dict[int, CapacityReport]) -> services.ReportInput:
    reported_at = item.reported_at
    if reported_at is not None and timezone.is_naive(reported_at):
        reported_at = reported_at.replace(tzinfo=LOCAL)
    return services.ReportInput(
        unit=units[item.unit],
        reported_at=reported_at,
        physical=item.physical,
        staffed=item.staffed,
        occupied=item.occupied,
        surge=item.surge,
        open_for_admission=item.open_for_admission,
        closure_reason=item.closure_reason,
        comment=item.comment,
        categories={code: (f.staffed, f.occupied) for code, f in item.categories.items()},
        corrects=corrected.get(item.corrects) if item.corrects else None,
    )


@router.post(
    "/capacity/reports",
    url_name="capacity_reports",
    response=responses({201: list[ReportOut]}, *BODY),
    summary=f"Send one report or a list of at most {MAX_REPORTS_PER_CALL} (all or nothing)",
)
def post_reports(
    request, payload: Body[Annotated[ReportIn | list[ReportIn], one_or_many(ReportIn, MAX_REPORTS_PER_CALL)]]
):
    items = payload if isinstance(payload, list) else [payload]
    who = policy.principal_of(request)
    visible = {
        u.pk: u
        for u in Unit.objects.visible_to(who, "capacity.view")
        .select_related("municipality", "organisation")
        .filter(pk__in={i.unit for i in items})
    }
    corrected = {
        r.pk: r
        for r in CapacityReport.objects.filter(unit_id__in=visible, pk__in={i.corrects for i in items if i.corrects})
    }
    missing: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        prefix = f"{index}." if len(items) > 1 else ""
        if item.unit not in visible:
            missing[f"{prefix}unit"] = [f"Unknown unit {item.unit}, or not visible to you."]
        if item.corrects and item.corrects not in corrected:
            missing[f"{prefix}corrects"] = [f"Unknown report {item.corrects}, or not visible to you."]
    if missing:
        return Status(422, {"detail": missing})
    try:
        reports = services.capacity_reports_create(
            items=[_input(item, visible, corrected) for item in items], by=policy.actor_of(request)
        )
    except ValidationError as error:
        return Status(422, {"detail": error.message_dict})
    return Status(201, reports)


def _totals(totals: selectors.Totals) -> dict[str, int | float | None]:
    return {
        "units": totals.units,
        "reporting_units": totals.reporting_units,
        "stale_units": totals.stale_units,
        "physical": totals.physical,
        "staffed": totals.staffed,
        "occupied": totals.occupied,
        "reserved": totals.reserved,
        "free": totals.free,
        "surge": totals.surge,
        "closed_units": totals.closed_units,
        "occupancy_rate": totals.occupancy_rate,
    }


def _overview_response(overview: selectors.Overview) -> HttpResponse:
    """The overview through OverviewOut (validated, only its keys kept), encoded with orjson. A
    figure that does not fit the schema is a server error here, never an answer that breaks it."""
    body = OVERVIEW.validate_python(
        {
            "county": overview.county.code,
            "generated_at": overview.generated_at,
            "current_since": overview.current_since,
            "units": [
                {
                    "unit": r.unit_id,
                    "unit_name": r.unit_name,
                    "unit_kind": r.unit_kind,
                    "municipality": r.municipality_code,
                    "municipality_name": r.municipality_name,
                    "physical": r.physical,
                    "staffed": r.staffed,
                    "occupied": r.occupied,
                    "reserved": r.reserved,
                    "free": r.free,
                    "surge": r.surge,
                    "occupancy_rate": r.occupancy_rate,
                    "open_for_admission": r.open_for_admission,
                    "closure_reason": r.closure_reason,
                    "reported_at": r.reported_at,
                    "stale": r.stale,
                }
                for r in overview.rows
            ],
            "municipalities": [
                {"code": g.code, "name": g.name, "totals": _totals(g.totals)} for g in overview.municipalities
            ],
            "totals": _totals(overview.totals),
        }
    )
    return HttpResponse(orjson.dumps(body), content_type="application/json")


@router.get(
    "/capacity/overview",
    url_name="capacity_overview",
    response=responses({200: OverviewOut}),
    summary="The county's current places per unit, with totals",
)
def overview(
    request,
    county: CountyCode,
    category: Annotated[str, text(BedCategory, "code")] | None = None,
    kind: Annotated[str, choice(Unit, "kind")] | None = None,
):
    return _overview_response(
        selectors.county_overview(policy.principal_of(request), county, category=category, kind=kind)
    )


@router.get(
    "/capacity/overview.fhir",
    url_name="capacity_overview_fhir",
    response=responses({200: dict}),
    summary="The county's current capacity as a FHIR R4 MeasureReport (SANER)",
)
def overview_fhir(request, county: CountyCode):
    return fhir.overview_measure_report(selectors.county_overview(policy.principal_of(request), county))


@router.get(
    "/capacity/units/{unit_id}/history",
    url_name="capacity_unit_history",
    response=responses({200: list[ReportOut]}, 404),
    summary="A unit's reports, newest first",
)
def unit_history(request, unit_id: Id, days: int = 90):
    unit = selectors.unit_detail(policy.principal_of(request), unit_id)
    return selectors.unit_history(unit, days=min(max(days, 1), 366))
