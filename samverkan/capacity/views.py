from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from samverkan import limits, tables
from samverkan.capacity import exports, selectors, services, tasks, thresholds
from samverkan.capacity.forms import PlannedChangeForm, QuickReportForm, ScheduleForm
from samverkan.capacity.models import BedCategory, CapacityReport, PlannedChange
from samverkan.charts import Series, line_chart
from samverkan.organisations import policy
from samverkan.organisations.models import County, Unit, UnitKind
from samverkan.organisations.selectors import county_list


def _overview_args(request: HttpRequest) -> dict:
    kind = request.GET.get("kind") or None
    return {
        "county_code": request.GET.get("county") or None,
        "category": request.GET.get("category") or None,
        "kind": kind if kind in UnitKind.values else None,
        "sort": request.GET.get("sort") if request.GET.get("sort") in selectors.SORT_KEYS else "municipality",
    }


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    args = _overview_args(request)
    data = selectors.county_overview(request.user, **args)
    series = selectors.county_free_places_series(
        request.user, data.county.code, days=60, kind=args["kind"], category=args["category"]
    )
    chart = line_chart(
        [  # a day without a current report is a gap, not 0
            Series(_("Free places"), [(p.day, p.free if p.reporting_units else None) for p in series], "series-1"),
            Series(_("Occupied"), [(p.day, p.occupied if p.reporting_units else None) for p in series], "series-2"),
        ],
        label=_("Free and occupied places in the county per day, last 60 days; the figures are in the table below."),
    )
    query = request.GET.copy()
    query.pop("sort", None)
    limits = thresholds.for_county(data.county.code)
    return render(
        request,
        "capacity/overview.html",
        {
            "overview": data,
            "thresholds": limits,
            "unit_levels": {
                row.unit_id: thresholds.level(None if row.stale else row.free, row.occupancy_rate, limits)
                for row in data.rows
            },
            "group_levels": {
                group.code: thresholds.level(group.totals.free, group.totals.occupancy_rate, limits)
                for group in data.municipalities
                if group.totals.reporting_units
            },
            "county_level": thresholds.level(data.totals.free, data.totals.occupancy_rate, limits)
            if data.totals.reporting_units
            else "",
            "series": series,
            "chart": chart,
            "counties": county_list(request.user),
            "categories": BedCategory.objects.filter(county_id=data.county.code),
            "may_see_national": policy.can(request.user, "organisations.view_country"),
            "national": selectors.NATIONAL,
            "kinds": UnitKind.choices,
            "args": args,
            "query_without_sort": query.urlencode(),
            "reportable": selectors.reportable_unit_ids(request.user),
            "may_follow_up": policy.can(request.user, "capacity.follow_up", policy.Place(county=data.county.code)),
        },
    )


@login_required
def overview_export(request: HttpRequest, fmt: str) -> HttpResponse:
    data = selectors.county_overview(request.user, **_overview_args(request))
    stamp = timezone.localtime(data.generated_at).strftime("%Y%m%d-%H%M")
    name = f"kapacitet-{data.county.code}-{stamp}"
    if fmt == "csv":
        return tables.download(exports.overview_csv(data), f"{name}.csv")
    return tables.download(exports.overview_xlsx(data), f"{name}.xlsx")


@login_required
def unit_page(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_detail(request.user, unit_id)
    history = selectors.unit_history(unit)
    chronological = list(reversed(history))
    chart = line_chart(
        [
            Series(
                _("Staffed"), [(timezone.localtime(r.reported_at).date(), r.staffed) for r in chronological], "series-3"
            ),
            Series(
                _("Occupied"),
                [(timezone.localtime(r.reported_at).date(), r.occupied) for r in chronological],
                "series-2",
            ),
        ],
        label=_("Staffed and occupied places per report, last 90 days; the figures are in the table below."),
    )
    may_report = policy.can(request.user, "capacity.report", unit)
    return render(
        request,
        "capacity/unit.html",
        {
            "unit": unit,
            "history": history,
            "chart": chart,
            "planned": selectors.unit_planned_changes(unit),
            "may_report": may_report,
            "planned_form": PlannedChangeForm() if may_report else None,
        },
    )


def _report_initial(unit: Unit, last: CapacityReport | None) -> dict:
    if last is None:
        return {"open_for_admission": "1", "surge": 0}
    initial = {
        "occupied": last.occupied,
        "staffed": last.staffed,
        "physical": last.physical,
        "surge": last.surge,
        "open_for_admission": "1" if last.open_for_admission else "0",
        "closure_reason": last.closure_reason,
    }
    for figures in last.categories.all():
        initial[f"cat_{figures.category.code}_staffed"] = figures.staffed
        initial[f"cat_{figures.category.code}_occupied"] = figures.occupied
    return initial


@login_required
def report(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_detail(request.user, unit_id)
    if not policy.can(request.user, "capacity.report", unit):
        raise PermissionDenied
    categories = BedCategory.objects.filter(county_id=unit.municipality.county_id)
    reports = unit.capacity_reports.prefetch_related("categories__category")
    corrects_text = request.POST.get("corrects") or request.GET.get("corrects")
    # A correction is a new report for the moment of the report it corrects, prefilled from it.
    corrects = get_object_or_404(reports, pk=limits.key(corrects_text)) if corrects_text else None
    shown = corrects or reports.order_by("-reported_at", "-id").first()
    form = QuickReportForm(request.POST or None, initial=_report_initial(unit, shown), categories=categories)
    if request.method == "POST" and form.is_valid():
        data = services.ReportInput(
            unit=unit,
            physical=form.cleaned_data["physical"],
            staffed=form.cleaned_data["staffed"],
            occupied=form.cleaned_data["occupied"],
            surge=form.cleaned_data["surge"],
            open_for_admission=form.cleaned_data["open_for_admission"],
            closure_reason="" if form.cleaned_data["open_for_admission"] else form.cleaned_data["closure_reason"],
            comment=form.cleaned_data["comment"],
            categories=form.category_figures(),
            corrects=corrects,
            reported_at=corrects.reported_at if corrects else None,
        )
        try:
            saved = services.capacity_report_create(data=data, by=policy.actor_of(request))
        except ValidationError as error:
            for field_name, field_messages in error.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, field_messages)
        else:
            text = _("Thank you: %(unit)s has reported. Free places: %(free)d.") % {
                "unit": unit.name,
                "free": selectors.unit_free_places(unit),
            }
            if saved.surge_while_closed:
                text += " " + _("Note: the unit is closed for admission but reports surge places.")
            messages.success(request, text)
            return redirect("capacity:unit", unit_id=unit.pk)
    return render(request, "capacity/report.html", {"unit": unit, "form": form, "corrects": corrects})


@login_required
@require_POST
def planned_change_add(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_detail(request.user, unit_id)
    if not policy.can(request.user, "capacity.report", unit):
        raise PermissionDenied
    form = PlannedChangeForm(request.POST)
    if form.is_valid():
        try:
            services.planned_change_create(unit=unit, by=policy.actor_of(request), **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The planned change is saved."))
    else:
        messages.error(
            request,
            " ".join(
                f"{form.fields[f].label}: {' '.join(str(m) for m in e)}"
                for f, e in form.errors.items()
                if f in form.fields
            )
            or _("Check the planned change."),
        )
    return redirect("capacity:unit", unit_id=unit.pk)


@login_required
@require_POST
def planned_change_cancel(request: HttpRequest, change_id: int) -> HttpResponse:
    change = (
        PlannedChange.objects.visible_to(request.user, "capacity.view").select_related("unit").get_or_404(pk=change_id)
    )
    services.planned_change_cancel(change=change, by=policy.actor_of(request))
    messages.success(request, _("The planned change is cancelled."))
    return redirect("capacity:unit", unit_id=change.unit_id)


@login_required
def completeness(request: HttpRequest) -> HttpResponse:
    data = selectors.reporting_completeness(request.user, request.GET.get("county") or None)
    return render(
        request,
        "capacity/completeness.html",
        {
            "data": data,
            "counties": county_list(request.user),
            "schedule": selectors.schedule_for(data.county),
            "may_manage_schedule": policy.can(
                request.user, "capacity.manage_schedule", policy.Place(county=data.county.code)
            ),
        },
    )


@login_required
@require_POST
def send_reminders(request: HttpRequest) -> HttpResponse:
    county = request.POST.get("county", "")
    policy.require(request.user, "capacity.manage_schedule", policy.Place(county=county))
    tasks.send_overdue_reminders.enqueue(county_code=county)
    messages.success(request, _("Reminders are being sent to the units that have not reported."))
    return redirect(f"{reverse('capacity:completeness')}?county={county}")


@login_required
def schedule_edit(request: HttpRequest, county_code: str) -> HttpResponse:
    county = get_object_or_404(County, code=county_code)
    policy.require(request.user, "capacity.manage_schedule", policy.Place(county=county.code))
    schedule = services.reporting_schedule_for(county.code)
    form = ScheduleForm(request.POST or None, instance=schedule)
    if request.method == "POST" and form.is_valid():
        services.reporting_schedule_update(schedule=schedule, by=policy.actor_of(request), **form.changes())
        messages.success(request, _("The reporting schedule is saved."))
        return redirect(f"{reverse('capacity:completeness')}?county={county.code}")
    return render(request, "capacity/schedule.html", {"form": form, "county": county})
