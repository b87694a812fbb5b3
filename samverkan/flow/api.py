from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from samverkan.flow import imports, selectors
from samverkan.flow import statistics as flow_statistics
from samverkan.organisations import policy

router = Router(tags=["patient flow"])
MAX_EPISODES_PER_CALL = 10_000


class EpisodeIn(Schema):
    """The canonical CSV's fields, as JSON strings (or null); see the README for the rules."""

    source_id: str
    personnummer: str | None = None
    birth_year: int | str | None = None
    sex: str | None = None
    home_municipality: str
    hospital_unit: str | None = None
    care_type: str
    admitted_at: str
    admission_notice_at: str | None = None
    estimated_discharge_date: str | None = None
    ready_at: str | None = None
    sip_called_at: str | None = None
    discharged_at: str | None = None
    destination: str | None = None
    covid: bool | str | None = None


class EpisodesIn(Schema):
    source: str = Field(description="Source system name (created on first use).")
    county: str = Field(description="The county whose region sends the episodes.")
    episodes: list[EpisodeIn]
    dry_run: bool = False


class ImportOut(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int
    dry_run: bool


class ImportErrors(Schema):
    detail: str
    errors: list[dict]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


@router.post(
    "/flow/episodes",
    url_name="flow_episodes_import",
    response={201: ImportOut, 200: ImportOut, 422: ImportErrors},
    summary="Import episodes (all or nothing; row N is the Nth episode in the list, from 1)",
)
def import_episodes(request, payload: EpisodesIn):
    who = policy.principal_of(request)
    if not policy.can(who, "flow.import", policy.Place(county=payload.county)):
        raise PermissionDenied
    if any("\x00" in _text(v) for e in payload.episodes for v in e.dict().values()):
        return Status(422, {"detail": "A value contains a NUL character; nothing was imported.", "errors": []})
    if len(payload.episodes) > MAX_EPISODES_PER_CALL:
        return Status(422, {"detail": f"At most {MAX_EPISODES_PER_CALL} episodes per call.", "errors": []})
    rows = (
        (number, {key: _text(value) for key, value in episode.dict().items()})
        for number, episode in enumerate(payload.episodes, start=1)
    )
    result = imports.import_rows(
        source=imports.source_for(payload.county, payload.source.strip()),
        rows=rows,
        by=who,
        file_format="api",
        dry_run=payload.dry_run,
    )
    if not result.ok:
        return Status(
            422,
            {"detail": f"Nothing was imported: {result.total_errors} errors.", "errors": result.errors},
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
    grace_days: int
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
    series_for: str = Field(description="The county's or the municipality's code the series is for.")
    series: list[BucketOut]


class StatisticsQuery(Schema):
    county: str
    start: datetime.date = Field(alias="from", description="First local date, included.")
    end: datetime.date = Field(alias="to", description="Last local date, included.")
    granularity: flow_statistics.Granularity = Field(
        flow_statistics.Granularity.WEEK, description="day only for roles with exact counts"
    )
    municipality: str | None = Field(None, description="The series is for this municipality (default: the county).")
    care_type: str = ""
    age_band: str = Field("", description="One of " + ", ".join(flow_statistics.AGE_BANDS) + ".")
    covid: bool | None = None
    hospital_unit: int | None = None


class StatisticsError(Schema):
    detail: str


@router.get(
    "/flow/statistics",
    url_name="flow_statistics",
    response={200: StatisticsOut, 422: StatisticsError},
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
        "series_for": area.code,
        "series": [{"start": b.start, "end": b.end, "figures": figures(b.figures)} for b in area.buckets],
    }
