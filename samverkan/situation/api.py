"""The situation report's API: epidemiology figures in and out, published reports as JSON."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Body, Field, Router, Schema
from ninja.responses import Status

from samverkan.apischema import BODY, CountyCode, Date, count, one_or_many, responses, text
from samverkan.organisations import policy
from samverkan.situation import selectors, services
from samverkan.situation.models import EpidemiologyFigure, FigureSource, Indicator, SituationReport

router = Router(tags=["situation"])
MAX_FIGURES_PER_CALL = 1000
DEFAULT_DAYS = 28


class FigureIn(Schema):
    county: CountyCode = Field(description="The county's two-digit code, e.g. 20.")
    date: Date
    indicator: Annotated[str, text(Indicator, "code")] = Field(description="An indicator code of the county.")
    value: Annotated[int, count(EpidemiologyFigure, "value")]


class FigureOut(Schema):
    date: datetime.date
    indicator: str
    value: int

    @staticmethod
    def resolve_indicator(obj: EpidemiologyFigure) -> str:
        return obj.indicator.code


class IndicatorOut(Schema):
    code: str
    name: str
    standard: bool


class ReportSummaryOut(Schema):
    number: int
    version: int
    county: str
    as_of: datetime.datetime
    published_at: datetime.datetime

    @staticmethod
    def resolve_county(obj: SituationReport) -> str:
        return obj.county_id


class ReportOut(ReportSummaryOut):
    corrects_version: int | None = Field(description="The version this one corrects, if it is a correction.")
    comments: dict[str, str]
    figures: dict[str, Any] = Field(
        description="The figures as prepared: capacity (totals, municipalities, trend), placements (open "
        "requests, places asked, waiting_long, shared_places, escalation), flow (whole weeks, counts rounded "
        "to multiples of 5), resources (equipment per type: available_now, on_loan, in_service, overdue, "
        "free per coming week; supply per article: the county's on_hand, used_7_days, days of supply, places "
        "reporting, low_places below 7 days), forecast (available; shortage_7d: the probability in percent of "
        "a shortage of short-term places within 7 days; days: expected, low, high (80 %), staffed, "
        "above_staffed_percent; municipalities), epidemiology (indicators with latest value and series)."
    )

    @staticmethod
    def resolve_corrects_version(obj: SituationReport) -> int | None:
        return obj.corrects.version if obj.corrects else None


@router.get(
    "/situation/indicators",
    url_name="situation_indicators",
    response=responses({200: list[IndicatorOut]}),
    summary="The county's epidemiology indicators",
)
def indicators(request: Any, county: CountyCode) -> Any:
    selectors.indicators(policy.principal_of(request), county)
    return services.indicators_for(county)


@router.get(
    "/situation/epidemiology",
    url_name="situation_epidemiology",
    response=responses({200: list[FigureOut]}),
    summary=f"Epidemiology figures of a county per day (default the last {DEFAULT_DAYS} days)",
)
def figures(request: Any, county: CountyCode, start: Date | None = None, end: Date | None = None) -> Any:
    end = end or timezone.localdate()
    start = start or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
    return list(selectors.figures(policy.principal_of(request), county, start=start, end=end))


@router.post(
    "/situation/epidemiology",
    url_name="situation_epidemiology_create",
    response=responses({201: list[FigureOut]}, *BODY),
    summary=f"Record one figure or a list of at most {MAX_FIGURES_PER_CALL} (all or nothing; a day's figure again replaces it)",
)
def post_figures(
    request: Any, payload: Body[Annotated[FigureIn | list[FigureIn], one_or_many(FigureIn, MAX_FIGURES_PER_CALL)]]
) -> Any:
    items = payload if isinstance(payload, list) else [payload]
    counties = {item.county for item in items}
    if len(counties) > 1:
        return Status(422, {"detail": {"county": ["Send the figures of one county per call."]}})
    county = counties.pop()
    policy.require(policy.principal_of(request), "situation.report_epidemiology", policy.Place(county=county))
    inputs = [
        services.FigureInput(
            date=item.date,
            indicator=item.indicator,
            value=item.value,
            label=str(index) if isinstance(payload, list) else "",
        )
        for index, item in enumerate(items)
    ]
    try:
        recorded = services.figures_record(
            county_code=county, items=inputs, source=FigureSource.API, by=policy.actor_of(request)
        )
    except ValidationError as error:
        return Status(422, {"detail": error.message_dict})
    return Status(201, recorded)


@router.get(
    "/situation/reports",
    url_name="situation_reports",
    response=responses({200: list[ReportSummaryOut]}),
    summary="The county's published situation reports, newest first",
)
def reports(request: Any, county: CountyCode) -> Any:
    return list(selectors.published_reports(policy.principal_of(request), county)[:500])


@router.get(
    "/situation/reports/{number}",
    url_name="situation_report",
    response=responses({200: ReportOut}, 404),
    summary="A published situation report by its number (the latest version, or ?version=)",
)
def report(
    request: Any,
    number: Annotated[int, Field(ge=1, le=2_147_483_647)],
    county: CountyCode,
    version: Annotated[int, Field(ge=1, le=32767)] | None = None,
) -> Any:
    return selectors.report_by_number(policy.principal_of(request), county, number, version)
