"""The equipment pool through the API: availability, items, loan requests and returns. Handlers
call the same selectors and services as the pages."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import BaseModel

from samverkan.apischema import BODY, CountyCode, Date, Id, choice, count, one_of, responses, text
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation, Unit
from samverkan.resources import selectors, services, stockrows
from samverkan.resources import supply as supply_calc
from samverkan.resources.models import (
    Competence,
    EquipmentItem,
    EquipmentType,
    Loan,
    LoanRequest,
    Shift,
    StaffRequest,
)

router = Router(tags=["resources"])
MAX_ITEMS = 50


class WeekOut(Schema):
    start: datetime.date
    end: datetime.date
    free: int
    lent: int
    asked: int


class AvailabilityOut(Schema):
    type: int
    code: str
    name: str
    total: int
    available_now: int
    on_loan: int
    overdue: int
    in_service: int
    weeks: list[WeekOut]


class ItemOut(Schema):
    id: int
    type: str
    serial: str
    owner: int
    status: str
    home_municipality: str
    home_site: str
    lent_to_unit: int | None
    last_service_on: datetime.date | None
    next_service_on: datetime.date | None

    @staticmethod
    def resolve_type(obj: EquipmentItem) -> str:
        return obj.type.code

    @staticmethod
    def resolve_owner(obj: EquipmentItem) -> int:
        return obj.owner_id

    @staticmethod
    def resolve_home_municipality(obj: EquipmentItem) -> str:
        return obj.home_municipality_id

    @staticmethod
    def resolve_lent_to_unit(obj: EquipmentItem) -> int | None:
        return obj.loan_unit_id


class LoanOut(Schema):
    id: int
    item: int
    serial: str
    starts_on: datetime.date
    due_on: datetime.date
    returned_at: datetime.datetime | None
    condition: str

    @staticmethod
    def resolve_item(obj: Loan) -> int:
        return obj.item_id

    @staticmethod
    def resolve_serial(obj: Loan) -> str:
        return obj.item.serial


class LoanRequestOut(Schema):
    id: int
    county: str
    type: str
    quantity: int
    borrower: int
    unit: int
    lender: int
    needed_from: datetime.date
    needed_until: datetime.date
    purpose: str
    status: str
    decision_note: str
    loans: list[LoanOut]

    @staticmethod
    def resolve_county(obj: LoanRequest) -> str:
        return obj.county_id

    @staticmethod
    def resolve_type(obj: LoanRequest) -> str:
        return obj.type.code

    @staticmethod
    def resolve_borrower(obj: LoanRequest) -> int:
        return obj.borrower_id

    @staticmethod
    def resolve_unit(obj: LoanRequest) -> int:
        return obj.unit_id

    @staticmethod
    def resolve_lender(obj: LoanRequest) -> int:
        return obj.lender_id

    @staticmethod
    def resolve_loans(obj: LoanRequest) -> list[Loan]:
        return list(obj.loans.select_related("item"))


class LoanRequestIn(Schema):
    unit: Id = Field(description="The unit the equipment is for (one you may ask for).")
    type: Annotated[str, text(EquipmentType, "code")] = Field(
        description="The equipment type's code in the unit's county."
    )
    quantity: Annotated[int, count(LoanRequest, "quantity")]
    needed_from: Date
    needed_until: Date
    purpose: Annotated[str, text(LoanRequest, "purpose")] = Field(description="No patient identity.")
    lender: Id | None = Field(None, description="The owner to ask; by default the owner of most such items.")


class ApproveIn(BaseModel):
    items: list[Id] = Field(min_length=1, max_length=MAX_ITEMS, description="Ids of the items to lend.")
    note: Annotated[str, text(LoanRequest, "decision_note")] = ""


class ReasonIn(BaseModel):
    reason: Annotated[str, text(LoanRequest, "decision_note")] = ""


class ReturnIn(BaseModel):
    condition: Annotated[str, choice(Loan, "condition")]
    note: Annotated[str, text(Loan, "condition_note")] = ""


def _refusal(call: Callable[[], Any]) -> tuple[Status | None, Any]:
    try:
        return None, call()
    except services.Conflict as conflict:
        return Status(409, {"detail": str(conflict)}), None
    except ValidationError as error:
        return Status(
            422, {"detail": error.message_dict if hasattr(error, "error_dict") else " ".join(error.messages)}
        ), None


@router.get(
    "/resources/equipment/availability",
    url_name="resources_availability",
    response=responses({200: list[AvailabilityOut]}),
)
def equipment_availability(
    request: HttpRequest, county: CountyCode, weeks: Annotated[int, Field(ge=1, le=26)] = 6
) -> Any:
    """Per equipment type of the county: items now, and free, lent and asked-for items per
    calendar week (the first holding today). An overdue loan counts as out until returned."""
    pool = selectors.pool_availability(policy.principal_of(request), county, weeks=weeks)
    return [
        {
            "type": row.type.pk,
            "code": row.type.code,
            "name": row.type.name,
            "total": row.total,
            "available_now": row.available_now,
            "on_loan": row.on_loan,
            "overdue": row.overdue,
            "in_service": row.in_service,
            "weeks": row.weeks,
        }
        for row in pool
    ]


@router.get("/resources/equipment/items", url_name="resources_items", response=responses({200: list[ItemOut]}))
def equipment_items(
    request: HttpRequest,
    county: CountyCode,
    type: Id | None = None,
    status: Annotated[str, choice(EquipmentItem, "status")] | None = None,
) -> Any:
    return list(selectors.item_list(policy.principal_of(request), county, type_id=type, status=status)[:1000])


@router.get(
    "/resources/loan-requests", url_name="resources_loan_requests", response=responses({200: list[LoanRequestOut]})
)
def loan_requests(
    request: HttpRequest,
    county: CountyCode | None = None,
    status: Annotated[str, choice(LoanRequest, "status")] | None = None,
    box: Literal["all", "incoming", "outgoing"] = "all",
) -> Any:
    return list(selectors.loan_request_list(policy.principal_of(request), county, status=status, box=box)[:500])


@router.post(
    "/resources/loan-requests",
    url_name="resources_loan_requests_create",
    response=responses({201: LoanRequestOut}, *BODY, 404, 409),
)
def create_loan_request(request: HttpRequest, payload: LoanRequestIn) -> Any:
    who = policy.actor_of(request)
    unit = Unit.objects.visible_to(who, "organisations.view").select_related("organisation").get_or_404(pk=payload.unit)
    equipment_type = EquipmentType.objects.filter(county_id=unit.organisation.county_id, code=payload.type).first()
    if equipment_type is None:
        return Status(422, {"detail": {"type": [f"Unknown equipment type: {payload.type}."]}})
    lender = (
        Organisation.objects.visible_to(who, "organisations.view").get_or_404(pk=payload.lender)
        if payload.lender
        else None
    )
    error, created = _refusal(
        lambda: services.loan_request_create(
            by=who,
            unit=unit,
            type=equipment_type,
            quantity=payload.quantity,
            needed_from=payload.needed_from,
            needed_until=payload.needed_until,
            purpose=payload.purpose,
            lender=lender,
        )
    )
    return error or Status(201, created)


@router.get(
    "/resources/loan-requests/{request_id}",
    url_name="resources_loan_request",
    response=responses({200: LoanRequestOut}, 404),
)
def loan_request(request: HttpRequest, request_id: Id) -> Any:
    return selectors.loan_request_detail(policy.principal_of(request), request_id)


@router.post(
    "/resources/loan-requests/{request_id}/approve",
    url_name="resources_loan_request_approve",
    response=responses({200: LoanRequestOut}, *BODY, 404, 409),
)
def approve_loan_request(request: HttpRequest, request_id: Id, payload: ApproveIn) -> Any:
    """Lend the named items (all or some of the number asked for). 409 when an item is no
    longer available: another approval lent it first."""
    loan_request = selectors.loan_request_detail(policy.principal_of(request), request_id)
    items = list(EquipmentItem.objects.filter(pk__in=payload.items))
    if len(items) != len(set(payload.items)):
        return Status(422, {"detail": {"items": ["Unknown item id(s)."]}})
    error, approved = _refusal(
        lambda: services.loan_request_approve(
            request=loan_request, items=items, by=policy.actor_of(request), note=payload.note
        )
    )
    return error or Status(200, approved)


@router.post(
    "/resources/loan-requests/{request_id}/decline",
    url_name="resources_loan_request_decline",
    response=responses({200: LoanRequestOut}, *BODY, 404, 409),
)
def decline_loan_request(request: HttpRequest, request_id: Id, payload: ReasonIn) -> Any:
    loan_request = selectors.loan_request_detail(policy.principal_of(request), request_id)
    error, declined = _refusal(
        lambda: services.loan_request_decline(request=loan_request, by=policy.actor_of(request), reason=payload.reason)
    )
    return error or Status(200, declined)


@router.post(
    "/resources/loan-requests/{request_id}/withdraw",
    url_name="resources_loan_request_withdraw",
    response=responses({200: LoanRequestOut}, *BODY, 404, 409),
)
def withdraw_loan_request(request: HttpRequest, request_id: Id, payload: ReasonIn) -> Any:
    loan_request = selectors.loan_request_detail(policy.principal_of(request), request_id)
    error, withdrawn = _refusal(
        lambda: services.loan_request_withdraw(request=loan_request, by=policy.actor_of(request), reason=payload.reason)
    )
    return error or Status(200, withdrawn)


@router.post(
    "/resources/loans/{loan_id}/return",
    url_name="resources_loan_return",
    response=responses({200: LoanOut}, *BODY, 404, 409),
)
def return_loan(request: HttpRequest, loan_id: Id, payload: ReturnIn) -> Any:
    loan = selectors.loan_detail(policy.principal_of(request), loan_id)
    error, returned = _refusal(
        lambda: services.loan_return(
            loan=loan, by=policy.actor_of(request), condition=payload.condition, note=payload.note
        )
    )
    return error or Status(200, returned)


# Supply stock ----------------------------------------------------------------------------------


class StockRowIn(Schema):
    organisation: str | None = Field(None, max_length=32, description="Organisation code; may be left out with `unit`.")
    unit: str | None = Field(None, max_length=40, description="Unit code, for a unit's own stock.")
    item: str = Field(max_length=40, description="Article code in the county's catalogue.")
    on_hand: int = Field(ge=0, le=stockrows.MAX_COUNT)
    used_7_days: int | None = Field(None, ge=0, le=stockrows.MAX_COUNT, description="Leave out when not known.")
    on_order: int = Field(0, ge=0, le=stockrows.MAX_COUNT)
    expected_on: Date | None = Field(None, description="Needed when something is on order.")
    can_obtain: Literal["yes", "no", "uncertain"]


class StockReportsIn(Schema):
    county: CountyCode
    rows: list[StockRowIn] = Field(min_length=1, max_length=stockrows.MAX_ROWS)


class StockReportsOut(Schema):
    batch: str
    rows: int
    low: list[str] = Field(description="Places and articles that fell below 7 days of supply with this report.")


class SupplyOut(Schema):
    on_hand: int
    used_7_days: int | None
    days: int | None = Field(description="Whole days of supply; null when the use is not known. 1000000000: no use.")
    bucket: str | None
    colour: str | None


class StockTotalOut(Schema):
    item: str
    name: str
    total: SupplyOut
    places: int
    per_bucket: dict[str, int]


class StockMunicipalityOut(Schema):
    municipality: str
    name: str
    items: dict[str, SupplyOut | None]


class StockOverviewOut(Schema):
    county: str
    shared: bool
    totals: list[StockTotalOut]
    municipalities: list[StockMunicipalityOut] = Field(description="Only the figures the caller may see in detail.")


def _supply_out(value: supply_calc.Supply | None) -> dict[str, Any] | None:
    if value is None:
        return None
    bucket = value.bucket
    return {
        "on_hand": value.on_hand,
        "used_7_days": value.used_7_days,
        "days": value.days,
        "bucket": bucket.label if bucket else None,
        "colour": bucket.colour if bucket else None,
    }


@router.post(
    "/resources/stock-reports",
    url_name="resources_stock_reports",
    response=responses({201: StockReportsOut}, *BODY),
)
def stock_reports(request: HttpRequest, payload: StockReportsIn) -> Any:
    """Many rows per call, all or nothing: every row is checked as on the upload page, and any
    error (422, keyed `index.column`) stores nothing."""
    rows = [(str(index), row.model_dump(exclude_none=True)) for index, row in enumerate(payload.rows)]
    for _index, row in rows:
        if "expected_on" in row:
            row["expected_on"] = row["expected_on"].isoformat()
    try:
        batch = services.stock_reports_submit(
            county_code=payload.county, rows=rows, by=policy.actor_of(request), source="api"
        )
    except stockrows.Invalid as invalid:
        detail: dict[str, list[str]] = {}
        for error in invalid.errors:
            detail.setdefault(f"rows.{error.row}.{error.column}" if error.column else f"rows.{error.row}", []).append(
                error.message
            )
        return Status(422, {"detail": detail})
    return Status(
        201,
        {
            "batch": str(batch.batch),
            "rows": batch.count,
            "low": [f"{(r.unit or r.organisation).name}: {r.item.name}" for r in batch.low],
        },
    )


@router.get(
    "/resources/stock-overview", url_name="resources_stock_overview", response=responses({200: StockOverviewOut})
)
def stock_overview(request: HttpRequest, county: CountyCode) -> Any:
    overview = selectors.stock_overview(policy.principal_of(request), county)
    buckets = list(supply_calc.Bucket)
    return {
        "county": county,
        "shared": overview.shared,
        "totals": [
            {
                "item": t.item.code,
                "name": t.item.name,
                "total": _supply_out(t.total),
                "places": t.places,
                "per_bucket": {b.label: n for b, n in zip(buckets, t.per_bucket, strict=True)},
            }
            for t in overview.totals
        ],
        "municipalities": [
            {
                "municipality": m.code,
                "name": m.name,
                "items": {item.code: _supply_out(s) for item, s in zip(overview.items, cells, strict=True)},
            }
            for m, cells in overview.municipalities
        ],
    }


# Staff requests -----------------------------------------------------------------------------------


class StaffRequestIn(Schema):
    unit: Id = Field(description="The unit that needs the staff (one you may ask for).")
    profession: Annotated[str, choice(StaffRequest, "profession")]
    competences: list[Annotated[str, one_of(*Competence.values)]] = Field(default_factory=list, max_length=10)
    competence_note: Annotated[str, text(StaffRequest, "competence_note")] = ""
    number: Annotated[int, count(StaffRequest, "number")]
    starts_on: Date
    ends_on: Date
    shifts: list[Annotated[str, one_of(*Shift.values)]] = Field(min_length=1, max_length=4)
    reason: Annotated[str, text(StaffRequest, "reason")] = Field(description="No patient identity.")


class StaffProposalIn(BaseModel):
    proposed_number: Annotated[int, count(StaffRequest, "proposed_number")]
    staff_from: Annotated[str, text(StaffRequest, "staff_from")] = ""
    proposal: Annotated[str, text(StaffRequest, "proposal")]


class StaffDecisionIn(BaseModel):
    number: Annotated[int, count(StaffRequest, "decided_number")] = Field(
        description="Staff approved: all, some, or 0 to decline."
    )
    reason: Annotated[str, text(StaffRequest, "decision_reason")] = ""
    decided_by_body: Annotated[str, text(StaffRequest, "decided_by_body")] = Field(
        description="Who decided, e.g. the management group."
    )


class StaffRequestOut(Schema):
    id: int
    county: str
    requester: int
    unit: int
    profession: str
    competences: list[str]
    competence_note: str
    number: int
    starts_on: datetime.date
    ends_on: datetime.date
    shifts: list[str]
    reason: str
    status: str
    proposal: str
    proposed_number: int | None
    staff_from: str
    decided_number: int | None
    decision_reason: str
    decided_by_body: str
    decided_at: datetime.datetime | None

    @staticmethod
    def resolve_county(obj: StaffRequest) -> str:
        return obj.county_id

    @staticmethod
    def resolve_requester(obj: StaffRequest) -> int:
        return obj.requester_id

    @staticmethod
    def resolve_unit(obj: StaffRequest) -> int:
        return obj.unit_id


class LentWeekOut(Schema):
    unit: int
    unit_name: str
    organisation: str
    weeks: dict[str, int] = Field(description="Staff lent per ISO week (YYYY-Www).")


@router.get(
    "/resources/staff-requests", url_name="resources_staff_requests", response=responses({200: list[StaffRequestOut]})
)
def staff_requests(
    request: HttpRequest,
    county: CountyCode | None = None,
    status: Annotated[str, choice(StaffRequest, "status")] | None = None,
    box: Literal["all", "outgoing"] = "all",
) -> Any:
    return list(selectors.staff_request_list(policy.principal_of(request), county, status=status, box=box)[:500])


@router.post(
    "/resources/staff-requests",
    url_name="resources_staff_requests_create",
    response=responses({201: StaffRequestOut}, *BODY, 404, 409),
)
def create_staff_request(request: HttpRequest, payload: StaffRequestIn) -> Any:
    who = policy.actor_of(request)
    unit = Unit.objects.visible_to(who, "organisations.view").select_related("organisation").get_or_404(pk=payload.unit)
    data = payload.model_dump(exclude={"unit"})
    error, created = _refusal(lambda: services.staff_request_create(by=who, unit=unit, **data))
    return error or Status(201, created)


@router.get(
    "/resources/staff-requests/{request_id}",
    url_name="resources_staff_request",
    response=responses({200: StaffRequestOut}, 404),
)
def staff_request(request: HttpRequest, request_id: Id) -> Any:
    return selectors.staff_request_detail(policy.principal_of(request), request_id)


@router.post(
    "/resources/staff-requests/{request_id}/propose",
    url_name="resources_staff_request_propose",
    response=responses({200: StaffRequestOut}, *BODY, 404, 409),
)
def propose_staff(request: HttpRequest, request_id: Id, payload: StaffProposalIn) -> Any:
    staff = selectors.staff_request_detail(policy.principal_of(request), request_id)
    error, done = _refusal(
        lambda: services.staff_request_propose(request=staff, by=policy.actor_of(request), **payload.model_dump())
    )
    return error or Status(200, done)


@router.post(
    "/resources/staff-requests/{request_id}/decide",
    url_name="resources_staff_request_decide",
    response=responses({200: StaffRequestOut}, *BODY, 404, 409),
)
def decide_staff(request: HttpRequest, request_id: Id, payload: StaffDecisionIn) -> Any:
    """Regional management's decision: all asked for (approved), some (approved in part, with a
    reason) or 0 (declined, with a reason)."""
    staff = selectors.staff_request_detail(policy.principal_of(request), request_id)
    error, done = _refusal(
        lambda: services.staff_request_decide(request=staff, by=policy.actor_of(request), **payload.model_dump())
    )
    return error or Status(200, done)


@router.post(
    "/resources/staff-requests/{request_id}/withdraw",
    url_name="resources_staff_request_withdraw",
    response=responses({200: StaffRequestOut}, *BODY, 404, 409),
)
def withdraw_staff(request: HttpRequest, request_id: Id, payload: ReasonIn) -> Any:
    staff = selectors.staff_request_detail(policy.principal_of(request), request_id)
    error, done = _refusal(
        lambda: services.staff_request_withdraw(request=staff, by=policy.actor_of(request), reason=payload.reason)
    )
    return error or Status(200, done)


@router.get("/resources/staff-lent", url_name="resources_staff_lent", response=responses({200: list[LentWeekOut]}))
def staff_lent(request: HttpRequest, county: CountyCode, weeks: Annotated[int, Field(ge=1, le=26)] = 8) -> Any:
    """Staff lent by the region per calendar week (the first holding today) and unit."""
    bounds, rows, _totals = selectors.lent_staff(policy.principal_of(request), county, weeks=weeks)
    labels = [f"{start.isocalendar().year}-W{start.isocalendar().week:02d}" for start, _end in bounds]
    return [
        {
            "unit": row.unit.pk,
            "unit_name": row.unit.name,
            "organisation": row.requester.name,
            "weeks": dict(zip(labels, row.weeks, strict=True)),
        }
        for row in rows
    ]
