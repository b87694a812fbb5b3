from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from samverkan import limits, tables
from samverkan.organisations import policy
from samverkan.organisations.models import County, Organisation
from samverkan.organisations.selectors import county_of_page
from samverkan.placements import escalation, selectors, services
from samverkan.placements.forms import EscalationForm, OfferForm, ReasonForm, RequestForm
from samverkan.placements.models import EscalationStep, PlaceRequest, RequestStatus

CENT = Decimal("0.01")


def _county(request: HttpRequest) -> str:
    return county_of_page(request.user, request.GET.get("county") or request.POST.get("county"))


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    box = request.GET.get("box", "all")
    status = request.GET.get("status") or None
    requests = selectors.request_list(request.user, county_code=county, status=status, box=box)[:200]
    return render(
        request,
        "placements/request_list.html",
        {
            "requests": requests,
            "box": box,
            "status": status or "",
            "statuses": RequestStatus.choices,
            "county": get_object_or_404(County, code=county),
            "may_request": policy.can(request.user, "placements.request", policy.Place(county=county)),
        },
    )


def _requesting_organisations(user, county: str):
    return Organisation.objects.visible_to(user, "placements.request").filter(county_id=county)


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    organisations = _requesting_organisations(request.user, county)
    if not organisations.exists():
        raise PermissionDenied
    form = RequestForm(
        request.POST or None,
        county_code=county,
        organisations=organisations,
        initial={"from_organisation": organisations.first(), "wanted_from": timezone.localdate(), "urgency": "normal"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.request_create(
                by=policy.actor_of(request),
                from_organisation=data["from_organisation"],
                places=data["places"],
                wanted_from=data["wanted_from"],
                wanted_until=data["wanted_until"],
                urgency=data["urgency"],
                note=data["note"],
                needs=list(data["needs"]),
                to_unit=data["to_unit"] if data["target"] == "unit" else None,
                to_municipality=data["to_municipality"] if data["target"] == "municipality" else None,
                to_county=data["target"] == "county",
                send="send" in request.POST,
            )
        except ValidationError as error:
            for field_name, field_errors in error.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, field_errors)
        else:
            messages.success(
                request,
                _("The request is sent.")
                if created.status == RequestStatus.SENT
                else _("The request is saved as a draft."),
            )
            return redirect("placements:detail", request_id=created.pk)
    return render(request, "placements/request_new.html", {"form": form, "county": county})


@login_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    place_request = selectors.request_detail(request.user, request_id)
    page = selectors.request_page(request.user, place_request)
    offer_form = None
    if page.may_offer:
        offer_form = OfferForm(
            units=[c.unit for c in page.offer_units],
            free=page.free_by_unit,
            initial={"places": min(page.still_wanted, max(c.free for c in page.offer_units))},
        )
    return render(
        request,
        "placements/request_detail.html",
        {
            "req": place_request,
            "page": page,
            "actions": page.actions,
            # The buttons of the "What you can do" box (offers are answered in the offers' table).
            "panel_actions": [a for a in page.actions if a in PANEL_ACTIONS],
            "offer_form": offer_form,
            "reason_form": ReasonForm(),
        },
    )


PANEL_ACTIONS = ("send", "arrive", "end", "decline", "withdraw")


def _act(request: HttpRequest, call, place_request: PlaceRequest, success: str) -> HttpResponse:
    try:
        call()
    except services.Conflict as conflict:
        messages.error(request, str(conflict))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect("placements:detail", request_id=place_request.pk)


@login_required
@require_POST
def request_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    place_request = selectors.request_detail(request.user, request_id)
    reason = request.POST.get("reason", "")
    user = policy.actor_of(request)
    calls = {
        "send": (lambda: services.request_send(request=place_request, by=user), _("The request is sent.")),
        "withdraw": (
            lambda: services.request_withdraw(request=place_request, by=user, reason=reason),
            _("The request is withdrawn."),
        ),
        "decline": (
            lambda: services.request_decline(request=place_request, by=user, reason=reason),
            _("The request is declined."),
        ),
        "arrive": (
            lambda: services.request_arrive(request=place_request, by=user),
            _("The patients are marked as arrived."),
        ),
        "end": (lambda: services.request_end(request=place_request, by=user), _("The stay is ended.")),
    }
    if action not in calls:
        raise Http404
    call, success = calls[action]
    return _act(request, call, place_request, success)


@login_required
@require_POST
def offer_create(request: HttpRequest, request_id: int) -> HttpResponse:
    place_request = selectors.request_detail(request.user, request_id)
    # Any unit of the county is accepted here; the service decides whether this user may offer there.
    form = OfferForm(
        request.POST,
        units=selectors.county_units(request.user, place_request.county_id),
        free=selectors.request_page(request.user, place_request).free_by_unit,
    )
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("placements:detail", request_id=place_request.pk)
    data = form.cleaned_data
    return _act(
        request,
        lambda: services.offer_create(
            request=place_request,
            unit=data["unit"],
            places=data["places"],
            by=policy.actor_of(request),
            comment=data["comment"],
        ),
        place_request,
        _("Your offer is sent."),
    )


@login_required
@require_POST
def offer_answer(request: HttpRequest, offer_id: int, answer: str) -> HttpResponse:
    offer = selectors.offer_detail(request.user, offer_id)
    place_request = offer.request
    if answer not in {"accept", "decline"}:
        raise Http404
    if answer == "accept":
        return _act(
            request,
            lambda: services.offer_accept(offer=offer, by=policy.actor_of(request)),
            place_request,
            _("The places are reserved."),
        )
    return _act(
        request,
        lambda: services.offer_decline(offer=offer, by=policy.actor_of(request), reason=request.POST.get("reason", "")),
        place_request,
        _("The offer is declined."),
    )


@login_required
def free_places(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    needs = request.GET.getlist("need")
    municipality = request.GET.get("municipality") or None
    overview, units = selectors.free_places(request.user, county, needs=needs, municipality=municipality)
    return render(
        request,
        "placements/free_places.html",
        {
            "overview": overview,
            "units": units,
            "needs": selectors.needs_for(county),
            "selected_needs": needs,
            "municipalities": Organisation.objects.filter(county_id=county, kind="municipality"),
            "selected_municipality": municipality or "",
        },
    )


def _month(request: HttpRequest) -> tuple[int, int]:
    chosen = limits.month(request.GET.get("month"))
    if chosen is None:
        today = timezone.localdate()
        return today.year, today.month
    return chosen


def _statement_rows(statements) -> list[list]:
    rows = []
    for statement in statements:
        for line in statement.lines:
            rows.append(
                [
                    statement.payer.name,
                    statement.receiver.name,
                    line.reservation.request_id,
                    line.reservation.unit.name,
                    line.first_day.isoformat(),
                    line.last_day.isoformat(),
                    line.reservation.places,
                    line.days,
                    line.amount.quantize(CENT),  # a number: a decimal comma in CSV, a number cell in Excel
                ]
            )
        rows.append(
            [
                statement.payer.name,
                statement.receiver.name,
                _("Total"),
                "",
                "",
                "",
                "",
                statement.days,
                statement.amount.quantize(CENT),
            ]
        )
    return rows


@login_required
def settlement(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    year, month = _month(request)
    fmt = request.GET.get("format")
    missing_rate: datetime.date | None = None
    try:
        statements = selectors.settlement(request.user, county, year, month)
    except selectors.MissingDayRate as missing:
        messages.error(
            request,
            _("The county has no price per day for %(day)s, so the month cannot be settled. Add a day rate.")
            % {"day": missing.day.isoformat()},
        )
        if fmt in {"csv", "xlsx"}:
            return redirect(f"{reverse('placements:settlement')}?county={county}&month={year}-{month:02d}")
        statements, missing_rate = [], missing.day
    header = [
        _("Pays"),
        _("Receives"),
        _("Request"),
        _("Unit"),
        _("From"),
        _("To"),
        _("Places"),
        _("Place-days"),
        _("Amount (SEK)"),
    ]
    name = f"avrakning-{county}-{year}-{month:02d}"
    if fmt == "csv":
        return tables.download(tables.csv_text(header, _statement_rows(statements)), f"{name}.csv")
    if fmt == "xlsx":
        return tables.download(tables.xlsx_bytes([tables.Sheet(header, _statement_rows(statements))]), f"{name}.xlsx")
    return render(
        request,
        "placements/settlement.html",
        {
            "statements": statements,
            "county": county,
            "month": f"{year}-{month:02d}",
            "month_date": datetime.date(year, month, 1),
            "missing_rate": missing_rate,
        },
    )


@login_required
def escalation_page(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    view = escalation.escalation_view(request.user, county)
    may_confirm = policy.can(request.user, "placements.confirm_escalation", policy.Place(county=county))
    form = EscalationForm(
        request.POST or None,
        steps=EscalationStep.objects.filter(county_id=county),
        initial={"step": view.suggestion.step},
    )
    if request.method == "POST":
        if not may_confirm:
            raise PermissionDenied
        if form.is_valid():
            try:
                escalation.escalation_confirm(
                    county_code=county,
                    step=form.cleaned_data["step"],
                    by=policy.actor_of(request),
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The county's step is confirmed."))
                return redirect(reverse("placements:escalation") + f"?county={county}")
    return render(
        request, "placements/escalation.html", {"view": view, "form": form if may_confirm else None, "county": county}
    )
