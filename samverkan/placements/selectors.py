"""Reads for placements: request lists, the free-places search and the monthly settlement."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from samverkan.capacity import figures as capacity_figures
from samverkan.capacity import selectors as capacity
from samverkan.capacity.models import BedCategory, CapacityReportCategory, UnitCapacity
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation, Unit, UnitKind
from samverkan.placements import states
from samverkan.placements.models import (
    OPEN_STATUSES,
    DayRate,
    OfferStatus,
    PlacementNeed,
    PlaceOffer,
    PlaceRequest,
    RequestStatus,
    Reservation,
)


def request_list(
    principal, *, county_code: str | None = None, status: str | None = None, box: str = "all"
) -> policy.PolicyQuerySet[PlaceRequest]:
    """Requests of the principal's counties; `box` narrows to those sent by ("outgoing") or
    addressed to ("incoming") the principal's organisations, or to those that wait for its
    answer ("awaiting", see `awaiting_answer`)."""
    policy.require(principal, "placements.view")
    requests = (
        PlaceRequest.objects.visible_to(principal, "placements.view")
        .select_related("from_organisation", "to_unit", "to_municipality", "county")
        .prefetch_related("needs")
    )
    if county_code:
        requests = requests.filter(county_id=county_code)
    if status in RequestStatus.values:
        requests = requests.filter(status=status)
    if box == "outgoing":
        requests = requests.visible_to(principal, "placements.act_as_requester")
    elif box == "incoming":
        requests = requests.visible_to(principal, "placements.act_as_receiver")
    elif box == "awaiting":
        own_units = Unit.objects.visible_to(principal, "capacity.report", own=True)
        requests = (
            requests.visible_to(principal, "placements.act_as_receiver")
            .filter(status__in=OPEN_STATUSES)
            .exclude(offers__unit__in=own_units)
        )
    return requests


def awaiting_answer(principal, *, county_code: str | None = None) -> QuerySet[PlaceRequest]:
    """The requests that wait for the principal's answer: addressed to it, still open (sent or
    offered), and without an offer yet from a unit it reports for. The home page's count and the
    list it links to (`box=awaiting`) are this one query, so the count is what the list shows."""
    return request_list(principal, county_code=county_code, box="awaiting")


def places_still_wanted(request: PlaceRequest) -> int:
    """The places the request asks for that no accepted offer gives yet."""
    accepted = sum(o.places for o in request.offers.all() if o.status == OfferStatus.ACCEPTED)
    return max(request.places - accepted, 0)


@dataclass
class OfferChoice:
    unit: Unit
    free: int


@dataclass
class RequestPage:
    """What a request's page offers the principal: only what can succeed now (the state table,
    the places still wanted and the units' free places agree)."""

    actions: list[str]
    still_wanted: int
    offer_units: list[OfferChoice]  # units it may offer from, with their free places (at least 1)
    no_free_units: list[Unit]  # units it could offer from that have no free place now
    acceptable_offers: frozenset[int]  # open offers that accepting can give now

    @property
    def may_offer(self) -> bool:
        return "offer" in self.actions and self.still_wanted > 0 and bool(self.offer_units)

    @property
    def free_by_unit(self) -> dict[int, int]:
        """The free places now of every unit the principal could offer from (0 for those without)."""
        return {**{u.pk: 0 for u in self.no_free_units}, **{c.unit.pk: c.free for c in self.offer_units}}


def request_page(principal, request: PlaceRequest) -> RequestPage:
    actions = states.available_actions(principal, request)
    still_wanted = places_still_wanted(request)
    offer_units: list[OfferChoice] = []
    no_free: list[Unit] = []
    if "offer" in actions and still_wanted > 0:
        for unit in offerable_units(principal, request):
            free = capacity.unit_free_places(unit)
            if free > 0:
                offer_units.append(OfferChoice(unit, free))
            else:
                no_free.append(unit)
    acceptable: set[int] = set()
    if "accept" in actions:
        for offer in request.offers.all():
            if (
                offer.status == OfferStatus.OPEN
                and offer.places <= still_wanted
                and offer.places <= capacity.unit_free_places(offer.unit)
            ):
                acceptable.add(offer.pk)
    return RequestPage(actions, still_wanted, offer_units, no_free, frozenset(acceptable))


def request_detail(principal, request_id: int) -> PlaceRequest:
    """The request if visible (Http404 otherwise)."""
    policy.require(principal, "placements.view")
    return (
        request_list(principal)
        .prefetch_related("offers__unit", "offers__offered_by", "events", "reservations")
        .get_or_404(pk=request_id)
    )


def offer_detail(principal, offer_id: int) -> PlaceOffer:
    """The offer if its request is visible (Http404 otherwise)."""
    policy.require(principal, "placements.view")
    return (
        PlaceOffer.objects.visible_to(principal, "placements.view")
        .select_related("request", "unit")
        .get_or_404(pk=offer_id)
    )


def offerable_units(principal, request: PlaceRequest):
    """Units the principal may offer places at for this request."""

    units = Unit.objects.visible_to(principal, "capacity.report").filter(
        organisation__county_id=request.county_id, is_active=True, kind=UnitKind.SHORT_TERM
    )
    return [u for u in units.select_related("organisation") if states.addressed_to(request, u)]


def county_units(principal, county_code: str):
    """The county's active short-term units the principal can see (what an offer may name)."""

    return Unit.objects.visible_to(principal, "organisations.view").filter(
        organisation__county_id=county_code, is_active=True, kind=UnitKind.SHORT_TERM
    )


@dataclass
class FreeUnit:
    row: capacity.UnitRow
    category_free: dict[str, int] = field(default_factory=dict)


def free_places(
    principal, county_code: str | None = None, *, needs: Sequence[str] = (), municipality: str | None = None
) -> tuple:
    """Units with free places now (the shop window), from the latest reports; stale reports are
    included but marked. A need whose code is a bed category requires free places of that category."""
    overview = capacity.county_overview(principal, county_code)
    rows = [r for r in overview.rows if (r.free or 0) > 0 and r.open_for_admission]
    if municipality:
        rows = [r for r in rows if r.municipality_code == municipality]
    category_codes = set(
        BedCategory.objects.filter(county_id=overview.county.code, code__in=needs).values_list("code", flat=True)
    )
    result = [FreeUnit(row) for row in rows]
    if category_codes:
        latest = dict(
            UnitCapacity.objects.filter(unit_id__in=[r.unit_id for r in rows]).values_list(
                "unit_id", "latest_report_id"
            )
        )
        figures: defaultdict[int, dict[str, int]] = defaultdict(dict)
        for report_id, code, staffed, occupied in CapacityReportCategory.objects.filter(
            report_id__in=latest.values(), category__code__in=category_codes
        ).values_list("report_id", "category__code", "staffed", "occupied"):
            figures[report_id][code] = capacity_figures.free_places(
                staffed, occupied
            )  # reservations are per unit, not per category
        result = []
        for row in rows:
            latest_id = latest.get(row.unit_id)
            per_category = figures.get(latest_id, {}) if latest_id is not None else {}
            if all(per_category.get(code, 0) > 0 for code in category_codes):
                result.append(FreeUnit(row, per_category))
    result.sort(key=lambda f: (f.row.stale, -(f.row.free or 0), f.row.unit_name))
    return overview, result


def needs_for(county_code: str) -> QuerySet[PlacementNeed]:
    return PlacementNeed.objects.filter(county_id=county_code)


# Settlement -----------------------------------------------------------------------------


@dataclass
class SettlementLine:
    reservation: Reservation
    first_day: datetime.date
    last_day: datetime.date
    days: int
    amount: Decimal


@dataclass
class Statement:
    payer: Organisation
    receiver: Organisation
    lines: list[SettlementLine]

    @property
    def days(self) -> int:
        return sum(line.days for line in self.lines)

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0"))


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


class MissingDayRate(ValueError):
    """A day of a stay has no price: the county has no day rate in force on it."""

    def __init__(self, day: datetime.date):
        super().__init__(f"No day rate for {day}")
        self.day = day


def _rate_on(rates: list[DayRate], day: datetime.date) -> Decimal | None:
    price = None
    for rate in rates:  # ordered by valid_from
        if rate.valid_from <= day:
            price = rate.amount
    return price


def days_and_amount(
    arrived: datetime.date,
    left: datetime.date | None,
    first: datetime.date,
    last: datetime.date,
    rates: list[DayRate],
    today: datetime.date,
) -> tuple[datetime.date | None, datetime.date | None, int, Decimal]:
    """Days of a stay within [first, last], counted per night: from the arrival day up to, not
    including, the day of leaving (a stay still going counts up to today). Each day is priced at
    the rate in force that day."""
    end = min(left or today + datetime.timedelta(days=1), last + datetime.timedelta(days=1))
    start = max(arrived, first)
    if end <= start:
        return None, None, 0, Decimal("0")
    amount, day = Decimal("0"), start
    while day < end:
        price = _rate_on(rates, day)
        if price is None:
            raise MissingDayRate(day)
        amount += price
        day += datetime.timedelta(days=1)
    return start, end - datetime.timedelta(days=1), (end - start).days, amount


def settlement(
    principal, county_code: str, year: int, month: int, *, today: datetime.date | None = None
) -> list[Statement]:
    """The month's statements, one per pair of municipalities (the requester pays the unit's owner)."""
    if not policy.can(principal, "placements.settlement", policy.Place(county=county_code)):
        raise PermissionDenied
    today = today or timezone.localdate()
    first, last = month_bounds(year, month)
    rates = list(DayRate.objects.filter(county_id=county_code).order_by("valid_from"))
    reservations = (
        Reservation.objects.filter(request__county_id=county_code, arrived_on__isnull=False, arrived_on__lte=last)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=first))
        .select_related("request__from_organisation", "unit__organisation")
        .order_by("arrived_on", "id")
        .visible_to(principal, "placements.settlement")
    )
    statements: dict[tuple[int, int], Statement] = {}
    for reservation in reservations:
        payer, receiver = reservation.request.from_organisation, reservation.unit.organisation
        if payer.pk == receiver.pk or reservation.arrived_on is None:  # none: the query has only arrivals
            continue
        start, end, days, amount = days_and_amount(
            reservation.arrived_on, reservation.left_on, first, last, rates, today
        )
        if start is None or end is None:  # no day within the month
            continue
        amount *= reservation.places
        statement = statements.setdefault((payer.pk, receiver.pk), Statement(payer, receiver, []))
        statement.lines.append(SettlementLine(reservation, start, end, days * reservation.places, amount))
    return sorted(statements.values(), key=lambda s: (s.payer.name, s.receiver.name))
