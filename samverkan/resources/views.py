"""Pages of the equipment pool. Views ask the selectors and services; the policy decides access."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from samverkan import limits, tables
from samverkan.flow.imports import FileRejected
from samverkan.flow.validation import RowError as FlowRowError
from samverkan.organisations import policy
from samverkan.organisations.models import County
from samverkan.organisations.selectors import county_of_page
from samverkan.resources import selectors, services, states, stockrows, supply
from samverkan.resources.forms import (
    ApproveForm,
    EquipmentTypeForm,
    ItemForm,
    ItemUpdateForm,
    LoanRequestForm,
    ReturnForm,
    SharingForm,
    StaffDecisionForm,
    StaffProposalForm,
    StaffRequestForm,
    StockUploadForm,
    SupplyContactForm,
    SupplyItemForm,
)
from samverkan.resources.models import (
    CanObtain,
    ItemStatus,
    LoanStatus,
    StaffStatus,
)


def _county(request: HttpRequest) -> str:
    return county_of_page(request.user, request.GET.get("county") or request.POST.get("county"), "resources.view")


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    today = timezone.localdate()
    types, rows = selectors.items_by_municipality(request.user, county, today=today)
    return render(
        request,
        "resources/overview.html",
        {
            "county": get_object_or_404(County, code=county),
            "pool": selectors.pool_availability(request.user, county, today=today),
            "types": types,
            "rows": rows,
            "overdue": selectors.overdue_loans(request.user, county, today=today),
            "today": today,
            "may_request": selectors.requesting_units(request.user, county).exists(),
            "may_manage": selectors.managed_owners(request.user, county).exists(),
            "may_manage_types": selectors.may(request.user, "resources.manage_types", county),
        },
    )


@login_required
def type_list(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    may_manage = selectors.may(request.user, "resources.manage_types", county)
    form = EquipmentTypeForm(request.POST or None)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.equipment_type_create(
                    county=get_object_or_404(County, code=county), by=policy.actor_of(request), **form.cleaned_data
                )
            except ValidationError as error:
                limits.errors_to_form(form, error)
            else:
                messages.success(request, _("The equipment type is added."))
                return redirect(f"{reverse('resources:types')}?county={county}")
    return render(
        request,
        "resources/types.html",
        {
            "county": county,
            "types": selectors.type_list(request.user, county),
            "form": form if may_manage else None,
        },
    )


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    type_id = limits.key(request.GET.get("type"))
    status = request.GET.get("status") or None
    return render(
        request,
        "resources/item_list.html",
        {
            "county": county,
            "items": selectors.item_list(request.user, county, type_id=type_id, status=status)[:500],
            "types": selectors.type_list(request.user, county),
            "statuses": ItemStatus.choices,
            "type_id": type_id,
            "status": status or "",
            "may_manage": selectors.managed_owners(request.user, county).exists(),
        },
    )


@login_required
def item_new(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    owners = selectors.managed_owners(request.user, county)
    if not owners.exists():
        raise PermissionDenied
    form = ItemForm(
        request.POST or None,
        types=selectors.type_list(request.user, county),
        owners=owners,
        county_code=county,
        initial={"owner": owners.first()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = services.item_create(by=policy.actor_of(request), **form.cleaned_data)
        except ValidationError as error:
            limits.errors_to_form(form, error)
        else:
            messages.success(request, _("The item is added to the pool."))
            return redirect("resources:item", item_id=item.pk)
    return render(request, "resources/item_new.html", {"form": form, "county": county})


@login_required
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.item_detail(request.user, item_id)
    may_manage = policy.can(request.user, "resources.manage_items", item)
    form = ItemUpdateForm(
        request.POST or None,
        item=item,
        initial={
            "status": item.status,
            "last_service_on": item.last_service_on,
            "next_service_on": item.next_service_on,
            "home_site": item.home_site,
            "note": item.note,
        },
    )
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.item_update(item=item, by=policy.actor_of(request), **form.cleaned_data)
            except services.Conflict as conflict:
                messages.error(request, str(conflict))
            except ValidationError as error:
                limits.errors_to_form(form, error)
            else:
                messages.success(request, _("The item is updated."))
                return redirect("resources:item", item_id=item.pk)
    return render(
        request,
        "resources/item_detail.html",
        {
            "item": item,
            "loans": selectors.item_loans(request.user, item),
            "form": form if may_manage else None,
            "today": timezone.localdate(),
        },
    )


@login_required
def loan_list(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    box = request.GET.get("box", "all")
    status = request.GET.get("status") or None
    return render(
        request,
        "resources/loan_list.html",
        {
            "county": county,
            "requests": selectors.loan_request_list(request.user, county, status=status, box=box)[:200],
            "box": box,
            "status": status or "",
            "statuses": LoanStatus.choices,
            "may_request": selectors.requesting_units(request.user, county).exists(),
            "today": timezone.localdate(),
        },
    )


@login_required
def loan_new(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    units = selectors.requesting_units(request.user, county)
    if not units.exists():
        raise PermissionDenied
    today = timezone.localdate()
    form = LoanRequestForm(
        request.POST or None,
        units=units,
        types=selectors.type_list(request.user, county),
        lenders=selectors.lenders(county),
        initial={"unit": units.first(), "needed_from": today, "quantity": 1},
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.loan_request_create(by=policy.actor_of(request), **form.cleaned_data)
        except ValidationError as error:
            limits.errors_to_form(form, error)
        else:
            messages.success(request, _("The loan request is sent to %(org)s.") % {"org": created.lender.name})
            return redirect("resources:loan", request_id=created.pk)
    return render(request, "resources/loan_new.html", {"form": form, "county": county})


@login_required
def loan_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    loan_request = selectors.loan_request_detail(request.user, request_id)
    actions = states.available_actions(request.user, loan_request)
    loans = list(loan_request.loans.all())
    return render(
        request,
        "resources/loan_detail.html",
        {
            "req": loan_request,
            "actions": actions,
            "approve_form": ApproveForm(items=selectors.lendable_items(request.user, loan_request))
            if "approve" in actions
            else None,
            "loans": [
                (loan, ReturnForm(prefix=f"loan{loan.pk}") if "return" in actions and not loan.returned_at else None)
                for loan in loans
            ],
            "today": timezone.localdate(),
        },
    )


def _act(request: HttpRequest, call: Callable[[], object], request_id: int, success: str) -> HttpResponse:
    try:
        call()
    except services.Conflict as conflict:
        messages.error(request, str(conflict))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect("resources:loan", request_id=request_id)


@login_required
@require_POST
def loan_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    loan_request = selectors.loan_request_detail(request.user, request_id)
    reason = request.POST.get("reason", "")[:300]
    user = policy.actor_of(request)
    if action == "approve":
        form = ApproveForm(request.POST, items=selectors.lendable_items(user, loan_request))
        if not form.is_valid():
            if not states.allowed(user, loan_request, "approve"):
                raise PermissionDenied
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
            return redirect("resources:loan", request_id=loan_request.pk)
        items, note = list(form.cleaned_data["items"]), form.cleaned_data["note"]
        return _act(
            request,
            lambda: services.loan_request_approve(request=loan_request, items=items, by=user, note=note),
            loan_request.pk,
            _("The items are lent."),
        )
    calls: dict[str, tuple[Callable[[], object], str]] = {
        "decline": (
            lambda: services.loan_request_decline(request=loan_request, by=user, reason=reason),
            _("The loan request is declined."),
        ),
        "withdraw": (
            lambda: services.loan_request_withdraw(request=loan_request, by=user, reason=reason),
            _("The loan request is withdrawn."),
        ),
    }
    if action not in calls:
        raise Http404
    call, success = calls[action]
    return _act(request, call, loan_request.pk, success)


@login_required
@require_POST
def loan_return(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = selectors.loan_detail(request.user, loan_id)
    loan_request = loan.request
    form = ReturnForm(request.POST, prefix=f"loan{loan.pk}")
    if not form.is_valid():
        if not states.allowed(request.user, loan_request, "return"):
            raise PermissionDenied
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("resources:loan", request_id=loan_request.pk)
    return _act(
        request,
        lambda: services.loan_return(
            loan=loan,
            by=policy.actor_of(request),
            condition=form.cleaned_data["condition"],
            note=form.cleaned_data["note"],
        ),
        loan_request.pk,
        _("The return is noted."),
    )


# Supply stock ----------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
REPORT_FIELDS = ["on_hand", "used_7_days", "on_order", "expected_on", "can_obtain"]


def _stock_county(request: HttpRequest) -> str:
    return county_of_page(request.user, request.GET.get("county") or request.POST.get("county"), "resources.view_stock")


@login_required
def stock_overview(request: HttpRequest) -> HttpResponse:
    county = _stock_county(request)
    overview = selectors.stock_overview(request.user, county)
    return render(
        request,
        "resources/stock_overview.html",
        {
            "county": get_object_or_404(County, code=county),
            "overview": overview,
            "buckets": list(supply.Bucket),
            "contacts": selectors.supply_contacts(request.user, county),
            "may_report": bool(selectors.reporting_places(request.user, county)),
            "may_manage": selectors.may(request.user, "resources.manage_supply", county),
        },
    )


def _column_label(column: str | None) -> str:
    labels = {
        "on_hand": _("On hand"),
        "used_7_days": _("Used in the last 7 days"),
        "on_order": _("On order"),
        "expected_on": _("Expected"),
        "can_obtain": _("Able to obtain more"),
        "item": _("Article"),
        "organisation": _("Organisation"),
        "unit": _("Unit"),
    }
    return labels.get(column or "", column or "")


@login_required
def stock_report(request: HttpRequest) -> HttpResponse:
    """The quick report: every article of the catalogue on one page, prefilled from the place's last report."""
    county = _stock_county(request)
    places = selectors.reporting_places(request.user, county)
    if not places:
        raise PermissionDenied
    wanted = request.POST.get("place") or request.GET.get("place")
    place = next((p for p in places if p.key == wanted), places[0])
    items = list(selectors.supply_items(request.user, county).filter(is_active=True))
    errors: list[stockrows.RowError] = []
    posted: dict[str, dict[str, str]] = {}
    if request.method == "POST":
        rows = []
        for item in items:
            values = {name: request.POST.get(f"{item.code}-{name}", "").strip() for name in REPORT_FIELDS}
            posted[item.code] = values
            if not any(values[name] for name in ("on_hand", "used_7_days", "on_order", "expected_on")):
                continue  # an article left empty is not reported this time
            row: dict[str, object] = {"item": item.code, **values}
            if place.unit is not None:
                row["unit"] = place.unit.code
            else:
                row["organisation"] = place.organisation.code
            rows.append((item.name, row))
        try:
            batch = services.stock_reports_submit(
                county_code=county, rows=rows, by=policy.actor_of(request), source="form"
            )
        except stockrows.Invalid as invalid:
            errors = invalid.errors
        else:
            messages.success(
                request,
                ngettext("%(n)d article reported.", "%(n)d articles reported.", batch.count) % {"n": batch.count},
            )
            if batch.low:
                messages.warning(request, _("Low stock was reported; the county's supply contacts are told."))
            return redirect(f"{reverse('resources:stock')}?county={county}")
    last = selectors.last_report_values(request.user, place)
    lines = []
    for item in items:
        previous = last.get(item.pk)
        values = posted.get(item.code) or {
            "on_hand": str(previous.on_hand) if previous else "",
            "used_7_days": "" if previous is None or previous.used_7_days is None else str(previous.used_7_days),
            "on_order": str(previous.on_order) if previous and previous.on_order else "",
            "expected_on": previous.expected_on.isoformat() if previous and previous.expected_on else "",
            "can_obtain": previous.can_obtain if previous else "",
        }
        item_errors = {e.column: e.message for e in errors if e.row == item.name}
        lines.append({"item": item, "values": values, "errors": item_errors, "previous": previous})
    return render(
        request,
        "resources/stock_report.html",
        {
            "county": county,
            "places": places,
            "place": place,
            "lines": lines,
            "errors": [(e, _column_label(e.column)) for e in errors],
            "can_obtain": CanObtain.choices,
        },
    )


@login_required
def stock_upload(request: HttpRequest) -> HttpResponse:
    county = _stock_county(request)
    if not selectors.reporting_places(request.user, county):
        raise PermissionDenied
    form = StockUploadForm(request.POST or None, request.FILES or None)
    errors: list[stockrows.RowError] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_UPLOAD_BYTES:
                raise FileRejected([FlowRowError(None, None, _("The file is larger than 5 MB; split it."))])
            rows = stockrows.read_file(upload.name, upload.read())
            batch = services.stock_reports_submit(
                county_code=county, rows=rows, by=policy.actor_of(request), source="upload"
            )
        except FileRejected as rejected:
            errors = [stockrows.RowError(str(e.row or "–"), e.column, e.message) for e in rejected.errors]
        except stockrows.Invalid as invalid:
            errors = invalid.errors
        else:
            messages.success(
                request, ngettext("%(n)d row reported.", "%(n)d rows reported.", batch.count) % {"n": batch.count}
            )
            return redirect(f"{reverse('resources:stock')}?county={county}")
    return render(
        request,
        "resources/stock_upload.html",
        {"county": county, "form": form, "errors": errors, "columns": stockrows.COLUMNS},
    )


@login_required
def stock_settings(request: HttpRequest) -> HttpResponse:
    county = _stock_county(request)
    if not selectors.may(request.user, "resources.manage_supply", county):
        raise PermissionDenied
    which = request.POST.get("form")
    settings_row = services.supply_settings_for(county)
    sharing = SharingForm(
        request.POST if which == "sharing" else None, initial={"share_details": settings_row.share_details}
    )
    item_form = SupplyItemForm(request.POST if which == "item" else None, prefix="item")
    contact_form = SupplyContactForm(request.POST if which == "contact" else None, prefix="contact", county_code=county)
    if request.method == "POST":
        if which == "toggle":
            item = selectors.supply_items(request.user, county).get_or_404(pk=limits.key(request.POST.get("item")) or 0)
            services.supply_item_update(
                item=item, name=item.name, is_active=not item.is_active, by=policy.actor_of(request)
            )
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('resources:stock_settings')}?county={county}")
        form: Any = {"sharing": sharing, "item": item_form, "contact": contact_form}.get(which or "")
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                if which == "sharing":
                    services.supply_settings_update(
                        county_code=county, share_details=data["share_details"], by=policy.actor_of(request)
                    )
                elif which == "item":
                    services.supply_item_create(county_code=county, by=policy.actor_of(request), **data)
                else:
                    services.supply_contact_create(
                        county_code=county,
                        user=data["user"],
                        area=data["area"],
                        phone=data["phone"],
                        municipalities=list(data["municipalities"]),
                        by=policy.actor_of(request),
                    )
            except ValidationError as error:
                limits.errors_to_form(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(f"{reverse('resources:stock_settings')}?county={county}")
    return render(
        request,
        "resources/stock_settings.html",
        {
            "county": county,
            "sharing": sharing,
            "item_form": item_form,
            "contact_form": contact_form,
            "items": selectors.supply_items(request.user, county),
            "contacts": selectors.supply_contacts(request.user, county),
        },
    )


# Staff requests -------------------------------------------------------------------------------


def _staff_county(request: HttpRequest) -> str:
    return county_of_page(
        request.user, request.GET.get("county") or request.POST.get("county"), "resources.view_staff_requests"
    )


STAFF_HEADER = [
    "id",
    "status",
    "requester",
    "unit",
    "profession",
    "competence",
    "number",
    "from",
    "until",
    "shifts",
    "proposed",
    "approved",
    "decided_by",
    "decision_reason",
]


def _staff_rows(requests: Any) -> list[list[object]]:
    return [
        [
            r.pk,
            r.get_status_display(),
            r.requester.name,
            r.unit.name,
            r.get_profession_display(),
            ", ".join([*r.competence_labels(), *([r.competence_note] if r.competence_note else [])]),
            r.number,
            r.starts_on.isoformat(),
            r.ends_on.isoformat(),
            ", ".join(r.shift_labels()),
            "" if r.proposed_number is None else r.proposed_number,
            "" if r.decided_number is None else r.decided_number,
            r.decided_by_body,
            r.decision_reason,
        ]
        for r in requests
    ]


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    county = _staff_county(request)
    if not selectors.may(request.user, "resources.view_staff_requests", county):
        raise PermissionDenied
    box = request.GET.get("box", "all")
    status = request.GET.get("status") or None
    requests = selectors.staff_request_list(request.user, county, status=status, box=box)
    fmt = request.GET.get("format")
    if fmt == "csv":
        return tables.download(tables.csv_text(STAFF_HEADER, _staff_rows(requests[:5000])), f"personal-{county}.csv")
    if fmt == "xlsx":
        sheet = tables.Sheet(STAFF_HEADER, _staff_rows(requests[:5000]), title="Personalförfrågningar", frozen="A2")
        return tables.download(tables.xlsx_bytes([sheet]), f"personal-{county}.xlsx")
    return render(
        request,
        "resources/staff_list.html",
        {
            "county": county,
            "requests": requests[:200],
            "box": box,
            "status": status or "",
            "statuses": StaffStatus.choices,
            "may_request": selectors.staff_units(request.user, county).exists(),
        },
    )


@login_required
def staff_new(request: HttpRequest) -> HttpResponse:
    county = _staff_county(request)
    units = selectors.staff_units(request.user, county)
    if not units.exists():
        raise PermissionDenied
    today = timezone.localdate()
    form = StaffRequestForm(request.POST or None, units=units, initial={"unit": units.first(), "starts_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            created = services.staff_request_create(by=policy.actor_of(request), **form.cleaned_data)
        except ValidationError as error:
            limits.errors_to_form(form, error)
        else:
            messages.success(request, _("The staff request is sent to the region."))
            return redirect("resources:staff_detail", request_id=created.pk)
    return render(request, "resources/staff_new.html", {"form": form, "county": county})


@login_required
def staff_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    staff_request = selectors.staff_request_detail(request.user, request_id)
    actions = states.staff_available_actions(request.user, staff_request)
    return render(
        request,
        "resources/staff_detail.html",
        {
            "req": staff_request,
            "actions": actions,
            "proposal_form": StaffProposalForm(
                prefix="propose",
                initial={
                    "proposed_number": staff_request.proposed_number
                    if staff_request.proposed_number is not None
                    else staff_request.number,
                    "staff_from": staff_request.staff_from,
                    "proposal": staff_request.proposal,
                },
            )
            if "propose" in actions
            else None,
            "decision_form": StaffDecisionForm(prefix="decide", initial={"number": staff_request.proposed_number})
            if "decide" in actions
            else None,
        },
    )


@login_required
@require_POST
def staff_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    staff_request = selectors.staff_request_detail(request.user, request_id)
    user = policy.actor_of(request)
    forms_by_action: dict[str, Any] = {"propose": StaffProposalForm, "decide": StaffDecisionForm}
    if action not in {"propose", "decide", "withdraw"}:
        raise Http404
    data: dict[str, Any] = {}
    if action in forms_by_action:
        form = forms_by_action[action](request.POST, prefix=action)
        if not form.is_valid():
            if not states.staff_allowed(user, staff_request, action):
                raise PermissionDenied
            messages.error(
                request,
                " ".join(f"{form.fields[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()),
            )
            return redirect("resources:staff_detail", request_id=staff_request.pk)
        data = form.cleaned_data
    calls: dict[str, tuple[Callable[[], object], str]] = {
        "propose": (
            lambda: services.staff_request_propose(request=staff_request, by=user, **data),
            _("The proposal is saved."),
        ),
        "decide": (
            lambda: services.staff_request_decide(request=staff_request, by=user, **data),
            _("The decision is recorded and the requester told."),
        ),
        "withdraw": (
            lambda: services.staff_request_withdraw(
                request=staff_request, by=user, reason=request.POST.get("reason", "")[:300]
            ),
            _("The staff request is withdrawn."),
        ),
    }
    call, success = calls[action]
    try:
        call()
    except services.Conflict as conflict:
        messages.error(request, str(conflict))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect("resources:staff_detail", request_id=staff_request.pk)


@login_required
def staff_lent(request: HttpRequest) -> HttpResponse:
    county = _staff_county(request)
    weeks = min(max(limits.key(request.GET.get("weeks")) or 8, 1), 26)
    bounds, rows, totals = selectors.lent_staff(request.user, county, weeks=weeks)
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        header = [
            "organisation",
            "unit",
            *[f"{start.isocalendar().year}-W{start.isocalendar().week:02d}" for start, _end in bounds],
        ]
        table_rows: list[list[object]] = [[r.requester.name, r.unit.name, *r.weeks] for r in rows]
        name = f"utlanad-personal-{county}"
        if fmt == "csv":
            return tables.download(tables.csv_text(header, table_rows), f"{name}.csv")
        return tables.download(
            tables.xlsx_bytes([tables.Sheet(header, table_rows, title="Utlånad personal")]), f"{name}.xlsx"
        )
    return render(
        request,
        "resources/staff_lent.html",
        {"county": county, "bounds": bounds, "rows": rows, "totals": totals, "weeks": weeks},
    )
