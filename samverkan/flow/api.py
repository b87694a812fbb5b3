from __future__ import annotations

from django.core.exceptions import PermissionDenied
from ninja import Field, Router, Schema
from ninja.responses import Status

from samverkan.apiauth import principal
from samverkan.flow import imports
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
    who = principal(request)
    if not policy.can(who, "flow.import", county_code=payload.county):
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
