"""Pages of discharge follow-up: liability per municipality and month, a municipality's
statement (page, CSV, Excel) and the county's agreement in plain words."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from samverkan import limits, tables
from samverkan.accounts.models import User
from samverkan.charts import Series, line_chart
from samverkan.followup import exports, indicators, liability, selectors, services
from samverkan.followup.forms import AgreementForm, AnswerForm, DayRateForm, DisputeForm, TargetForm
from samverkan.followup.models import Dispute, DisputeStatus, IndicatorTarget, Statement, StatementLine
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality
from samverkan.organisations.selectors import county_of_page


def _person(request: HttpRequest) -> User:
    """The logged-in person acting on a page (login_required has let only them through)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


def _month(request: HttpRequest) -> tuple[int, int]:
    """The chosen month; by default the last whole month."""
    chosen = limits.month(request.GET.get("month"))
    if chosen is None:
        today = timezone.localdate()
        return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return chosen


def _missing_rate(request: HttpRequest, missing: liability.MissingDayRate) -> None:
    messages.error(
        request,
        _("The county has no day rate for %(year)s, so the month cannot be priced. Add it on the agreement page.")
        % {"year": missing.year},
    )


@login_required
def liability_overview(request: HttpRequest) -> HttpResponse:
    county = county_of_page(request.user, request.GET.get("county"), "followup.liability_totals")
    year, month = _month(request)
    try:
        totals = selectors.liability_totals(request.user, county, year, month)
    except liability.MissingDayRate as missing:
        _missing_rate(request, missing)
        totals = None
    return render(
        request,
        "followup/liability.html",
        {
            "county": get_object_or_404(County, code=county),
            "month": f"{year}-{month:02d}",
            "first_day": liability.month_bounds(year, month)[0],
            "totals": totals,
            "may_see_disputes": policy.can(request.user, "followup.view_statements", policy.Place(county=county)),
        },
    )


STATEMENT_REASON = "Underlag för betalningsansvar"


@login_required
def statement(request: HttpRequest, code: str) -> HttpResponse:
    municipality = get_object_or_404(Municipality.objects.select_related("county"), code=code)
    county = municipality.county_id
    if not policy.can(request.user, "followup.view_lines", policy.Place(county=county, municipality=code)):
        raise PermissionDenied
    year, month = _month(request)
    name = f"betalningsansvar-{code}-{year}-{month:02d}"
    fmt = request.GET.get("format")
    try:
        months = selectors.statement(
            _person(request), county, year, month, municipality=code, reason=f"{STATEMENT_REASON} {year}-{month:02d}"
        )
    except liability.MissingDayRate as missing:
        _missing_rate(request, missing)
        if fmt in {"csv", "xlsx"}:
            return redirect(f"{reverse('followup:statement', args=[code])}?month={year}-{month:02d}")
        months = None
    if fmt == "pdf" and months is not None:
        found = months.get(code) or liability.MunicipalityMonth(code)
        title = _("Liability statement – %(municipality)s, %(month)s") % {
            "municipality": municipality.name,
            "month": date_format(liability.month_bounds(year, month)[0], "F Y"),
        }
        intro = [
            _("As counted now, not issued."),
            *liability.plain_rule(selectors.agreements_of(county).on(liability.month_bounds(year, month)[0])),
        ]
        return _pdf(exports.statement_pdf(title, intro, found), f"{name}.pdf")
    if fmt in {"csv", "xlsx"} and months is not None:
        table = [[row[c] for c in exports.COLUMNS] for row in exports.rows(months)]
        if fmt == "csv":
            return tables.download(
                tables.csv_text(exports.COLUMNS, exports.with_numbers(exports.COLUMNS, table)), f"{name}.csv"
            )
        return tables.download(tables.xlsx_bytes([tables.Sheet(exports.COLUMNS, table)]), f"{name}.xlsx")
    found = (months or {}).get(code) or liability.MunicipalityMonth(code)
    issued = selectors.issued_statements(request.user, code, year, month)
    place = policy.Place(county=county, municipality=code)
    return render(
        request,
        "followup/statement.html",
        {
            "municipality": municipality,
            "month": f"{year}-{month:02d}",
            "first_day": liability.month_bounds(year, month)[0],
            "statement": found if months is not None else None,
            "issued": issued,
            "changes": selectors.changes_since(issued[0], found) if issued and months is not None else None,
            "may_issue": months is not None and policy.can(request.user, "followup.issue_statement", place),
        },
    )


@login_required
@require_POST
def issue(request: HttpRequest, code: str) -> HttpResponse:
    municipality = get_object_or_404(Municipality.objects.select_related("county"), code=code)
    year, month = _month(request)
    back = f"{reverse('followup:statement', args=[code])}?month={year}-{month:02d}"
    try:
        issued = services.statement_issue(municipality=municipality, year=year, month=month, by=_person(request))
    except liability.MissingDayRate as missing:
        _missing_rate(request, missing)
        return redirect(back)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    messages.success(request, _("Statement no. %(number)s is issued.") % {"number": issued.number})
    return redirect("followup:issued", issued.pk)


@login_required
def issued(request: HttpRequest, pk: int) -> HttpResponse:
    found, found_lines = selectors.issued_statement(_person(request), pk, reason=STATEMENT_REASON)
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        table = list(exports.issued_rows(found, found_lines))
        name = f"underlag-{found.municipality_id}-{found.month:%Y-%m}-nr{found.number}"
        if fmt == "csv":
            return tables.download(
                tables.csv_text(exports.ISSUED_COLUMNS, exports.with_numbers(exports.ISSUED_COLUMNS, table)),
                f"{name}.csv",
            )
        return tables.download(tables.xlsx_bytes([tables.Sheet(exports.ISSUED_COLUMNS, table)]), f"{name}.xlsx")
    if fmt == "pdf":
        name = f"underlag-{found.municipality_id}-{found.month:%Y-%m}-nr{found.number}"
        title = _("Statement no. %(number)s – %(municipality)s, %(month)s") % {
            "number": found.number,
            "municipality": found.municipality.name,
            "month": date_format(found.month, "F Y"),
        }
        intro = [
            _("Issued %(when)s by %(who)s.")
            % {"when": timezone.localtime(found.issued_at).strftime("%Y-%m-%d %H:%M"), "who": found.issued_by_label}
        ]
        return _pdf(exports.issued_pdf(title, intro, found, found_lines), f"{name}.pdf")
    open_disputes = {
        d.line_id: d for d in Dispute.objects.filter(line__statement=found).defer("attachment").order_by("raised_at")
    }
    lines = [(line, open_disputes.get(line.pk)) for line in found_lines]
    deadline = services.dispute_deadline(found)
    newest = not Statement.objects.filter(
        municipality_id=found.municipality_id, month=found.month, number__gt=found.number
    ).exists()
    may_dispute = (
        newest
        and timezone.localdate() <= deadline
        and policy.can(
            request.user,
            "followup.raise_dispute",
            policy.Place(county=found.county_id, municipality=found.municipality_id),
        )
    )
    return render(
        request,
        "followup/issued.html",
        {"statement": found, "lines": lines, "deadline": deadline, "may_dispute": may_dispute, "newest": newest},
    )


@login_required
def dispute_new(request: HttpRequest, line_id: int) -> HttpResponse:
    line = (
        StatementLine.objects.visible_to(request.user, "followup.raise_dispute")
        .select_related("statement__municipality")
        .get_or_404(pk=line_id)
    )
    form = DisputeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["attachment"]
        attachment = (
            services.Attachment(
                name=upload.name,
                content_type=upload.content_type or "",
                data=upload.read(services.MAX_ATTACHMENT_BYTES + 1),
            )
            if upload
            else None
        )
        try:
            dispute = services.dispute_raise(
                line=line, reason=form.cleaned_data["reason"], attachment=attachment, by=_person(request)
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("The dispute is sent to the region."))
            return redirect("followup:dispute", dispute.pk)
    return render(request, "followup/dispute_new.html", {"line": line, "form": form})


@login_required
def disputes(request: HttpRequest) -> HttpResponse:
    county = county_of_page(request.user, request.GET.get("county"), "followup.view_statements")
    status = request.GET.get("status") or None
    if status not in (None, *DisputeStatus.values):
        status = None
    return render(
        request,
        "followup/disputes.html",
        {
            "county": get_object_or_404(County, code=county),
            "disputes": selectors.dispute_list(request.user, county, status=status)[:500],
            "status": status or "",
            "statuses": DisputeStatus.choices,
            "today": timezone.localdate(),
        },
    )


@login_required
def dispute(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.dispute_detail(_person(request), pk)
    may_answer = found.status == DisputeStatus.OPEN and policy.can(request.user, "followup.answer_dispute", found)
    form = AnswerForm(request.POST or None) if may_answer else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.dispute_answer(
                    dispute=found,
                    accept=form.cleaned_data["decision"] == "accept",
                    answer=form.cleaned_data["answer"],
                    by=_person(request),
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, _("The answer is saved and the municipality is told."))
                return redirect("followup:dispute", found.pk)
    return render(request, "followup/dispute.html", {"dispute": found, "form": form, "today": timezone.localdate()})


@login_required
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.dispute_attachment(_person(request), pk)
    response = HttpResponse(bytes(found.attachment or b""), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, found.attachment_name) or "attachment"
    return response


@login_required
def agreement(request: HttpRequest) -> HttpResponse:
    county_code = county_of_page(
        request.user, request.GET.get("county") or request.POST.get("county"), "followup.view_agreement"
    )
    county = get_object_or_404(County, code=county_code)
    versions = list(selectors.agreement_versions(request.user, county_code))
    may_manage = policy.can(request.user, "followup.manage_agreement", policy.Place(county=county_code))
    today = timezone.localdate()
    in_force = selectors.agreements_of(county_code).on(today)
    current = next((v for v in versions if v.valid_from == in_force.valid_from), None)
    agreement_form = rate_form = None
    if may_manage:
        posted = request.POST if request.method == "POST" else None
        agreement_form = AgreementForm(
            posted if posted and "save_agreement" in posted else None,
            instance=current,
            initial={"valid_from": today} if current is None else {"valid_from": current.valid_from},
        )
        rate_form = DayRateForm(posted if posted and "save_rate" in posted else None, initial={"year": today.year})
        if posted is not None:
            form = agreement_form if "save_agreement" in posted else rate_form
            if form.is_bound and form.is_valid():
                try:
                    if form is agreement_form:
                        data = dict(form.cleaned_data)
                        valid_from = data.pop("valid_from")
                        services.agreement_save(county=county, valid_from=valid_from, values=data, by=_person(request))
                        messages.success(request, _("The agreement is saved."))
                    else:
                        services.day_rate_set(
                            county=county,
                            year=form.cleaned_data["year"],
                            amount=form.cleaned_data["amount"],
                            by=_person(request),
                        )
                        messages.success(request, _("The day rate is saved."))
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    return redirect(f"{reverse('followup:agreement')}?county={county_code}")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "followup/agreement.html",
        {
            "county": county,
            "in_force": in_force,
            "rule": liability.plain_rule(in_force),
            "versions": [(v, liability.plain_rule(liability.Terms.of(v))) for v in versions],
            "rates": selectors.day_rates(request.user, county_code),
            "agreement_form": agreement_form,
            "rate_form": rate_form,
        },
    )


@login_required
def indicator_report(request: HttpRequest) -> HttpResponse:
    county = county_of_page(
        request.user, request.GET.get("county") or request.POST.get("county"), "followup.indicators"
    )
    year, month = _month(request)
    may_set = policy.can(request.user, "followup.manage_agreement", policy.Place(county=county))
    form = TargetForm(request.POST or None) if may_set else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            services.indicator_target_set(
                county=get_object_or_404(County, code=county),
                indicator=form.cleaned_data["indicator"],
                valid_from=form.cleaned_data["valid_from"],
                target=form.cleaned_data["target"],
                by=_person(request),
            )
            messages.success(request, _("The target is saved."))
            return redirect(f"{reverse('followup:indicators')}?county={county}&month={year}-{month:02d}")
    area = request.GET.get("area") or county
    try:
        report = selectors.indicator_report(request.user, county, year, month, area=area)
    except liability.MissingDayRate as missing:
        _missing_rate(request, missing)
        report = None
    if report is not None and request.GET.get("format") == "pdf":
        title = _("Discharge follow-up – %(area)s, %(month)s") % {
            "area": report.area_name,
            "month": date_format(report.month, "F Y"),
        }
        return _pdf(exports.report_pdf(title, report), f"uppfoljning-{report.area}-{year}-{month:02d}.pdf")
    charts = []
    if report is not None:
        for row in report.rows:
            label = str(row.indicator.label)
            series = [
                Series(label, [(day, float(value) if value is not None else None) for day, value, _t in row.trend])
            ]
            if any(t is not None for _d, _v, t in row.trend):
                series.append(
                    Series(
                        str(_("Target")),
                        [(day, float(t) if t is not None else None) for day, _v, t in row.trend],
                        "series-2",
                    )
                )
            charts.append((row, line_chart(series, label=label)))
    return render(
        request,
        "followup/indicators.html",
        {
            "county": get_object_or_404(County, code=county),
            "month": f"{year}-{month:02d}",
            "area": area,
            "areas": Municipality.objects.filter(county_id=county).order_by("name"),
            "report": report,
            "charts": charts,
            "labels": [i.label for i in indicators.INDICATORS],
            "targets": IndicatorTarget.objects.visible_to(request.user, "followup.view_agreement").filter(
                county_id=county
            ),
            "form": form,
        },
    )
