from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from samverkan.charts import Series, line_chart
from samverkan.flow import exports, imports, selectors
from samverkan.flow import statistics as flow_statistics
from samverkan.flow.forms import EpisodeFilterForm, StatisticsForm, UploadForm
from samverkan.flow.models import Destination, ImportRun
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality, Unit, UnitKind


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
            is_excel = data["file"].name.lower().endswith(".xlsx")
            if is_excel:
                rows = imports.read_xlsx(data["file"].read(), sheet=data["sheet"] or None)
            else:
                rows = imports.read_csv(
                    data["file"].read(), encoding=data["encoding"] or None, delimiter=data["delimiter"] or None
                )
            result = imports.import_rows(
                source=source,
                rows=rows,
                by=request.user,
                filename=data["file"].name,
                file_format="xlsx" if is_excel else "csv",
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
    form = EpisodeFilterForm(request.GET or None, municipalities=Municipality.objects.filter(county_id=county))
    rows = None
    if form.is_valid():
        rows = selectors.episode_list(
            request.user,
            county_code=county,
            municipality=form.cleaned_data["municipality"] or None,
            reason=form.cleaned_data["reason"],
        )
    return render(request, "flow/episodes.html", {"form": form, "rows": rows, "county": county})


def _statistics(request: HttpRequest):
    """The statistics of the page or its export: (form, statistics or None, chosen area, exact)."""
    county = _county(request)
    policy.require(request.user, "flow.statistics", county_code=county)
    county_name = County.objects.filter(code=county).values_list("name", flat=True).get()
    municipalities = list(Municipality.objects.filter(county_id=county).order_by("name").values_list("code", "name"))
    hospital_units = Unit.objects.filter(
        organisation__county_id=county, kind__in=[UnitKind.HOSPITAL_WARD, UnitKind.ICU]
    ).values_list("pk", "name")
    form = StatisticsForm(
        request.GET, county_name=county_name, municipalities=municipalities, hospital_units=hospital_units
    )
    if not form.is_valid():
        return county, county_name, form, None, None
    data = form.cleaned_data
    stats = selectors.statistics(
        request.user,
        county_code=county,
        start=data["start"],
        end=data["end"],
        granularity=data["granularity"],
        filters=form.filters(),
    )
    return county, county_name, form, stats, stats.area(data["municipality"] or None)


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    county, county_name, form, stats, area = _statistics(request)
    exact = selectors.shows_exact_counts(request.user)
    context = {
        "form": form,
        "stats": stats,
        "area": area,
        "county": {"code": county, "name": county_name},
        "exact": exact,
        "may_import": policy.can(request.user, "flow.import", county_code=county),
        "may_see_episodes": policy.can(request.user, "flow.episodes", county_code=county),
        "export_query": request.GET.urlencode(),
    }
    if stats is not None:
        main, destinations = flow_statistics.main_columns(stats.grace_days), flow_statistics.destination_columns()
        rows = [*stats.municipalities, stats.county]
        context.update(
            {
                "main_columns": main,
                "main_rows": [(a, flow_statistics.cells(a.total, main, exact)) for a in rows],
                "destination_columns": destinations,
                "destination_rows": [(a, flow_statistics.cells(a.total, destinations, exact)) for a in rows],
                "series_rows": [(b, flow_statistics.cells(b.figures, main, exact)) for b in area.buckets],
                "chart": _chart(area, exact),
                "grace_days": stats.grace_days,
            }
        )
    return render(request, "flow/statistics.html", context)


def _chart(area, exact: bool):
    def points(attribute: str):
        result = []
        for bucket in area.buckets:
            value = flow_statistics.count_cell(getattr(bucket.figures, attribute), exact).value
            result.append((bucket.start, float(value) if isinstance(value, int) else None))
        return result

    return line_chart(
        [
            Series(_("Admissions"), points("admissions"), "series-1"),
            Series(_("Discharges"), points("discharges"), "series-2"),
            Series(_("Ready, in hospital at end"), points("ready_in_hospital"), "series-3"),
        ],
        label=_(
            "Admissions, discharges and patients ready for discharge still in hospital for %(area)s per period; "
            "the figures are in the table below."
        )
        % {"area": area.name},
    )


@login_required
def statistics_export(request: HttpRequest, fmt: str) -> HttpResponse:
    county, _name, form, stats, area = _statistics(request)
    if stats is None:
        return HttpResponse(
            "; ".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    exact = selectors.shows_exact_counts(request.user)
    name = f"flode-{county}-{stats.start:%Y%m%d}-{stats.end:%Y%m%d}-{stats.granularity}"
    if fmt == "csv":
        response = HttpResponse(
            exports.statistics_csv(stats, area, exact=exact), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    response = HttpResponse(
        exports.statistics_xlsx(stats, area, exact=exact),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
