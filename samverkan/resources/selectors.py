"""Reads for shared resources, narrowed by the policy: the pool's availability per type and week,
where the items are per municipality, items with their history, loan requests and overdue loans."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from samverkan.organisations import policy
from samverkan.organisations.models import Municipality, Organisation, Unit
from samverkan.resources import availability
from samverkan.resources import supply as supply_calc
from samverkan.resources.models import (
    EquipmentItem,
    EquipmentType,
    ItemStatus,
    Loan,
    LoanRequest,
    LoanStatus,
    StaffRequest,
    StaffStatus,
    StockReport,
    SupplyContact,
    SupplyItem,
    SupplySettings,
)

WEEKS = 6


def _require_county(principal: policy.Asker, action: str, county_code: str) -> None:
    if not policy.can(principal, action, policy.Place(county=county_code)):
        raise PermissionDenied(action)


@dataclass
class TypeAvailability:
    type: EquipmentType
    total: int  # not retired
    available_now: int
    on_loan: int
    in_service: int
    overdue: int
    weeks: list[availability.Period] = field(default_factory=list)


def pool_availability(
    principal: policy.Asker, county_code: str, *, today: datetime.date | None = None, weeks: int = WEEKS
) -> list[TypeAvailability]:
    """Per equipment type of the county: the items now, and free, lent and asked-for items in
    each of the coming `weeks` calendar weeks (resources/availability.py)."""
    _require_county(principal, "resources.view", county_code)
    today = today or timezone.localdate()
    bounds = availability.weeks_from(today, weeks)
    types = list(EquipmentType.objects.visible_to(principal, "resources.view").filter(county_id=county_code))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for type_id, status in EquipmentItem.objects.filter(type__in=types).values_list("type_id", "status"):
        counts[type_id][status] += 1
    loans: dict[int, list[availability.Span]] = defaultdict(list)
    overdue: dict[int, int] = defaultdict(int)
    for type_id, first, due in Loan.objects.filter(item__type__in=types, returned_at__isnull=True).values_list(
        "item__type_id", "starts_on", "due_on"
    ):
        loans[type_id].append(availability.taken_span(first, due, today))
        overdue[type_id] += due < today
    asked: dict[int, list[availability.Span]] = defaultdict(list)
    for type_id, first, last, quantity in LoanRequest.objects.filter(
        type__in=types, status=LoanStatus.REQUESTED, needed_until__gte=today
    ).values_list("type_id", "needed_from", "needed_until", "quantity"):
        asked[type_id].append(availability.Span(first, last, quantity))
    result = []
    for equipment_type in types:
        by_status = counts[equipment_type.pk]
        pool = by_status[ItemStatus.AVAILABLE] + by_status[ItemStatus.ON_LOAN]
        result.append(
            TypeAvailability(
                type=equipment_type,
                total=pool + by_status[ItemStatus.IN_SERVICE],
                available_now=by_status[ItemStatus.AVAILABLE],
                on_loan=by_status[ItemStatus.ON_LOAN],
                in_service=by_status[ItemStatus.IN_SERVICE],
                overdue=overdue[equipment_type.pk],
                weeks=availability.periods(
                    pool=pool, loans=loans[equipment_type.pk], asked=asked[equipment_type.pk], bounds=bounds
                ),
            )
        )
    return result


@dataclass
class MunicipalityRow:
    municipality: Municipality
    at_home: dict[int, int]  # type id -> items kept here and not lent
    lent_here: dict[int, int]  # type id -> items lent to units here
    overdue: int
    cells: list[tuple[int, int]] = field(default_factory=list)  # (at home, lent here) per type, in the types' order

    @property
    def total(self) -> int:
        return sum(self.at_home.values()) + sum(self.lent_here.values())


def items_by_municipality(
    principal: policy.Asker, county_code: str, *, today: datetime.date | None = None
) -> tuple[list[EquipmentType], list[MunicipalityRow]]:
    """Where the county's items are now, per municipality and type (retired items left out): at
    home (available or in service) or lent to a unit there."""
    _require_county(principal, "resources.view", county_code)
    today = today or timezone.localdate()
    types = list(EquipmentType.objects.visible_to(principal, "resources.view").filter(county_id=county_code))
    at_home: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    lent: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    overdue: dict[str, int] = defaultdict(int)
    items = (
        EquipmentItem.objects.visible_to(principal, "resources.view")
        .filter(type__in=types)
        .exclude(status=ItemStatus.RETIRED)
        .values_list("type_id", "home_municipality_id", "loan_unit__municipality_id")
    )
    for type_id, home, lent_in in items:
        if lent_in:
            lent[lent_in][type_id] += 1
        else:
            at_home[home][type_id] += 1
    for municipality_id in Loan.objects.filter(
        item__type__in=types, returned_at__isnull=True, due_on__lt=today
    ).values_list("unit__municipality_id", flat=True):
        overdue[municipality_id] += 1
    codes = set(at_home) | set(lent)
    rows = [
        MunicipalityRow(
            m,
            dict(at_home[m.code]),
            dict(lent[m.code]),
            overdue[m.code],
            [(at_home[m.code].get(t.pk, 0), lent[m.code].get(t.pk, 0)) for t in types],
        )
        for m in Municipality.objects.filter(code__in=codes).order_by("name")
    ]
    return types, rows


def type_list(principal: policy.Asker, county_code: str) -> QuerySet[EquipmentType]:
    _require_county(principal, "resources.view", county_code)
    return EquipmentType.objects.visible_to(principal, "resources.view").filter(county_id=county_code)


def item_list(
    principal: policy.Asker, county_code: str, *, type_id: int | None = None, status: str | None = None
) -> QuerySet[EquipmentItem]:
    _require_county(principal, "resources.view", county_code)
    items = (
        EquipmentItem.objects.visible_to(principal, "resources.view")
        .filter(owner__county_id=county_code)
        .select_related("type", "owner", "home_municipality", "loan_unit__municipality")
    )
    if type_id:
        items = items.filter(type_id=type_id)
    if status in ItemStatus.values:
        items = items.filter(status=status)
    return items


def item_detail(principal: policy.Asker, item_id: int) -> EquipmentItem:
    """The item if visible (Http404 otherwise), with its history."""
    return (
        EquipmentItem.objects.visible_to(principal, "resources.view")
        .select_related("type", "owner", "home_municipality", "loan_unit")
        .prefetch_related("events")
        .get_or_404(pk=item_id)
    )


def item_loans(principal: policy.Asker, item: EquipmentItem) -> QuerySet[Loan]:
    """The item's loans whose requests the principal may see, newest first."""
    return (
        Loan.objects.visible_to(principal, "resources.view_loans")
        .filter(item=item)
        .select_related("request__borrower", "unit")
        .order_by("-starts_on", "-id")
    )


def managed_owners(principal: policy.Asker, county_code: str) -> QuerySet[Organisation]:
    """The organisations of the county whose equipment the principal manages."""
    places = policy.places(principal, "resources.manage_items")
    organisations = Organisation.objects.filter(county_id=county_code)
    if policy.is_admin(principal):
        return organisations
    return organisations.filter(pk__in=[place.organisation for place in places])


def requesting_units(principal: policy.Asker, county_code: str) -> QuerySet[Unit]:
    """The units of the county the principal may ask to borrow equipment for."""
    return (
        Unit.objects.visible_to(principal, "resources.request_loan")
        .filter(organisation__county_id=county_code, is_active=True)
        .select_related("organisation")
    )


def lenders(county_code: str) -> QuerySet[Organisation]:
    """The organisations of the county that own items that can be lent."""
    return Organisation.objects.filter(
        county_id=county_code, equipment__status__in=[ItemStatus.AVAILABLE, ItemStatus.ON_LOAN]
    ).distinct()


def loan_request_list(
    principal: policy.Asker,
    county_code: str | None = None,
    *,
    status: str | None = None,
    box: str = "all",
) -> policy.PolicyQuerySet[LoanRequest]:
    """Loan requests the principal may see; `box` narrows to those it made ("outgoing") or that
    ask its organisations ("incoming")."""
    requests = (
        LoanRequest.objects.visible_to(principal, "resources.view_loans")
        .select_related("type", "borrower", "unit", "lender")
        .prefetch_related("loans")
    )
    if county_code:
        requests = requests.filter(county_id=county_code)
    if status in LoanStatus.values:
        requests = requests.filter(status=status)
    if box == "outgoing":
        requests = requests.visible_to(principal, "resources.act_as_borrower")
    elif box == "incoming":
        requests = requests.visible_to(principal, "resources.act_as_lender")
    return requests


def loan_request_detail(principal: policy.Asker, request_id: int) -> LoanRequest:
    """The request if visible (Http404 otherwise)."""
    return loan_request_list(principal).prefetch_related("loans__item").get_or_404(pk=request_id)


def loan_detail(principal: policy.Asker, loan_id: int) -> Loan:
    """The loan if visible (Http404 otherwise), with its request."""
    return Loan.objects.visible_to(principal, "resources.view_loans").select_related("request").get_or_404(pk=loan_id)


def lendable_items(principal: policy.Asker, request: LoanRequest) -> QuerySet[EquipmentItem]:
    """The lender's available items of the requested type, to choose from when approving."""
    return EquipmentItem.objects.filter(
        type_id=request.type_id, owner_id=request.lender_id, status=ItemStatus.AVAILABLE
    ).select_related("home_municipality")


def overdue_loans(principal: policy.Asker, county_code: str, *, today: datetime.date | None = None) -> QuerySet[Loan]:
    """Open loans past their last day, which the principal may see."""
    today = today or timezone.localdate()
    return (
        Loan.objects.visible_to(principal, "resources.view_loans")
        .filter(request__county_id=county_code, returned_at__isnull=True, due_on__lt=today)
        .select_related("item__type", "unit", "request__borrower")
        .order_by("due_on", "id")
    )


def may(principal: policy.Asker, action: str, county_code: str) -> bool:
    return policy.can(principal, action, policy.Place(county=county_code))


# Supply stock --------------------------------------------------------------------------------------

STOCK_WINDOW_DAYS = 30  # a report older than this is not the stock "now"


@dataclass
class LatestReport:
    report: StockReport
    supply: supply_calc.Supply

    @property
    def municipality_code(self) -> str:
        report = self.report
        if report.unit is not None:
            return report.unit.municipality_id
        return report.organisation.municipality_id or ""


def latest_reports(
    principal: policy.Asker,
    county_code: str,
    *,
    action: str = "resources.view_stock_details",
    now: datetime.datetime | None = None,
) -> list[LatestReport]:
    """The latest report of each (organisation, unit, article) in the last STOCK_WINDOW_DAYS days.
    With the default `action`, only those the principal may see in detail; with None, all of them
    (for the county's totals, which name no one)."""
    now = now or timezone.now()
    reports = StockReport.objects.filter(
        supply_id=county_code, reported_at__gte=now - datetime.timedelta(days=STOCK_WINDOW_DAYS)
    )
    if action:
        reports = reports.visible_to(principal, action)
    seen: set[tuple[int, int | None, int]] = set()
    latest = []
    for report in reports.select_related("organisation", "unit", "item").order_by("-reported_at", "-id"):
        key = (report.organisation_id, report.unit_id, report.item_id)
        if key in seen:
            continue
        seen.add(key)
        latest.append(LatestReport(report, supply_calc.of_report(report.on_hand, report.used_7_days)))
    return latest


@dataclass
class ItemTotal:
    """The county's stock of one article: totals and how many reporting places fall in each bucket."""

    item: SupplyItem
    total: supply_calc.Supply
    places: int
    per_bucket: list[int]  # in supply_calc.Bucket's order
    unknown: int  # places whose use is not reported


@dataclass
class StockOverview:
    county_code: str
    items: list[SupplyItem]
    totals: list[ItemTotal]
    municipalities: list[tuple[Municipality, list[supply_calc.Supply | None]]]  # per article, in items' order
    low: list[LatestReport]
    shared: bool


def stock_overview(principal: policy.Asker, county_code: str, *, now: datetime.datetime | None = None) -> StockOverview:
    """The county's supply: per article the county's totals (every member sees them); per
    municipality and article the days of supply of the reports the principal may see in detail
    (summed over the municipality's organisations and units); the low ones."""
    _require_county(principal, "resources.view_stock", county_code)
    items = list(
        SupplyItem.objects.visible_to(principal, "resources.view_stock").filter(county_id=county_code, is_active=True)
    )
    everything = latest_reports(principal, county_code, action="", now=now)
    totals = []
    for item in items:
        of_item = [r for r in everything if r.report.item_id == item.pk]
        per_bucket = [0] * len(supply_calc.Bucket)
        for latest in of_item:
            if latest.supply.bucket is not None:
                per_bucket[list(supply_calc.Bucket).index(latest.supply.bucket)] += 1
        totals.append(
            ItemTotal(
                item=item,
                total=supply_calc.of_sum([(r.report.on_hand, r.report.used_7_days) for r in of_item]),
                places=len(of_item),
                per_bucket=per_bucket,
                unknown=sum(1 for r in of_item if r.supply.days is None),
            )
        )
    visible = latest_reports(principal, county_code, now=now)
    by_municipality: dict[str, dict[int, list[tuple[int, int | None]]]] = defaultdict(lambda: defaultdict(list))
    for latest in visible:
        by_municipality[latest.municipality_code][latest.report.item_id].append(
            (latest.report.on_hand, latest.report.used_7_days)
        )
    municipalities = [
        (
            m,
            [
                supply_calc.of_sum(by_municipality[m.code][i.pk]) if by_municipality[m.code][i.pk] else None
                for i in items
            ],
        )
        for m in Municipality.objects.filter(code__in=by_municipality).order_by("name")
    ]
    settings_row = SupplySettings.objects.filter(pk=county_code).first()
    return StockOverview(
        county_code=county_code,
        items=items,
        totals=totals,
        municipalities=municipalities,
        low=sorted((r for r in visible if r.supply.low), key=lambda r: (r.supply.days or 0, r.report.item.name)),
        shared=bool(settings_row and settings_row.share_details),
    )


@dataclass(frozen=True)
class ReportingPlace:
    """Where a person may report stock for: an organisation as a whole, or one of its units."""

    organisation: Organisation
    unit: Unit | None

    @property
    def key(self) -> str:
        return f"u{self.unit.pk}" if self.unit else f"o{self.organisation.pk}"

    @property
    def label(self) -> str:
        return f"{self.unit.name} ({self.organisation.name})" if self.unit else self.organisation.name


def reporting_places(principal: policy.Asker, county_code: str) -> list[ReportingPlace]:
    organisations = Organisation.objects.visible_to(principal, "resources.report_stock_organisation").filter(
        county_id=county_code, is_active=True
    )
    units = (
        Unit.objects.visible_to(principal, "resources.report_stock")
        .filter(organisation__county_id=county_code, is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )
    places = [ReportingPlace(o, None) for o in organisations.order_by("name")]
    return places + [ReportingPlace(u.organisation, u) for u in units]


def last_report_values(principal: policy.Asker, place: ReportingPlace) -> dict[int, StockReport]:
    """The place's latest report per article (to prefill the quick report), whatever its age."""
    reports = StockReport.objects.filter(organisation=place.organisation, unit=place.unit).order_by(
        "-reported_at", "-id"
    )
    latest: dict[int, StockReport] = {}
    for report in reports[:2000]:
        latest.setdefault(report.item_id, report)
    return latest


def supply_items(principal: policy.Asker, county_code: str) -> policy.PolicyQuerySet[SupplyItem]:
    _require_county(principal, "resources.view_stock", county_code)
    return SupplyItem.objects.visible_to(principal, "resources.view_stock").filter(county_id=county_code)


def supply_contacts(principal: policy.Asker, county_code: str) -> QuerySet[SupplyContact]:
    return (
        SupplyContact.objects.visible_to(principal, "resources.view_stock")
        .filter(county_id=county_code)
        .select_related("user")
        .prefetch_related("municipalities")
    )


# Staff requests -------------------------------------------------------------------------------------


def staff_request_list(
    principal: policy.Asker, county_code: str | None = None, *, status: str | None = None, box: str = "all"
) -> policy.PolicyQuerySet[StaffRequest]:
    """Staff requests the principal may see; `box` "outgoing": those it may act on as requester."""
    requests = StaffRequest.objects.visible_to(principal, "resources.view_staff_requests").select_related(
        "requester", "unit"
    )
    if county_code:
        requests = requests.filter(county_id=county_code)
    if status in StaffStatus.values:
        requests = requests.filter(status=status)
    if box == "outgoing":
        requests = requests.visible_to(principal, "resources.act_as_staff_requester")
    return requests


def staff_request_detail(principal: policy.Asker, request_id: int) -> StaffRequest:
    """The request if visible (Http404 otherwise), with its history."""
    return staff_request_list(principal).prefetch_related("events").get_or_404(pk=request_id)


def staff_units(principal: policy.Asker, county_code: str) -> QuerySet[Unit]:
    """The units of the county the principal may ask the region for staff for."""
    return (
        Unit.objects.visible_to(principal, "resources.request_staff")
        .filter(organisation__county_id=county_code, is_active=True)
        .select_related("organisation")
    )


@dataclass
class LentStaffRow:
    unit: Unit
    requester: Organisation
    weeks: list[int]  # staff lent in each week of the overview

    @property
    def total(self) -> int:
        return sum(self.weeks)


def lent_staff(
    principal: policy.Asker, county_code: str, *, today: datetime.date | None = None, weeks: int = 8
) -> tuple[list[tuple[datetime.date, datetime.date]], list[LentStaffRow], list[int]]:
    """Staff lent by the region per calendar week and unit: the number approved on each approved
    (or in part approved) request whose period touches the week. Returns the weeks, a row per unit
    and the totals per week."""
    _require_county(principal, "resources.view_staff_requests", county_code)
    today = today or timezone.localdate()
    bounds = availability.weeks_from(today, weeks)
    requests = (
        staff_request_list(principal, county_code)
        .filter(status__in=[StaffStatus.APPROVED, StaffStatus.PARTLY_APPROVED])
        .filter(ends_on__gte=bounds[0][0], starts_on__lte=bounds[-1][1])
        .order_by("unit__name", "starts_on")
    )
    rows: dict[int, LentStaffRow] = {}
    for request in requests:
        span = availability.Span(request.starts_on, request.ends_on, request.decided_number or 0)
        row = rows.setdefault(request.unit_id, LentStaffRow(request.unit, request.requester, [0] * len(bounds)))
        for index, (start, end) in enumerate(bounds):
            if span.overlaps(start, end):
                row.weeks[index] += span.count
    ordered = sorted(rows.values(), key=lambda r: (r.requester.name, r.unit.name))
    totals = [sum(r.weeks[i] for r in ordered) for i in range(len(bounds))]
    return bounds, ordered, totals
