from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from samverkan import tables
from samverkan.charts import Series, line_chart
from samverkan.flow import exports, imports, selectors, services, tasks, uploads
from samverkan.flow import statistics as flow_statistics
from samverkan.flow.forms import ColumnMappingForm, EpisodeFilterForm, StatisticsForm, UploadForm
from samverkan.flow.models import ColumnLayout, Destination, ImportRun, ImportStatus, Source, UnitMapping
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality, Unit, UnitKind
from samverkan.organisations.selectors import county_of_page


def _county(request: HttpRequest) -> str:
    return county_of_page(request.user, request.GET.get("county") or request.POST.get("county"))


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    policy.require(request.user, "flow.import", policy.Place(county=county))
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    layout = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        file = data["file"]
        file_format = uploads.format_of(file.name)
        options = {"encoding": data["encoding"], "delimiter": data["delimiter"], "sheet": data["sheet"]}
        try:
            if file_format == "fhir":
                header = None
            else:
                start = file if file_format == "xlsx" else uploads.head_of(file)
                header = uploads.preview(start, file_format, options, rows=0).header
        except imports.FileRejected as rejected:
            if file_format == "xlsx":  # a workbook that cannot be opened, or over the limits: said at once
                for e in rejected.errors:
                    form.add_error("file", e.message)
                return _upload_page(request, county, form)
            header = None  # the import below reports why
        source_name = data["source"].strip()
        known_source = Source.objects.filter(county_id=county, name=source_name).first()
        # A header that cannot hold the required columns (one column: the wrong delimiter?) or
        # that is data (a personnummer in row 1: no header row) goes to the reader, which says
        # what is wrong (and never quotes a personnummer).
        needs_mapping = (
            header is not None
            and not uploads.is_canonical(header)
            and len([c for c in header if c]) >= len(imports.REQUIRED_COLUMNS)
            and not uploads.holds_identity_numbers(header)
        )
        if needs_mapping and header is not None and known_source is not None:
            layout = uploads.layout_for(known_source, header)
            needs_mapping = layout is None
        file.seek(0)
        if needs_mapping or file.size > settings.IMPORT_BACKGROUND_BYTES or file_format == "xlsx":
            # Kept for the next step, the mapping page or the task worker, a chunk at a time. An
            # Excel workbook, however small, is read by the worker: a few packed bytes can hold
            # much to unpack (samverkan/flow/workbooks.py).
            run = services.upload_store(
                chunks=file.chunks(),
                size=file.size,
                source=services.source_for(county=county, name=source_name, by=policy.actor_of(request)),
                by=policy.actor_of(request),
                filename=file.name,
                file_format=file_format,
                status=ImportStatus.MAPPING if needs_mapping else ImportStatus.QUEUED,
                dry_run=data["dry_run"],
                layout=layout,
                read_options=options,
            )
            if needs_mapping:
                return redirect("flow:import_mapping", run_id=run.pk)
            tasks.import_upload.enqueue(run_id=run.pk)
            return redirect("flow:import_detail", run_id=run.pk)
        with transaction.atomic():
            source = services.source_for(county=county, name=source_name, by=policy.actor_of(request))
            rows = uploads.read_rows(
                file.read(), file_format, options, layout=layout.mapping if layout else None, source=source
            )
            result = services.episodes_import(
                source=source,
                rows=rows,
                by=policy.actor_of(request),
                filename=file.name,
                file_format=file_format,
                dry_run=data["dry_run"],
                layout=layout,
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
            if run.skipped:
                messages.info(request, _skipped_text(run.skipped))
            if layout is not None:
                messages.info(request, _layout_message(layout))
            return redirect(f"{request.path}?county={county}")
    return _upload_page(request, county, form, result=result, layout=layout)


def _upload_page(request: HttpRequest, county: str, form: UploadForm, *, result=None, layout=None) -> HttpResponse:
    return render(
        request,
        "flow/upload.html",
        {
            "form": form,
            "result": result,
            "layout": layout,
            "county": get_object_or_404(County, code=county),
            "history": selectors.import_history(request.user, county)[:20],
            "layouts": selectors.column_layouts(request.user, county),
            "columns": imports.CANONICAL_COLUMNS,
            "required": imports.REQUIRED_COLUMNS,
            "destinations": Destination.choices,
            "xlsx_max_rows": settings.IMPORT_XLSX_MAX_ROWS,
        },
    )


def _layout_message(layout: ColumnLayout) -> str:
    return _("The columns were read with the layout saved for %(source)s on %(date)s by %(user)s.") % {
        "source": layout.source.name,
        "date": formats.date_format(timezone.localtime(layout.saved_at), "SHORT_DATETIME_FORMAT"),
        "user": layout.saved_by.get_full_name() if layout.saved_by else "–",
    }


@login_required
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.import_run_detail(request.user, run_id)
    return render(request, "flow/import_detail.html", {"run": run, "progress": _progress(run)})


def _skipped_text(count: int) -> str:
    """What a FHIR import left out: Encounters that are not inpatient stays (flow/fhir.py)."""
    return ngettext(
        "%(count)s encounter was not an inpatient stay and was skipped.",
        "%(count)s encounters were not inpatient stays and were skipped.",
        count,
    ) % {"count": formats.number_format(count, force_grouping=True)}


def _progress(run: ImportRun) -> dict:
    """Where an import stands, for its page and its status address (flow/_import_progress.html, polled by htmx).
    The bar runs to the estimate (or the rows read, when more) and is full once the import is done."""
    rows = formats.number_format(run.rows, force_grouping=True)
    bar_max = max(run.rows_estimate, run.rows) if run.rows_estimate else None
    if run.status == ImportStatus.RUNNING and run.rows_estimate:
        text = _("%(rows)s of about %(total)s rows read") % {
            "rows": rows,
            "total": formats.number_format(max(run.rows_estimate, run.rows), force_grouping=True),
        }
    elif run.status == ImportStatus.RUNNING:
        text = _("%(rows)s rows read") % {"rows": rows}
    elif run.status == ImportStatus.QUEUED:
        text = _("Waiting for the task worker to start the import.")
    elif run.status == ImportStatus.DONE and run.dry_run:
        text = _("Checked: the file is correct; %(rows)s rows would be imported. Nothing was imported.") % {
            "rows": rows
        }
    elif run.status == ImportStatus.DONE:
        text = _("Imported %(rows)s rows: %(new)s new, %(updated)s updated, %(unchanged)s unchanged.") % {
            "rows": rows,
            "new": formats.number_format(run.created, force_grouping=True),
            "updated": formats.number_format(run.updated, force_grouping=True),
            "unchanged": formats.number_format(run.unchanged, force_grouping=True),
        }
    elif run.status == ImportStatus.REJECTED:
        text = ngettext(
            "The file was not imported: %(count)s error. Nothing in it was saved.",
            "The file was not imported: %(count)s errors. Nothing in it was saved.",
            len(run.errors),
        ) % {"count": formats.number_format(len(run.errors), force_grouping=True)}
    elif run.status == ImportStatus.MAPPING:
        text = _("Waiting for the column mapping.")
    else:
        text = _("Cancelled: nothing was imported.")
    if run.status == ImportStatus.DONE and run.skipped:
        text = f"{text} {_skipped_text(run.skipped)}"
    return {
        "status_label": run.get_status_display(),
        "finished": not run.is_open,
        "text": text,
        "bar_max": bar_max,
        "bar_value": bar_max if run.status == ImportStatus.DONE else run.rows,
    }


@login_required
def import_status(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress card again, with the status and (at the end) the announcement out of band."""
    run = selectors.import_run_detail(request.user, run_id)
    response = render(request, "flow/_import_progress.html", {"run": run, "progress": _progress(run), "polled": True})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def import_mapping(request: HttpRequest, run_id: int) -> HttpResponse:
    """Step two for a file in another layout: which file column holds each canonical column."""
    run = selectors.import_run_detail(request.user, run_id)
    if run.status != ImportStatus.MAPPING:
        return redirect("flow:import_detail", run_id=run.pk)
    path = uploads.stored_path(run)
    if path is None:
        services.import_cancel(run=run, by=policy.actor_of(request), reason="file gone")
        messages.error(request, _("The uploaded file is no longer kept; upload it again."))
        return redirect(f"{reverse('flow:upload')}?county={run.source.county_id}")
    if request.method == "POST" and "cancel" in request.POST:
        services.import_cancel(run=run, by=policy.actor_of(request))
        messages.info(request, _("The import was cancelled and the uploaded file deleted."))
        return redirect(f"{reverse('flow:upload')}?county={run.source.county_id}")
    with path.open("rb") as handle:
        start = handle if run.file_format == "xlsx" else uploads.head_of(handle)
        preview = uploads.preview(start, run.file_format, run.read_options)
    form = ColumnMappingForm(
        request.POST or None, header=preview.header, initial=uploads.suggested_mapping(run.source, preview.header)
    )
    if request.method == "POST" and form.is_valid():
        # Claimed once: a second submission (a double click) finds the step over.
        if not services.import_mapping_choose(
            run=run, header=preview.header, mapping=form.mapping(), by=policy.actor_of(request)
        ):
            return redirect("flow:import_detail", run_id=run.pk)
        if run.file_size > settings.IMPORT_BACKGROUND_BYTES or run.file_format == "xlsx":
            tasks.import_upload.enqueue(run_id=run.pk)
        else:
            services.import_stored(run=run, by=policy.actor_of(request))
        return redirect("flow:import_detail", run_id=run.pk)
    return render(
        request,
        "flow/import_mapping.html",
        {
            "run": run,
            "form": form,
            "preview": preview,
            "preview_columns": [
                (column, [line[i] for line in preview.rows]) for i, column in enumerate(preview.header) if column
            ],
            "required": imports.REQUIRED_COLUMNS,
        },
    )


@login_required
def import_layout_edit(request: HttpRequest, layout_id: int) -> HttpResponse:
    """Change a saved column layout; the next file with its header is read with the change."""
    layout = selectors.column_layout_detail(request.user, layout_id)
    form = ColumnMappingForm(
        request.POST or None, header=layout.header, initial=ColumnMappingForm.initial_for(layout.mapping)
    )
    if request.method == "POST" and form.is_valid():
        services.column_layout_save(
            source=layout.source, header=layout.header, mapping=form.mapping(), by=policy.actor_of(request)
        )
        messages.success(request, _("The column layout was saved."))
        return redirect(f"{reverse('flow:upload')}?county={layout.source.county_id}")
    return render(request, "flow/layout_edit.html", {"layout": layout, "form": form})


@login_required
def episodes(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    policy.require(request.user, "flow.view_episodes", policy.Place(county=county))
    form = EpisodeFilterForm(
        request.GET if "reason" in request.GET else None,
        initial=request.GET.dict(),  # e.g. a link from the home page that chooses the filters
        municipalities=selectors.episode_municipalities(request.user, county),
        county_municipalities=Municipality.objects.filter(county_id=county),
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
        {
            "form": form,
            "page": page,
            "county": county,
            "query": query.urlencode(),
            # patients still in hospital: days waiting instead of discharge columns that would be empty
            "waiting_list": page is not None and form.cleaned_data.get("status") == selectors.EpisodeStatus.WAITING,
        },
    )


def _statistics(request: HttpRequest):
    """The statistics of the page or its export: (county, county name, form, statistics or None,
    chosen area or None, exact). Exact figures for roles with exact counts, a reader's otherwise."""
    county = _county(request)
    policy.require(request.user, "flow.statistics", policy.Place(county=county))
    exact = selectors.shows_exact_counts(request.user, county)
    county_name = get_object_or_404(County, code=county).name
    municipalities = list(Municipality.objects.filter(county_id=county).order_by("name").values_list("code", "name"))
    hospital_units = Unit.objects.filter(
        organisation__county_id=county, kind__in=[UnitKind.HOSPITAL_WARD, UnitKind.ICU]
    ).values_list("pk", "name")
    form = StatisticsForm(
        request.GET,
        county_name=county_name,
        municipalities=municipalities,
        hospital_units=hospital_units,
        exact=exact,
    )
    if not form.is_valid():
        return county, county_name, form, None, None, exact
    data = form.cleaned_data
    stats = selectors.statistics(
        request.user,
        county_code=county,
        start=data["start"],
        end=data["end"],
        granularity=data["granularity"],
        filters=form.filters(),
    )
    return county, county_name, form, stats, stats.area(data["municipality"] or None), exact


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    county, county_name, form, stats, area, exact = _statistics(request)
    context = {
        "form": form,
        "stats": stats,
        "area": area,
        "county": {"code": county, "name": county_name},
        "exact": exact,
        "may_import": policy.can(request.user, "flow.import", policy.Place(county=county)),
        "may_see_episodes": policy.can(request.user, "flow.view_episodes", policy.Place(county=county)),
        "export_query": request.GET.urlencode(),
        "rounding_base": flow_statistics.ROUNDING_BASE,
        "reader_min_patients": flow_statistics.READER_MIN_PATIENTS,
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
                "series_rows": [
                    (b, flow_statistics.cells(b.figures, main, exact), flow_statistics.is_whole(b, stats.granularity))
                    for b in area.buckets
                ],
                "partial_periods": not all(flow_statistics.is_whole(b, stats.granularity) for b in area.buckets),
                "chart": _chart(area, exact, stats.granularity),
                "grace_days": stats.grace_days,
            }
        )
    return render(request, "flow/statistics.html", context)


def _chart(area, exact: bool, granularity: str):
    """Whole periods only: a week or month cut by the period or by today is in the table (marked)
    but not drawn, as a part beside whole ones would look like a fall."""
    whole = [bucket for bucket in area.buckets if flow_statistics.is_whole(bucket, granularity)]

    def points(attribute: str) -> list[tuple[datetime.date, float | None]]:
        counts = [flow_statistics.count_cell(getattr(bucket.figures, attribute), exact) for bucket in whole]
        return [
            (bucket.start, None if count.value is None else float(count.value))
            for bucket, count in zip(whole, counts, strict=True)
        ]

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
    county, _name, form, stats, area, exact = _statistics(request)
    if stats is None:
        return HttpResponse(
            "; ".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    name = f"flode-{county}-{stats.start:%Y%m%d}-{stats.end:%Y%m%d}-{stats.granularity}"
    if fmt == "csv":
        return tables.download(exports.statistics_csv(stats, area, exact=exact), f"{name}.csv")
    return tables.download(exports.statistics_xlsx(stats, area, exact=exact), f"{name}.xlsx")
