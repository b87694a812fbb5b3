from __future__ import annotations

import datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import BeforeValidator

from samverkan.apischema import BODY, As, CountyCode, Date, Id, MunicipalityCode, max_length, one_of, responses, text
from samverkan.flow import selectors, services
from samverkan.flow import statistics as flow_statistics
from samverkan.flow.models import CareType, DestinationMapping, Episode, Source, UnitMapping
from samverkan.flow.validation import as_json
from samverkan.organisations import policy
from samverkan.organisations.models import Municipality

router = Router(tags=["patient flow"])
# One import batch (imports.BATCH_ROWS), and well within the body size the server reads (2.5 MB).
MAX_EPISODES_PER_CALL = 5_000


def _as_written(value):
    """A JSON number or boolean as the CSV writes it: 1947 → "1947", true → "1"."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return value


def _column(length: int) -> As:
    """A canonical column's value: text (numbers and booleans taken as the CSV writes them) of at
    most `length` characters; the import checks the rest (see the README)."""
    return As(Annotated[str, BeforeValidator(_as_written), Field(max_length=length)])


# The longest correct forms of the columns no model field holds as they are written.
PERSONNUMMER = Annotated[str, _column(len("YYYYMMDD-NNNN"))]
TIME = Annotated[str, _column(len("YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM"))]


class EpisodeIn(Schema):
    """The canonical CSV's fields, as JSON strings (or null); see the README for the rules."""

    source_id: Annotated[str, _column(max_length(Episode, "record_id"))]
    personnummer: PERSONNUMMER | None = None
    birth_year: Annotated[str, _column(len("YYYY"))] | None = None
    sex: Annotated[str, _column(max_length(Episode, "sex"))] | None = None
    home_municipality: Annotated[str, _column(max_length(Municipality, "code"))]
    hospital_unit: Annotated[str, _column(max_length(UnitMapping, "code"))] | None = None
    care_type: Annotated[str, _column(max_length(Episode, "care_type"))]
    admitted_at: TIME
    admission_notice_at: TIME | None = None
    estimated_discharge_date: Annotated[str, _column(len("YYYY-MM-DD"))] | None = None
    ready_at: TIME | None = None
    sip_called_at: TIME | None = None
    discharged_at: TIME | None = None
    destination: Annotated[str, _column(max_length(DestinationMapping, "code"))] | None = None
    covid: Annotated[str, _column(len("false"))] | None = None
    care_contact_at: TIME | None = None


class EpisodesIn(Schema):
    source: Annotated[str, text(Source, "name")] = Field(description="Source system name (created on first use).")
    county: CountyCode = Field(description="The county whose region sends the episodes.")
    episodes: list[EpisodeIn] = Field(max_length=MAX_EPISODES_PER_CALL)
    dry_run: bool = False


class ImportOut(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int
    dry_run: bool


class ImportErrors(Schema):
    detail: str | dict[str, list[str]] = Field(
        description="How many rows failed; or, for a body that does not fit the schema, messages per field."
    )
    errors: list[dict] = Field([], description="Each row's errors: row (from 1), column, message.")


@router.post(
    "/flow/episodes",
    url_name="flow_episodes_import",
    response=responses({201: ImportOut, 200: ImportOut, 422: ImportErrors}, *BODY),
    summary=f"Import at most {MAX_EPISODES_PER_CALL} episodes (all or nothing; row N is the Nth episode in the "
    "list, from 1)",
)
def import_episodes(request, payload: EpisodesIn):
    who = policy.principal_of(request)
    if not policy.can(who, "flow.import", policy.Place(county=payload.county)):
        raise PermissionDenied
    rows = (
        (number, {key: value or "" for key, value in episode.dict().items()})
        for number, episode in enumerate(payload.episodes, start=1)
    )
    by = policy.actor_of(request)
    result = services.episodes_import(
        source=services.source_for(county=payload.county, name=payload.source.strip(), by=by),
        rows=rows,
        by=by,
        file_format="api",
        dry_run=payload.dry_run,
    )
    if not result.ok:
        return Status(
            422,
            {"detail": f"Nothing was imported: {result.total_errors} errors.", "errors": as_json(result.errors)},
        )
    run = result.run
    body = {
        "rows": run.rows,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "dry_run": payload.dry_run,
    }
    return Status(200 if payload.dry_run else 201, body)


class BucketOut(Schema):
    start: datetime.date
    end: datetime.date
    figures: dict[str, int | float | None]


class AreaOut(Schema):
    code: str
    name: str
    population: int
    total: dict[str, int | float | None]


class StatisticsOut(Schema):
    county: str
    start: datetime.date
    end: datetime.date
    granularity: str
    grace_days: int | None = Field(
        description="null: by the county's payment-liability agreement in force on the day of each notice (grace days per care type)"
    )
    exact: bool = Field(
        description=(
            "False (roles without exact counts): whole ISO weeks or calendar months that have ended only "
            "(`from` and `to` widened, `start` and `end` say to what), every count randomly rounded to a "
            "multiple of 5 (sums of days too; the same each time), totals, shares, means and rates computed "
            "from the rounded counts, and shares and means from fewer than 10 patients null."
        )
    )
    municipalities: list[AreaOut]
    county_total: AreaOut
    requested_to: datetime.date | None = Field(
        None,
        description="The `to` asked for when it was after today: there are no figures after today, so the "
        "period was cut and `end` is at the latest today. Null when nothing was cut.",
    )
    series_for: str = Field(description="The county's or the municipality's code the series is for.")
    series: list[BucketOut]


class StatisticsQuery(Schema):
    county: CountyCode
    start: Date = Field(alias="from", description="First local date, included.")
    end: Date = Field(alias="to", description="Last local date, included; a date after today is cut at today.")
    granularity: flow_statistics.Granularity = Field(
        flow_statistics.Granularity.WEEK, description="day only for roles with exact counts"
    )
    municipality: MunicipalityCode | None = Field(
        None, description="The series is for this municipality (default: the county)."
    )
    care_type: Annotated[str, one_of("", *CareType.values)] = ""
    age_band: Annotated[str, one_of("", *flow_statistics.AGE_BANDS)] = ""
    covid: bool | None = None
    hospital_unit: Id | None = None


@router.get(
    "/flow/statistics",
    url_name="flow_statistics",
    response=responses({200: StatisticsOut}),
    summary="Patient-flow statistics per home municipality and per day, ISO week or month (as on the page)",
)
def statistics(request, params: Query[StatisticsQuery]):
    county, start, end, granularity = params.county, params.start, params.end, params.granularity
    municipality = params.municipality
    who = policy.principal_of(request)
    if not policy.can(who, "flow.statistics", policy.Place(county=county)):
        raise PermissionDenied
    if end < start:
        return Status(422, {"detail": "'to' is before 'from'."})
    if len(flow_statistics.bucket_starts(start, end, granularity)) > 800:
        return Status(422, {"detail": "At most 800 periods; choose a shorter period or weeks or months."})
    try:
        filters = flow_statistics.Filters(
            care_type=params.care_type,
            age_band=params.age_band,
            covid=params.covid,
            hospital_unit=params.hospital_unit,
        )
    except ValueError as error:
        return Status(422, {"detail": str(error)})
    try:
        stats = selectors.statistics(
            who, county_code=county, start=start, end=end, granularity=granularity, filters=filters
        )
    except flow_statistics.PeriodRefused as refused:
        return Status(422, {"detail": str(refused)})
    try:
        area = stats.area(municipality)
    except KeyError:
        return Status(422, {"detail": f"No municipality {municipality} in county {county}."})
    exact = stats.exact
    columns = flow_statistics.columns(stats.grace_days)

    def figures(f) -> dict:
        return {c.key: cell.export() for c, cell in zip(columns, flow_statistics.cells(f, columns, exact), strict=True)}

    def area_out(a) -> dict:
        return {"code": a.code, "name": a.name, "population": a.population, "total": figures(a.total)}

    return {
        "county": county,
        "start": stats.start,
        "end": stats.end,
        "granularity": granularity,
        "grace_days": stats.grace_days,
        "exact": exact,
        "municipalities": [area_out(a) for a in stats.municipalities],
        "county_total": area_out(stats.county),
        "requested_to": stats.requested_end,
        "series_for": area.code,
        "series": [{"start": b.start, "end": b.end, "figures": figures(b.figures)} for b in area.buckets],
    }
