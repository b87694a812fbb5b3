from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from samverkan import limits, tables
from samverkan.organisations import policy
from samverkan.organisations.models import County
from samverkan.organisations.selectors import county_of_page
from samverkan.situation import csvfigures, opendata, pdf, selectors, services
from samverkan.situation.forms import (
    CommentsForm,
    DayFiguresForm,
    FiguresFileForm,
    IndicatorForm,
    ScheduleForm,
    SubscriptionForm,
)
from samverkan.situation.models import FigureSource, SituationReport, SituationSettings, Subscription
from samverkan.situation.presentation import report_view

TABLE_DAYS = 42


def _county(request: HttpRequest, action: str = "situation.view") -> str:
    return county_of_page(request.user, request.GET.get("county") or request.POST.get("county"), action)


def _error_list(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{key}: {message}" for key, messages_ in error.message_dict.items() for message in messages_]
    return list(error.messages)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    place = policy.Place(county=county)
    reports = selectors.published_reports(request.user, county)
    latest = reports.first()
    return render(
        request,
        "situation/home.html",
        {
            "county": get_object_or_404(County, code=county),
            "latest": report_view(latest) if latest else None,
            "reports": reports[:100],
            "draft": selectors.draft_of(request.user, county),
            "may_prepare": policy.can(request.user, "situation.prepare", place),
            "public": SituationSettings.objects.filter(county_id=county, public=True).exists(),
            "schedule_form": ScheduleForm(
                instance=SituationSettings.objects.filter(county_id=county).first()
                or SituationSettings(county_id=county, enabled=False)
            ),
        },
    )


@login_required
@require_POST
def schedule(request: HttpRequest) -> HttpResponse:
    county = get_object_or_404(County, code=_county(request, "situation.prepare"))
    policy.require(request.user, "situation.prepare", policy.Place(county=county.code))
    form = ScheduleForm(request.POST)
    if form.is_valid():
        services.settings_save(
            county=county,
            enabled=form.cleaned_data["enabled"],
            weekday=form.cleaned_data["weekday"],
            time=form.cleaned_data["time"],
            public=form.cleaned_data["public"],
            by=policy.actor_of(request),
        )
        messages.success(request, _("The settings are saved."))
    else:
        for text in _error_list(ValidationError(form.errors)):
            messages.error(request, text)
    return redirect(f"{reverse('situation:home')}?county={county.code}")


@login_required
@require_POST
def prepare(request: HttpRequest) -> HttpResponse:
    county = get_object_or_404(County, code=_county(request, "situation.prepare"))
    try:
        draft = services.report_prepare(county=county, by=policy.actor_of(request))
    except services.Conflict as conflict:
        messages.error(request, str(conflict))
        return redirect(f"{reverse('situation:home')}?county={county.code}")
    messages.success(request, _("The draft holds the figures as they stand now."))
    return redirect("situation:detail", report_id=draft.pk)


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_detail(request.user, report_id)
    may_prepare = policy.can(request.user, "situation.prepare", report)
    return render(
        request,
        "situation/report.html",
        {
            "view": report_view(report),
            "report": report,
            "newer": selectors.newer_version(report),
            "deliveries": selectors.deliveries(request.user, report) if report.is_published else None,
            "may_prepare": may_prepare,
            "may_publish": not report.is_published and policy.can(request.user, "situation.publish", report),
            "comments_form": CommentsForm(initial=report.comments) if may_prepare and not report.is_published else None,
        },
    )


def _report_for_preparer(request: HttpRequest, report_id: int) -> SituationReport:
    report = selectors.report_detail(request.user, report_id)
    policy.require(request.user, "situation.prepare", report)
    return report


@login_required
@require_POST
def comment(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_for_preparer(request, report_id)
    form = CommentsForm(request.POST)
    if form.is_valid():
        try:
            services.report_comment(report=report, comments=form.cleaned_data, by=policy.actor_of(request))
        except (ValidationError, services.Conflict) as problem:
            for text in _error_list(problem) if isinstance(problem, ValidationError) else [str(problem)]:
                messages.error(request, text)
        else:
            messages.success(request, _("The comments are saved."))
    else:
        for text in _error_list(ValidationError(form.errors)):
            messages.error(request, text)
    return redirect("situation:detail", report_id=report.pk)


@login_required
@require_POST
def publish(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_detail(request.user, report_id)
    policy.require(request.user, "situation.publish", report)
    try:
        report = services.report_publish(report=report, by=policy.actor_of(request))
    except services.Conflict as conflict:
        messages.error(request, str(conflict))
    else:
        messages.success(request, _("Situation report %(number)s is published.") % {"number": report})
    return redirect("situation:detail", report_id=report.pk)


@login_required
@require_POST
def correct(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_for_preparer(request, report_id)
    try:
        draft = services.report_correct(report=report, by=policy.actor_of(request))
    except services.Conflict as conflict:
        messages.error(request, str(conflict))
        return redirect("situation:detail", report_id=report.pk)
    messages.success(request, _("A correction is in preparation; published, it becomes the next version."))
    return redirect("situation:detail", report_id=draft.pk)


@login_required
@require_POST
def discard(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_for_preparer(request, report_id)
    county = report.county_id
    services.report_discard(report=report, by=policy.actor_of(request))
    messages.success(request, _("The draft is thrown away."))
    return redirect(f"{reverse('situation:home')}?county={county}")


def _epidemiology_page(request: HttpRequest, county: str, **forms: object) -> HttpResponse:
    place = policy.Place(county=county)
    today = timezone.localdate()
    may_report = policy.can(request.user, "situation.report_epidemiology", place)
    indicators = services.indicators_for(county)
    context = {
        "county": get_object_or_404(County, code=county),
        "table": selectors.figure_table(
            request.user, county, start=today - datetime.timedelta(days=TABLE_DAYS - 1), end=today
        ),
        "table_days": TABLE_DAYS,
        "may_report": may_report,
        "may_manage": policy.can(request.user, "situation.manage_indicators", place),
        "day_form": forms.get("day_form")
        or (DayFiguresForm(indicators=indicators, initial={"date": today}) if may_report else None),
        "file_form": forms.get("file_form") or (FiguresFileForm() if may_report else None),
        "indicator_form": forms.get("indicator_form") or IndicatorForm(),
        "file_errors": forms.get("file_errors") or [],
    }
    return render(request, "situation/epidemiology.html", context, status=400 if forms else 200)


@login_required
def epidemiology(request: HttpRequest) -> HttpResponse:
    county = _county(request, "situation.view_epidemiology")
    if request.method != "POST":
        return _epidemiology_page(request, county)
    policy.require(request.user, "situation.report_epidemiology", policy.Place(county=county))
    form = DayFiguresForm(request.POST, indicators=services.indicators_for(county))
    if form.is_valid():
        day = form.cleaned_data["date"]
        items = [services.FigureInput(date=day, indicator=code, value=value) for code, value in form.values().items()]
        if not items:
            form.add_error(None, _("Give at least one figure."))
        else:
            try:
                services.figures_record(
                    county_code=county, items=items, source=FigureSource.FORM, by=policy.actor_of(request)
                )
            except ValidationError as error:
                for text in _error_list(error):
                    form.add_error(None, text)
            else:
                messages.success(request, _("The figures of %(date)s are saved.") % {"date": day.isoformat()})
                return redirect(f"{reverse('situation:epidemiology')}?county={county}")
    return _epidemiology_page(request, county, day_form=form)


@login_required
@require_POST
def epidemiology_file(request: HttpRequest) -> HttpResponse:
    county = _county(request, "situation.report_epidemiology")
    policy.require(request.user, "situation.report_epidemiology", policy.Place(county=county))
    form = FiguresFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _epidemiology_page(request, county, file_form=form)
    upload = form.cleaned_data["file"]
    if upload.size > csvfigures.MAX_BYTES:
        return _epidemiology_page(request, county, file_form=form, file_errors=[_("The file is larger than 2 MB.")])
    codes = [indicator.code for indicator in services.indicators_for(county)]
    try:
        items = csvfigures.parse(upload.read(), codes)
        recorded = services.figures_record(
            county_code=county, items=items, source=FigureSource.CSV, by=policy.actor_of(request)
        )
    except ValidationError as error:
        return _epidemiology_page(request, county, file_form=form, file_errors=_error_list(error))
    messages.success(
        request, _("The file is read: %(count)d figures, nothing else changed.") % {"count": len(recorded)}
    )
    return redirect(f"{reverse('situation:epidemiology')}?county={county}")


@login_required
@require_POST
def indicator_new(request: HttpRequest) -> HttpResponse:
    county = get_object_or_404(County, code=_county(request, "situation.manage_indicators"))
    policy.require(request.user, "situation.manage_indicators", policy.Place(county=county.code))
    form = IndicatorForm(request.POST)
    if form.is_valid():
        try:
            services.indicator_create(
                county=county,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                by=policy.actor_of(request),
            )
        except ValidationError as error:
            for field, texts in error.message_dict.items():
                for text in texts:
                    form.add_error(field if field in form.fields else None, text)
        else:
            messages.success(request, _("The indicator is added."))
            return redirect(f"{reverse('situation:epidemiology')}?county={county.code}")
    return _epidemiology_page(request, county.code, indicator_form=form)


def _pdf(report: SituationReport, *, public: bool) -> HttpResponse:
    title = _("Situation report %(number)s - %(county)s") % {"number": report, "county": report.county.name}
    content = pdf.report_pdf(report_view(report, public=public), county_name=report.county.name, title=title)
    response = HttpResponse(content, content_type="application/pdf")
    name = f"lagesbild-{report.county_id}-{report.number}-{report.version}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _open_data(report: SituationReport, fmt: str) -> HttpResponse:
    """The open data file of a published report: small counts hidden (null in JSON, empty in CSV)."""
    figures = opendata.public_figures(report.figures, marker=None)
    name = f"lagesbild-{report.county_id}-{report.number}-{report.version}"
    if fmt == "pdf":
        return _pdf(report, public=True)
    if fmt == "csv":
        return tables.download(opendata.csv_text(figures), f"{name}.csv")
    if fmt != "json":
        raise Http404
    body = {
        "county": report.county_id,
        "number": report.number,
        "version": report.version,
        "as_of": report.as_of.isoformat(),
        "published_at": report.published_at.isoformat() if report.published_at else None,
        "hidden": "Counts from 1 to 4 are null.",
        "comments": report.comments,
        "figures": figures,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


@login_required
def export(request: HttpRequest, report_id: int, fmt: str) -> HttpResponse:
    report = selectors.report_detail(request.user, report_id)
    if not report.is_published:
        raise Http404
    if fmt == "pdf":  # the report as its members see it
        return _pdf(report, public=False)
    return _open_data(report, fmt)


def public(request: HttpRequest, county_code: str, number: int | None = None) -> HttpResponse:
    """The county's public page (no login), if it has chosen one: a published report with small counts hidden."""
    report = selectors.public_report(county_code, number)
    return render(
        request,
        "situation/public.html",
        {
            "view": report_view(report, public=True),
            "report": report,
            "reports": selectors.public_reports(county_code).filter(version=1)[:100],
        },
    )


def public_data(request: HttpRequest, county_code: str, number: int, fmt: str) -> HttpResponse:
    return _open_data(selectors.public_report(county_code, number), fmt)


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    first, second = limits.key(request.GET.get("a")), limits.key(request.GET.get("b"))
    if first is None or second is None:
        raise Http404
    return render(request, "situation/compare.html", {"comparison": selectors.compare(request.user, first, second)})


@login_required
def subscriptions(request: HttpRequest) -> HttpResponse:
    county = get_object_or_404(County, code=_county(request, "situation.manage_subscriptions"))
    policy.require(request.user, "situation.manage_subscriptions", policy.Place(county=county.code))
    form = SubscriptionForm(request.POST or None, county_code=county.code)
    if request.method == "POST" and form.is_valid():
        email, organisation = form.cleaned_data["email"], form.cleaned_data["organisation"]
        try:
            if email:
                services.subscription_add(
                    county=county, email=email, organisation=organisation, by=policy.actor_of(request)
                )
                messages.success(request, _("%(email)s subscribes.") % {"email": email})
            else:
                added = services.subscriptions_add_members(
                    county=county, organisation=organisation, by=policy.actor_of(request)
                )
                messages.success(request, _("%(count)d members added.") % {"count": added})
        except ValidationError as error:
            for field, texts in error.message_dict.items():
                for text in texts:
                    form.add_error(field if field in form.fields else None, text)
        else:
            return redirect(f"{reverse('situation:subscriptions')}?county={county.code}")
    listed = (
        Subscription.objects.visible_to(request.user, "situation.manage_subscriptions")
        .filter(county=county)
        .select_related("organisation")
    )
    return render(
        request,
        "situation/subscriptions.html",
        {"county": county, "form": form, "subscriptions": listed},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def subscription_remove(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = Subscription.objects.visible_to(request.user, "situation.manage_subscriptions").get_or_404(
        pk=subscription_id
    )
    services.subscription_remove(subscription=subscription, by=policy.actor_of(request))
    messages.success(request, _("%(email)s no longer subscribes.") % {"email": subscription.email})
    return redirect(f"{reverse('situation:subscriptions')}?county={subscription.county_id}")


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every message: a page that asks, and a button that ends the subscription (a
    link alone does not, so that mail scanners following links unsubscribe no one)."""
    subscription = Subscription.objects.filter(token=token).select_related("county").first()
    if subscription is None:
        raise Http404
    done = False
    if request.method == "POST":
        services.unsubscribe(token=token)
        done = True
    return render(
        request,
        "situation/unsubscribe.html",
        {"subscription": subscription, "done": done or not subscription.is_active},
    )
