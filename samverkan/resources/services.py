"""Writes for shared resources. Every write is atomic, checks the policy (and, for loan requests,
the state table in states.py), writes an audit event in its transaction and, for an item, a row
of its visible history.

An item is never lent twice: approving locks the chosen items' rows (SELECT … FOR UPDATE on
PostgreSQL; SQLite's write transaction, begun IMMEDIATE, serialises the same section), re-checks
that each is available inside that lock, and the database refuses a second open loan of an item
(the partial unique index `loan_one_open_per_item`)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from samverkan.accounts.models import User
from samverkan.accounts.services import notify
from samverkan.audit.services import audit_record, snapshot
from samverkan.flow.pseudonyms import PERSONNUMMER_LIKE
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality, Organisation, Unit
from samverkan.organisations.roles import Role
from samverkan.resources import states, stockrows, supply
from samverkan.resources.models import (
    Competence,
    EquipmentItem,
    EquipmentType,
    ItemEvent,
    ItemStatus,
    Loan,
    LoanRequest,
    LoanStatus,
    Profession,
    ReturnCondition,
    Shift,
    StaffEvent,
    StaffRequest,
    StaffStatus,
    StockReport,
    SupplyContact,
    SupplyItem,
    SupplySettings,
)

S = LoanStatus
MAX_QUANTITY = 50


class Conflict(Exception):
    """The action cannot be done as things stand now (another approval took the item meanwhile)."""


def _label(principal: policy.Principal) -> str:
    if isinstance(principal, User):
        return principal.get_full_name() or principal.get_username()
    return str(getattr(principal, "name", None) or principal)


def _user(principal: policy.Principal) -> User | None:
    return principal if isinstance(principal, User) else None


def _check_text(text: str, field: str) -> None:
    """Free text must not identify a patient: anything that looks like a personnummer is refused."""
    if PERSONNUMMER_LIKE.search(text or ""):
        raise ValidationError(
            {field: [_("The text looks like it contains a personal identity number. Leave patient identity out.")]}
        )


def _item_event(
    item: EquipmentItem, action: str, by: policy.Principal, text: str = "", unit: Unit | None = None
) -> None:
    ItemEvent.objects.create(item=item, action=action, text=text, actor_label=_label(by), unit=unit)


def _people(*, organisations: Sequence[int] = (), units: Sequence[int] = ()) -> list[User]:
    """The coordinators of these organisations and the staff of these units."""
    return list(
        User.objects.filter(is_active=True)
        .filter(
            Q(memberships__organisation_id__in=organisations, memberships__role__in=policy.COORDINATORS)
            | Q(memberships__unit_id__in=units, memberships__role=Role.UNIT_STAFF)
        )
        .distinct()
    )


def _url(request: LoanRequest) -> str:
    return reverse("resources:loan", kwargs={"request_id": request.pk})


# Equipment types and items ----------------------------------------------------------------------


def equipment_type_create(
    *, county: County, code: str, name: str, description: str = "", by: policy.Principal
) -> EquipmentType:
    """A new kind of equipment on the county's list."""
    equipment_type = EquipmentType(county=county, code=code.strip(), name=name.strip(), description=description)
    policy.require(by, "resources.manage_types", equipment_type)
    equipment_type.full_clean()
    with transaction.atomic():
        equipment_type.save()
        audit_record(
            by=by,
            event_type="resources.equipment_type_created",
            obj=equipment_type,
            after=snapshot(equipment_type, ["county", "code", "name", "description"]),
        )
    return equipment_type


def item_create(
    *,
    type: EquipmentType,
    serial: str,
    owner: Organisation,
    home_municipality: Municipality,
    home_site: str = "",
    last_service_on: datetime.date | None = None,
    next_service_on: datetime.date | None = None,
    note: str = "",
    by: policy.Principal,
) -> EquipmentItem:
    """Add an item to the pool; `by` must manage the owner's equipment."""
    item = EquipmentItem(
        type=type,
        serial=serial.strip(),
        owner=owner,
        home_municipality=home_municipality,
        home_site=home_site,
        last_service_on=last_service_on,
        next_service_on=next_service_on,
        note=note,
    )
    policy.require(by, "resources.manage_items", item)
    errors: dict[str, list[str]] = {}
    if type.county_id != owner.county_id:
        errors["type"] = [_("The equipment type belongs to another county.")]
    if home_municipality.county_id != owner.county_id:
        errors["home_municipality"] = [_("Choose a municipality of the owner's county.")]
    if errors:
        raise ValidationError(errors)
    item.full_clean()
    with transaction.atomic():
        item.save()
        _item_event(item, "added", by, _("Added to the pool."))
        audit_record(
            by=by,
            event_type="resources.item_created",
            obj=item,
            organisation=owner,
            after=snapshot(item, ["type", "serial", "owner", "home_municipality", "home_site", "next_service_on"]),
        )
    return item


def item_update(
    *,
    item: EquipmentItem,
    status: str,
    last_service_on: datetime.date | None,
    next_service_on: datetime.date | None,
    home_site: str | None = None,
    note: str | None = None,
    by: policy.Principal,
) -> EquipmentItem:
    """Record service dates, send an item to service, take it back, or retire it. An item on loan
    keeps that status until it is returned."""
    with transaction.atomic():
        item = EquipmentItem.objects.select_for_update(of=("self",)).select_related("owner").get(pk=item.pk)
        policy.require(by, "resources.manage_items", item)
        if status not in {ItemStatus.AVAILABLE, ItemStatus.IN_SERVICE, ItemStatus.RETIRED, item.status}:
            raise ValidationError({"status": [_("An item becomes on loan only through an approved loan request.")]})
        if item.status == ItemStatus.ON_LOAN and status != ItemStatus.ON_LOAN:
            raise Conflict(_("The item is on loan; note its return first."))
        fields = ["status", "last_service_on", "next_service_on", "home_site", "note"]
        before = snapshot(item, fields)
        item.status, item.last_service_on, item.next_service_on = status, last_service_on, next_service_on
        if home_site is not None:
            item.home_site = home_site
        if note is not None:
            item.note = note
        item.full_clean()
        item.save(update_fields=fields)
        after = snapshot(item, fields)
        changed = {key: value for key, value in after.items() if before.get(key) != value}
        if changed:
            _item_event(item, "updated", by, ", ".join(f"{key}: {value or '–'}" for key, value in changed.items()))
            audit_record(
                by=by,
                event_type="resources.item_updated",
                obj=item,
                organisation=item.owner,
                before={key: before[key] for key in changed},
                after=changed,
            )
    return item


# Loan requests ------------------------------------------------------------------------------------


def _lock(request: LoanRequest) -> LoanRequest:
    locked: LoanRequest = (
        LoanRequest.objects.select_for_update(of=("self",))
        .select_related("borrower", "lender", "unit", "type")
        .get(pk=request.pk)
    )
    return locked


def _require(by: policy.Principal, request: LoanRequest, action: str) -> None:
    if not states.allowed(by, request, action):
        if request.status not in states.TRANSITIONS[action].sources:
            raise Conflict(
                _("The loan request is %(status)s; that can no longer be done.")
                % {"status": request.get_status_display().lower()}
            )
        raise PermissionDenied(action)


def loan_request_create(
    *,
    by: policy.Principal,
    unit: Unit,
    type: EquipmentType,
    quantity: int,
    needed_from: datetime.date,
    needed_until: datetime.date,
    purpose: str,
    lender: Organisation | None = None,
) -> LoanRequest:
    """Ask to borrow `quantity` items of `type` for `unit`, from `lender` (by default the
    organisation that owns most items of the type in the county)."""
    if lender is None:
        lender = _default_lender(type)
    request = LoanRequest(
        county_id=unit.organisation.county_id,
        type=type,
        quantity=quantity,
        borrower=unit.organisation,
        unit=unit,
        lender=lender,
        needed_from=needed_from,
        needed_until=needed_until,
        purpose=purpose,
        created_by=_user(by),
    )
    if not policy.can(by, "resources.request_loan", unit) or states.BORROWER not in states.sides_of(by, request):
        raise PermissionDenied("resources.request_loan")
    errors: dict[str, list[str]] = {}
    if type.county_id != unit.organisation.county_id:
        errors.setdefault("type", []).append(_("The equipment type belongs to another county."))
    if lender is None:
        errors.setdefault("lender", []).append(_("Nobody in the county owns equipment of this type."))
    elif lender.county_id != unit.organisation.county_id:
        errors.setdefault("lender", []).append(_("Ask an owner in your own county."))
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        errors.setdefault("quantity", []).append(_("Ask for between 1 and %(n)d items.") % {"n": MAX_QUANTITY})
    if needed_until < needed_from:
        errors.setdefault("needed_until", []).append(_("The end date is before the start date."))
    if not purpose.strip():
        errors.setdefault("purpose", []).append(_("Say what the equipment is for."))
    try:
        _check_text(purpose, "purpose")
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request.save()
        audit_record(
            by=by,
            event_type="resources.loan_requested",
            obj=request,
            organisation=request.borrower,
            after=snapshot(request, ["type", "quantity", "unit", "lender", "needed_from", "needed_until", "purpose"]),
        )
        notify(
            users=_people(organisations=[lender.pk] if lender else []),
            text=ngettext(
                "%(org)s asks to borrow %(n)d %(type)s from %(date)s.",
                "%(org)s asks to borrow %(n)d × %(type)s from %(date)s.",
                quantity,
            )
            % {"org": request.borrower.name, "n": quantity, "type": type.name, "date": needed_from.isoformat()},
            url=_url(request),
            by=by,
        )
    return request


def _default_lender(type: EquipmentType) -> Organisation | None:
    owners = (
        EquipmentItem.objects.filter(type=type)
        .exclude(status=ItemStatus.RETIRED)
        .values_list("owner_id", flat=True)
        .order_by("owner_id")
    )
    counts: dict[int, int] = {}
    for owner_id in owners:
        counts[owner_id] = counts.get(owner_id, 0) + 1
    if not counts:
        return None
    best = max(sorted(counts), key=lambda owner_id: counts[owner_id])
    return Organisation.objects.get(pk=best)


def loan_request_approve(
    *, request: LoanRequest, items: Sequence[EquipmentItem], by: policy.Principal, note: str = ""
) -> LoanRequest:
    """Lend `items` (all or some of the number asked for) to the request's unit for its period.
    Raises Conflict when an item is no longer available (another approval lent it meanwhile)."""
    with transaction.atomic():
        request = _lock(request)
        _require(by, request, "approve")
        _check_text(note, "note")
        ids = sorted({item.pk for item in items})
        if not 1 <= len(ids) <= request.quantity:
            raise ValidationError({"items": [_("Choose between 1 and %(n)d items to lend.") % {"n": request.quantity}]})
        # Locked in a fixed order (by id), so two approvals wanting the same items cannot deadlock.
        locked = list(
            EquipmentItem.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .order_by("pk")
            .select_related("type")
        )
        wrong = [item for item in locked if item.type_id != request.type_id or item.owner_id != request.lender_id]
        if len(locked) != len(ids) or wrong:
            raise ValidationError({"items": [_("Choose items of the requested type that the lender owns.")]})
        taken = [item.serial for item in locked if item.status != ItemStatus.AVAILABLE]
        if taken:
            raise Conflict(
                ngettext(
                    "Item %(serials)s is no longer available.", "Items %(serials)s are no longer available.", len(taken)
                )
                % {"serials": ", ".join(taken)}
            )
        try:
            with transaction.atomic():
                Loan.objects.bulk_create(
                    Loan(
                        request=request,
                        item=item,
                        unit=request.unit,
                        starts_on=request.needed_from,
                        due_on=request.needed_until,
                    )
                    for item in locked
                )
        except IntegrityError as clash:
            raise Conflict(_("An item was lent by someone else at the same moment. Try again.")) from clash
        for item in locked:
            item.status, item.loan_unit = ItemStatus.ON_LOAN, request.unit
            item.save(update_fields=["status", "loan_unit"])
            _item_event(
                item,
                "lent",
                by,
                _("Lent to %(unit)s (%(org)s), %(first)s – %(last)s, request #%(id)d.")
                % {
                    "unit": request.unit.name,
                    "org": request.borrower.name,
                    "first": request.needed_from.isoformat(),
                    "last": request.needed_until.isoformat(),
                    "id": request.pk,
                },
                unit=request.unit,
            )
        request.status, request.decided_at, request.decision_note = S.LENT, timezone.now(), note
        request.save(update_fields=["status", "decided_at", "decision_note"])
        audit_record(
            by=by,
            event_type="resources.loan_approved",
            obj=request,
            organisation=request.lender,
            before={"status": S.REQUESTED},
            after={"status": request.status, "items": [item.serial for item in locked], "note": note},
        )
        notify(
            users=_people(organisations=[request.borrower_id], units=[request.unit_id]),
            text=ngettext(
                "Loan request #%(id)d approved: %(n)d item lent to %(unit)s.",
                "Loan request #%(id)d approved: %(n)d items lent to %(unit)s.",
                len(locked),
            )
            % {"id": request.pk, "n": len(locked), "unit": request.unit.name},
            url=_url(request),
            by=by,
        )
    return request


def _close(request: LoanRequest, action: str, by: policy.Principal, reason: str, notify_side: str) -> LoanRequest:
    before, target = request.status, states.TRANSITIONS[action].target
    assert target is not None  # noqa: S101 - closing actions name their status in the table
    request.status, request.decided_at, request.decision_note = target, timezone.now(), reason
    request.save(update_fields=["status", "decided_at", "decision_note"])
    audit_record(
        by=by,
        event_type=f"resources.loan_{action}",
        obj=request,
        organisation=request.borrower,
        before={"status": before},
        after={"status": request.status, "reason": reason},
    )
    people = (
        _people(organisations=[request.borrower_id], units=[request.unit_id])
        if notify_side == states.BORROWER
        else _people(organisations=[request.lender_id])
    )
    notify(
        users=people,
        text=_("Loan request #%(id)d from %(org)s: %(status)s.")
        % {"id": request.pk, "org": request.borrower.name, "status": request.get_status_display().lower()},
        url=_url(request),
        by=by,
    )
    return request


def loan_request_decline(*, request: LoanRequest, by: policy.Principal, reason: str) -> LoanRequest:
    with transaction.atomic():
        request = _lock(request)
        _require(by, request, "decline")
        if not reason.strip():
            raise ValidationError({"reason": [_("Say why the request is declined.")]})
        _check_text(reason, "reason")
        return _close(request, "decline", by, reason, states.BORROWER)


def loan_request_withdraw(*, request: LoanRequest, by: policy.Principal, reason: str = "") -> LoanRequest:
    with transaction.atomic():
        request = _lock(request)
        _require(by, request, "withdraw")
        _check_text(reason, "reason")
        return _close(request, "withdraw", by, reason, states.LENDER)


def loan_return(*, loan: Loan, by: policy.Principal, condition: str, note: str = "") -> Loan:
    """The item is back with its owner: its condition noted; an item that needs service or is
    damaged goes to service, otherwise it is available again. The request is returned with its
    last item."""
    with transaction.atomic():
        request = _lock(loan.request)
        _require(by, request, "return")
        loan = Loan.objects.select_for_update(of=("self",)).select_related("item").get(pk=loan.pk)
        if loan.returned_at is not None:
            raise Conflict(_("The item is already returned."))
        if condition not in ReturnCondition.values:
            raise ValidationError({"condition": [_("Choose the item's condition.")]})
        _check_text(note, "note")
        loan.returned_at, loan.condition, loan.condition_note = timezone.now(), condition, note
        loan.save(update_fields=["returned_at", "condition", "condition_note"])
        item = EquipmentItem.objects.select_for_update(of=("self",)).get(pk=loan.item_id)
        item.status = ItemStatus.AVAILABLE if condition == ReturnCondition.OK else ItemStatus.IN_SERVICE
        item.loan_unit = None
        item.save(update_fields=["status", "loan_unit"])
        condition_label = ReturnCondition(condition).label
        _item_event(
            item,
            "returned",
            by,
            _("Returned from %(unit)s: %(condition)s. %(note)s")
            % {"unit": request.unit.name, "condition": condition_label, "note": note},
        )
        if not request.loans.filter(returned_at__isnull=True).exists():
            request.status = S.RETURNED
            request.save(update_fields=["status"])
        audit_record(
            by=by,
            event_type="resources.loan_returned",
            obj=loan,
            organisation=request.lender,
            after={"item": item.serial, "condition": condition, "note": note, "request_status": request.status},
        )
        notify(
            users=_people(organisations=[request.lender_id, request.borrower_id]),
            text=_("%(type)s %(serial)s is returned from %(unit)s (%(condition)s).")
            % {
                "type": request.type.name,
                "serial": item.serial,
                "unit": request.unit.name,
                "condition": condition_label,
            },
            url=_url(request),
            by=by,
        )
    return loan


def loans_remind_overdue(*, today: datetime.date | None = None, by: policy.Principal = policy.SYSTEM) -> int:
    """Remind the borrowers (coordinators and the unit's staff) and the lender of every loan past
    its last day, at most once a day per loan. Returns the number of loans reminded of."""
    today = today or timezone.localdate()
    count = 0
    overdue = Loan.objects.filter(returned_at__isnull=True, due_on__lt=today).filter(
        Q(reminded_on__isnull=True) | Q(reminded_on__lt=today)
    )
    for loan_id in overdue.values_list("pk", flat=True):
        with transaction.atomic():
            loan = (
                Loan.objects.select_for_update(of=("self",))
                .select_related("request__borrower", "request__type", "item", "unit")
                .get(pk=loan_id)
            )
            if loan.returned_at is not None or (loan.reminded_on is not None and loan.reminded_on >= today):
                continue
            loan.reminded_on = today
            loan.save(update_fields=["reminded_on"])
            days = (today - loan.due_on).days
            notify(
                users=_people(organisations=[loan.request.borrower_id, loan.request.lender_id], units=[loan.unit_id]),
                text=ngettext(
                    "%(type)s %(serial)s at %(unit)s is %(days)d day overdue; please return it.",
                    "%(type)s %(serial)s at %(unit)s is %(days)d days overdue; please return it.",
                    days,
                )
                % {"type": loan.request.type.name, "serial": loan.item.serial, "unit": loan.unit.name, "days": days},
                url=_url(loan.request),
                by=by,
            )
            audit_record(
                by=by,
                event_type="resources.loan_reminded",
                obj=loan,
                organisation=loan.request.borrower,
                after={"due_on": loan.due_on, "days_overdue": days},
            )
            count += 1
    return count


# Supply stock ----------------------------------------------------------------------------------


def supply_settings_for(county_code: str) -> SupplySettings:
    """The county's supply settings row (made on first use: every stock report points to it)."""
    return SupplySettings.objects.get_or_create(county_id=county_code)[0]


def supply_settings_update(*, county_code: str, share_details: bool, by: policy.Principal) -> SupplySettings:
    policy.require(by, "resources.manage_supply", policy.Place(county=county_code))
    with transaction.atomic():
        settings_row = SupplySettings.objects.select_for_update().get(pk=supply_settings_for(county_code).pk)
        before = settings_row.share_details
        settings_row.share_details = share_details
        settings_row.save(update_fields=["share_details"])
        audit_record(
            by=by,
            event_type="resources.supply_settings_updated",
            obj=settings_row,
            before={"share_details": before},
            after={"share_details": share_details},
        )
    return settings_row


def supply_item_create(
    *, county_code: str, code: str, name: str, unit_label: str = "st", order: int = 0, by: policy.Principal
) -> SupplyItem:
    """A new article in the county's catalogue."""
    policy.require(by, "resources.manage_supply", policy.Place(county=county_code))
    item = SupplyItem(county_id=county_code, code=code.strip(), name=name.strip(), unit_label=unit_label, order=order)
    item.full_clean()
    with transaction.atomic():
        item.save()
        audit_record(
            by=by,
            event_type="resources.supply_item_created",
            obj=item,
            after=snapshot(item, ["county", "code", "name", "unit_label", "order"]),
        )
    return item


def supply_item_update(*, item: SupplyItem, name: str, is_active: bool, by: policy.Principal) -> SupplyItem:
    """Rename an article, or stop (or start again) asking for it in reports."""
    policy.require(by, "resources.manage_supply", policy.Place(county=item.county_id))
    with transaction.atomic():
        before = snapshot(item, ["name", "is_active"])
        item.name, item.is_active = name.strip(), is_active
        item.full_clean()
        item.save(update_fields=["name", "is_active"])
        audit_record(
            by=by,
            event_type="resources.supply_item_updated",
            obj=item,
            before=before,
            after=snapshot(item, ["name", "is_active"]),
        )
    return item


def supply_contact_create(
    *,
    county_code: str,
    user: User,
    area: str,
    phone: str = "",
    municipalities: Sequence[Municipality] = (),
    by: policy.Principal,
) -> SupplyContact:
    """A supply coordinator for part of the county (the municipalities named; none: all of it)."""
    policy.require(by, "resources.manage_supply", policy.Place(county=county_code))
    if any(m.county_id != county_code for m in municipalities):
        raise ValidationError({"municipalities": [_("Choose municipalities of the county.")]})
    if not user.memberships.filter(organisation__county_id=county_code).exists():
        raise ValidationError({"user": [_("Choose a member of the county.")]})
    contact = SupplyContact(county_id=county_code, user=user, area=area.strip(), phone=phone.strip())
    contact.full_clean()
    with transaction.atomic():
        contact.save()
        contact.municipalities.set(municipalities)
        audit_record(
            by=by,
            event_type="resources.supply_contact_created",
            obj=contact,
            after={"user": user.pk, "area": contact.area, "municipalities": [m.code for m in municipalities]},
        )
    return contact


@dataclass(frozen=True)
class StockBatch:
    batch: uuid.UUID
    count: int
    low: list[StockReport]


def _latest_days(county_code: str, rows: Sequence[stockrows.StockRow]) -> dict[tuple[int, int | None, int], int | None]:
    """The days of supply of the latest earlier report of each row's (organisation, unit, article)."""
    keys = {(r.organisation.pk, r.unit.pk if r.unit else None, r.item.pk) for r in rows}
    found: dict[tuple[int, int | None, int], int | None] = {}
    earlier = (
        StockReport.objects.filter(
            supply_id=county_code,
            organisation_id__in={k[0] for k in keys},
            item_id__in={k[2] for k in keys},
        )
        .order_by("-reported_at", "-id")
        .values_list("organisation_id", "unit_id", "item_id", "on_hand", "used_7_days")
    )
    for organisation_id, unit_id, item_id, on_hand, used in earlier.iterator():
        key = (organisation_id, unit_id, item_id)
        if key in keys and key not in found:
            found[key] = supply.days_of_supply(on_hand, used)
    return found


def _supply_contacts(county_code: str, municipality_codes: set[str]) -> list[User]:
    """The county's supply contacts for these municipalities (and those for the whole county);
    with no contact at all, the county's region coordinators."""
    contacts = SupplyContact.objects.filter(county_id=county_code).prefetch_related("municipalities")
    users = [
        c.user
        for c in contacts
        if not c.municipalities.all() or municipality_codes & {m.code for m in c.municipalities.all()}
    ]
    if users:
        return users
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation__county_id=county_code,
            memberships__role=Role.REGION_COORDINATOR,
        ).distinct()
    )


def stock_reports_submit(
    *,
    county_code: str,
    rows: Sequence[tuple[str, dict[str, object]]],
    by: policy.Principal,
    source: str = "form",
    at: datetime.datetime | None = None,
) -> StockBatch:
    """Store a batch of stock reports, all or nothing: raises stockrows.Invalid with every error
    (row and column) when any row is wrong, storing nothing. Reports whose days of supply fall
    below 7 (red) where they were not before tell the county's supply contacts. `at`: the time the
    figures were counted, when reported afterwards (default: now; never in the future)."""
    valid, errors = stockrows.validate(rows, county_code=county_code, by=by)
    if errors:
        raise stockrows.Invalid(errors)
    if not valid:
        raise stockrows.Invalid([stockrows.RowError("–", None, _("There is nothing to report."))])
    batch = uuid.uuid4()
    now = min(at, timezone.now()) if at else timezone.now()
    with transaction.atomic():
        settings_row = supply_settings_for(county_code)
        before = _latest_days(county_code, valid)
        reports = StockReport.objects.bulk_create(
            StockReport(
                supply=settings_row,
                organisation=row.organisation,
                unit=row.unit,
                item=row.item,
                on_hand=row.on_hand,
                used_7_days=row.used_7_days,
                on_order=row.on_order,
                expected_on=row.expected_on,
                can_obtain=row.can_obtain,
                reported_at=now,
                reported_by=_user(by),
                batch=batch,
            )
            for row in valid
        )
        low = []
        for report in reports:
            days = supply.days_of_supply(report.on_hand, report.used_7_days)
            earlier = before.get((report.organisation_id, report.unit_id, report.item_id))
            if days is not None and days < supply.RED_BELOW and (earlier is None or earlier >= supply.RED_BELOW):
                low.append(report)
        organisations = sorted({row.organisation.name for row in valid})
        audit_record(
            by=by,
            event_type="resources.stock_reported",
            organisation=valid[0].organisation if len(organisations) == 1 else None,
            after={
                "batch": str(batch),
                "rows": len(valid),
                "source": source,
                "organisations": organisations,
                "low": [f"{r.organisation.name} {r.unit.name if r.unit else ''} {r.item.name}".strip() for r in low],
            },
        )
        if low:
            municipalities = {r.organisation.municipality_id or "" for r in low} | {
                r.unit.municipality_id for r in low if r.unit
            }
            notify(
                users=_supply_contacts(county_code, municipalities),
                text=_("Low stock: %(list)s.")
                % {
                    "list": "; ".join(
                        _("%(place)s, %(item)s: %(days)s days")
                        % {
                            "place": (r.unit.name if r.unit else r.organisation.name),
                            "item": r.item.name,
                            "days": supply.days_of_supply(r.on_hand, r.used_7_days),
                        }
                        for r in low
                    )
                },
                url=reverse("resources:stock") + f"?county={county_code}",
                by=by,
            )
    return StockBatch(batch, len(reports), low)


# Staff requests to the region --------------------------------------------------------------------

MAX_STAFF = 100


def _staff_url(request: StaffRequest) -> str:
    return reverse("resources:staff_detail", kwargs={"request_id": request.pk})


def _staff_event(request: StaffRequest, action: str, by: policy.Principal, text: str = "") -> None:
    StaffEvent.objects.create(
        request=request, action=action, status_after=request.status, text=text[:600], actor_label=_label(by)
    )


def _staff_lock(request: StaffRequest) -> StaffRequest:
    locked: StaffRequest = (
        StaffRequest.objects.select_for_update(of=("self",)).select_related("requester", "unit").get(pk=request.pk)
    )
    return locked


def _staff_require(by: policy.Principal, request: StaffRequest, action: str) -> None:
    if not states.staff_allowed(by, request, action):
        if request.status not in states.STAFF_TRANSITIONS[action].sources:
            raise Conflict(
                _("The staff request is %(status)s; that can no longer be done.")
                % {"status": request.get_status_display().lower()}
            )
        raise PermissionDenied(action)


def _region_coordinators(county_code: str) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation__county_id=county_code,
            memberships__organisation__kind="region",
            memberships__role=Role.REGION_COORDINATOR,
        ).distinct()
    )


def staff_request_create(
    *,
    by: policy.Principal,
    unit: Unit,
    profession: str,
    number: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    shifts: Sequence[str],
    reason: str,
    competences: Sequence[str] = (),
    competence_note: str = "",
) -> StaffRequest:
    """Ask the region for `number` staff of a profession at `unit` for a period and shifts."""
    request = StaffRequest(
        county_id=unit.organisation.county_id,
        requester=unit.organisation,
        unit=unit,
        profession=profession,
        competences=sorted(set(competences)),
        competence_note=competence_note,
        number=number,
        starts_on=starts_on,
        ends_on=ends_on,
        shifts=[s for s in Shift.values if s in set(shifts)],
        reason=reason,
        created_by=_user(by),
    )
    if not policy.can(by, "resources.request_staff", unit) or states.REQUESTER not in states.staff_sides_of(
        by, request
    ):
        raise PermissionDenied("resources.request_staff")
    errors: dict[str, list[str]] = {}
    if profession not in Profession.values:
        errors["profession"] = [_("Choose a profession.")]
    if any(c not in Competence.values for c in competences):
        errors["competences"] = [_("Unknown competence.")]
    if not shifts or any(s not in Shift.values for s in shifts):
        errors["shifts"] = [_("Choose the shifts: day, evening, night or weekend.")]
    if number is None or not 1 <= number <= MAX_STAFF:
        errors["number"] = [_("Ask for between 1 and %(n)d people.") % {"n": MAX_STAFF}]
    if ends_on < starts_on:
        errors["ends_on"] = [_("The end date is before the start date.")]
    if not reason.strip():
        errors["reason"] = [_("Say why the staff are needed.")]
    for name, text in (("reason", reason), ("competence_note", competence_note)):
        try:
            _check_text(text, name)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request.save()
        _staff_event(request, "submit", by, reason)
        audit_record(
            by=by,
            event_type="resources.staff_requested",
            obj=request,
            organisation=request.requester,
            after=snapshot(
                request, ["unit", "profession", "competences", "number", "starts_on", "ends_on", "shifts", "reason"]
            ),
        )
        notify(
            users=_region_coordinators(request.county_id),
            text=_("%(org)s asks the region for %(n)d × %(profession)s at %(unit)s from %(date)s.")
            % {
                "org": request.requester.name,
                "n": number,
                "profession": request.get_profession_display().lower(),
                "unit": unit.name,
                "date": starts_on.isoformat(),
            },
            url=_staff_url(request),
            by=by,
        )
    return request


def staff_request_propose(
    *, request: StaffRequest, by: policy.Principal, proposal: str, proposed_number: int, staff_from: str = ""
) -> StaffRequest:
    """The staffing coordinator's proposal for management: how many, from where, and why."""
    with transaction.atomic():
        request = _staff_lock(request)
        _staff_require(by, request, "propose")
        errors: dict[str, list[str]] = {}
        if proposed_number is None or not 0 <= proposed_number <= request.number:
            errors["proposed_number"] = [_("Propose between 0 and %(n)d people.") % {"n": request.number}]
        if not proposal.strip():
            errors["proposal"] = [_("Write the proposal.")]
        for name, text in (("proposal", proposal), ("staff_from", staff_from)):
            try:
                _check_text(text, name)
            except ValidationError as error:
                errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        before = request.status
        request.status, request.proposal, request.proposed_number, request.staff_from = (
            StaffStatus.PROPOSED,
            proposal,
            proposed_number,
            staff_from,
        )
        request.proposed_at = timezone.now()
        request.save(update_fields=["status", "proposal", "proposed_number", "staff_from", "proposed_at"])
        _staff_event(request, "propose", by, f"{proposed_number}: {proposal}")
        audit_record(
            by=by,
            event_type="resources.staff_proposed",
            obj=request,
            organisation=request.requester,
            before={"status": before},
            after={"status": request.status, "proposed_number": proposed_number, "staff_from": staff_from},
        )
    return request


def staff_request_decide(
    *,
    request: StaffRequest,
    by: policy.Principal,
    number: int,
    reason: str = "",
    decided_by_body: str,
) -> StaffRequest:
    """Regional management's decision, recorded by a region coordinator: `number` staff approved
    (all asked for: approved; some: approved in part; none: declined). A decline or a part needs
    a reason. The requester is told."""
    with transaction.atomic():
        request = _staff_lock(request)
        _staff_require(by, request, "decide")
        errors: dict[str, list[str]] = {}
        if number is None or not 0 <= number <= request.number:
            errors["number"] = [_("Approve between 0 and %(n)d people.") % {"n": request.number}]
        elif number < request.number and not reason.strip():
            errors["reason"] = [_("Say why the request is declined or approved in part.")]
        if not decided_by_body.strip():
            errors["decided_by_body"] = [_("Name who decided (e.g. the regional management group).")]
        try:
            _check_text(reason, "reason")
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        if number == request.number:
            request.status = StaffStatus.APPROVED
        elif number > 0:
            request.status = StaffStatus.PARTLY_APPROVED
        else:
            request.status = StaffStatus.DECLINED
        request.decided_number, request.decision_reason, request.decided_by_body = number, reason, decided_by_body
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_number", "decision_reason", "decided_by_body", "decided_at"])
        _staff_event(request, "decide", by, f"{request.get_status_display()} ({number}). {reason}".strip())
        audit_record(
            by=by,
            event_type="resources.staff_decided",
            obj=request,
            organisation=request.requester,
            before={"status": StaffStatus.PROPOSED},
            after={"status": request.status, "number": number, "reason": reason, "decided_by": decided_by_body},
        )
        notify(
            users=_people(organisations=[request.requester_id], units=[request.unit_id]),
            text=_("Staff request #%(id)d: %(status)s, %(n)d of %(asked)d.")
            % {"id": request.pk, "status": request.get_status_display().lower(), "n": number, "asked": request.number},
            url=_staff_url(request),
            by=by,
        )
    return request


def staff_request_withdraw(*, request: StaffRequest, by: policy.Principal, reason: str = "") -> StaffRequest:
    with transaction.atomic():
        request = _staff_lock(request)
        _staff_require(by, request, "withdraw")
        _check_text(reason, "reason")
        before = request.status
        request.status = StaffStatus.WITHDRAWN
        request.save(update_fields=["status"])
        _staff_event(request, "withdraw", by, reason)
        audit_record(
            by=by,
            event_type="resources.staff_withdrawn",
            obj=request,
            organisation=request.requester,
            before={"status": before},
            after={"status": request.status, "reason": reason},
        )
        notify(
            users=_region_coordinators(request.county_id),
            text=_("Staff request #%(id)d from %(org)s is withdrawn.")
            % {"id": request.pk, "org": request.requester.name},
            url=_staff_url(request),
            by=by,
        )
    return request
