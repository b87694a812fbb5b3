from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from samverkan.capacity.schedule import LOCAL
from samverkan.flow import imports, selectors
from samverkan.flow.fhir import read_fhir
from samverkan.flow.forms import EpisodeFilterForm, UploadForm
from samverkan.flow.models import Destination, ImportRun, UnitMapping
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality, Unit


def _county(request: HttpRequest) -> str:
    return policy.county_in_scope(request.user, request.GET.get("county") or request.POST.get("county"))


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    policy.require(request.user, "flow.import", county_code=county)
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            source = imports.source_for(county, data["source"].strip())
            name = data["file"].name.lower()
            file_format = "xlsx" if name.endswith(".xlsx") else "fhir" if name.endswith(".json") else "csv"
            if file_format == "xlsx":
                rows = imports.read_xlsx(data["file"].read(), sheet=data["sheet"] or None)
            elif file_format == "fhir":
                rows = read_fhir(data["file"].read())
            else:
                rows = imports.read_csv(
                    data["file"].read(), encoding=data["encoding"] or None, delimiter=data["delimiter"] or None
                )
            result = imports.import_rows(
                source=source,
                rows=rows,
                by=request.user,
                filename=data["file"].name,
                file_format=file_format,
                dry_run=data["dry_run"],
            )
            if data["dry_run"]:
                transaction.set_rollback(True)  # a check leaves no trace, not even a new source name
        if result.ok and not data["dry_run"]:
            run = result.run
            messages.success(
                request,
                _("Imported %(rows)d rows: %(new)d new, %(updated)d updated, %(unchanged)d unchanged.")
                % {"rows": run.rows, "new": run.created, "updated": run.updated, "unchanged": run.unchanged},
            )
            return redirect(f"{request.path}?county={county}")
    return render(
        request,
        "flow/upload.html",
        {
            "form": form,
            "result": result,
            "county": County.objects.get(code=county),
            "history": selectors.import_history(request.user, county)[:20],
            "columns": imports.CANONICAL_COLUMNS,
            "required": imports.REQUIRED_COLUMNS,
            "destinations": Destination.choices,
        },
    )


@login_required
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(ImportRun.objects.select_related("source", "imported_by"), pk=run_id)
    policy.require(request.user, "flow.import", county_code=run.source.county_id)
    return render(request, "flow/import_detail.html", {"run": run})


@login_required
def episodes(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    policy.require(request.user, "flow.episodes", county_code=county)
    form = EpisodeFilterForm(
        request.GET if "reason" in request.GET else None,
        initial=request.GET.dict(),  # e.g. a link from the home page that chooses the filters
        municipalities=Municipality.objects.filter(county_id=county),
        hospital_units=Unit.objects.filter(
            pk__in=UnitMapping.objects.filter(source__county_id=county).values("unit_id")
        ).order_by("name"),
    )
    page = None
    if form.is_valid():
        try:
            number = int(request.GET.get("page", "1"))
        except ValueError:
            number = 1
        page = selectors.episode_list(
            request.user, county_code=county, filters=form.filters(), reason=form.cleaned_data["reason"], page=number
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "flow/episodes.html",
        {"form": form, "page": page, "county": county, "query": query.urlencode()},
    )


def _period(request: HttpRequest) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    try:
        start = datetime.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = today - datetime.timedelta(days=30)
    try:
        end = datetime.date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    start, end = _period(request)
    figures = selectors.statistics(
        request.user,
        county_code=county,
        start=datetime.datetime.combine(start, datetime.time(0), tzinfo=LOCAL),
        end=datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(0), tzinfo=LOCAL),
    )
    return render(
        request,
        "flow/statistics.html",
        {
            "figures": figures,
            "county": County.objects.get(code=county),
            "start": start,
            "end": end,
            "exact": selectors.shows_exact_counts(request.user),
            "destinations": Destination.choices,
            "may_import": policy.can(request.user, "flow.import", county_code=county),
            "may_see_episodes": policy.can(request.user, "flow.episodes", county_code=county),
        },
    )
