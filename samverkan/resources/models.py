"""Shared resources: the county's equipment pool and its loans (docs/architecture.md, "Where each
rule lives"). An item is lent at most once at a time: a partial unique index on the open loans
of an item, besides the row lock the approving service takes."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samverkan import limits
from samverkan.modelbase import CreatedBy, HistoryEntry
from samverkan.organisations.models import County, Municipality, Organisation, Unit
from samverkan.organisations.policy import PolicyQuerySet


class EquipmentType(models.Model):
    """A kind of equipment the county shares (oxygen concentrator, …); each county keeps its list."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="equipment_types")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "name"]
        verbose_name = _("equipment type")
        verbose_name_plural = _("equipment types")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "code"],
                name="equipment_type_unique_code",
                violation_error_message=_("The county already has an equipment type with this code."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ItemStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    ON_LOAN = "on_loan", _("On loan")
    IN_SERVICE = "in_service", _("In service")
    RETIRED = "retired", _("Retired")


class EquipmentItem(models.Model):
    """One piece of equipment: its serial number, owner, where it is kept and its service dates.
    While lent it is at the borrowing unit (`loan_unit`)."""

    type = models.ForeignKey(EquipmentType, on_delete=models.PROTECT, related_name="items", verbose_name=_("type"))
    serial = models.CharField(_("serial number"), max_length=60)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="equipment", verbose_name=_("owner"))
    home_municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("kept in municipality"),
        help_text=_("Where the item is kept when it is not lent."),
    )
    home_site = models.CharField(_("kept at"), max_length=200, blank=True, help_text=_("Store, ward or address."))
    status = models.CharField(_("status"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.AVAILABLE)
    loan_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("lent to")
    )
    last_service_on = models.DateField(_("last serviced"), null=True, blank=True, validators=[limits.validate_date])
    next_service_on = models.DateField(_("next service"), null=True, blank=True, validators=[limits.validate_date])
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["type__name", "serial"]
        verbose_name = _("equipment item")
        verbose_name_plural = _("equipment items")
        constraints = [
            models.UniqueConstraint(
                fields=["type", "serial"],
                name="equipment_item_unique_serial",
                violation_error_message=_("An item of this type already has this serial number."),
            ),
            models.CheckConstraint(
                name="equipment_item_loan_unit_when_lent",
                condition=Q(status="on_loan", loan_unit__isnull=False) | (~Q(status="on_loan") & Q(loan_unit=None)),
                violation_error_message=_("An item on loan names the unit it is lent to; others name none."),
            ),
        ]
        indexes = [models.Index(fields=["type", "status"], name="equipment_item_type_status")]

    def __str__(self) -> str:
        return f"{self.type.name} {self.serial}"

    @property
    def municipality_id_now(self) -> str:
        """The municipality the item is in now: the borrowing unit's while lent, else its home."""
        if self.loan_unit_id is not None and self.loan_unit is not None:
            return self.loan_unit.municipality_id
        return self.home_municipality_id


class LoanStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    LENT = "lent", _("Lent")
    RETURNED = "returned", _("Returned")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LoanRequest(CreatedBy):
    """A municipality's or unit's request to borrow equipment of one type from its owner, and
    (once approved) the loan it became: which items, at which unit, from and until when."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+")
    type = models.ForeignKey(EquipmentType, on_delete=models.PROTECT, related_name="loan_requests")
    quantity = models.PositiveSmallIntegerField(_("number"))
    borrower = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="loan_requests")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("for the unit"))
    lender = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="loan_requests_received", verbose_name=_("asked of")
    )
    needed_from = models.DateField(_("needed from"), validators=[limits.validate_date])
    needed_until = models.DateField(_("needed until"), validators=[limits.validate_date])
    purpose = models.CharField(
        _("purpose"), max_length=300, help_text=_("What the equipment is for. No names or personal identity numbers.")
    )
    status = models.CharField(_("status"), max_length=12, choices=LoanStatus.choices, default=LoanStatus.REQUESTED)
    decision_note = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("loan request")
        verbose_name_plural = _("loan requests")
        constraints = [
            models.CheckConstraint(
                name="loan_request_quantity_positive",
                condition=Q(quantity__gte=1),
                violation_error_message=_("Ask for at least one item."),
            ),
            models.CheckConstraint(
                name="loan_request_period_ordered",
                condition=Q(needed_until__gte=models.F("needed_from")),
                violation_error_message=_("The end date is before the start date."),
            ),
        ]
        indexes = [models.Index(fields=["county", "status"], name="loan_request_county_status")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.borrower}: {self.quantity} × {self.type}"


class ReturnCondition(models.TextChoices):
    OK = "ok", _("In working order")
    NEEDS_SERVICE = "needs_service", _("Needs service")
    DAMAGED = "damaged", _("Damaged")


class Loan(models.Model):
    """One item lent on an approved request. Open while `returned_at` is empty; an item has at most
    one open loan (the partial unique index), whoever approves at the same moment."""

    request = models.ForeignKey(LoanRequest, on_delete=models.PROTECT, related_name="loans")
    item = models.ForeignKey(EquipmentItem, on_delete=models.PROTECT, related_name="loans")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("from"))
    due_on = models.DateField(_("until"))
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    condition = models.CharField(_("condition"), max_length=14, choices=ReturnCondition.choices, blank=True)
    condition_note = models.CharField(_("condition note"), max_length=300, blank=True)
    reminded_on = models.DateField(_("last reminded"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(returned_at__isnull=True),
                name="loan_one_open_per_item",
                violation_error_message=_("The item is already lent."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.item} → {self.unit}"

    def is_overdue(self, today: datetime.date) -> bool:
        return self.returned_at is None and self.due_on < today


class ItemEvent(HistoryEntry):
    """The visible history of an item: added, lent, returned, serviced, retired."""

    item = models.ForeignKey(EquipmentItem, on_delete=models.CASCADE, related_name="events")
    text = models.CharField(_("text"), max_length=500, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("item event")
        verbose_name_plural = _("item events")

    def __str__(self) -> str:
        return f"{self.item_id} {self.action}"


# Supply stock -------------------------------------------------------------------------------------


class SupplySettings(models.Model):
    """A county's supply reporting: whether its members see each other's stock in detail. Every
    stock report points here, so that the policy can ask the row whether the county shares."""

    county = models.OneToOneField(County, on_delete=models.CASCADE, primary_key=True, related_name="supply_settings")
    share_details = models.BooleanField(
        _("members see each other's stock"),
        default=False,
        help_text=_("Otherwise a municipality sees its own stock in detail and the county's only as totals."),
    )

    class Meta:
        verbose_name = _("supply settings")
        verbose_name_plural = _("supply settings")

    def __str__(self) -> str:
        return str(self.county_id)


class SupplyItem(models.Model):
    """An article of the county's supply catalogue (FFP2 respirators, gloves, …)."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="supply_items")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    unit_label = models.CharField(_("counted in"), max_length=20, default="st", help_text=_("e.g. st, par, liter"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("reported"), default=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "order", "name"]
        verbose_name = _("supply item")
        verbose_name_plural = _("supply items")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "code"],
                name="supply_item_unique_code",
                violation_error_message=_("The county already has an article with this code."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class CanObtain(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNCERTAIN = "uncertain", _("Uncertain")


class StockReport(models.Model):
    """One article's stock at an organisation, or at one of its units, when reported. Reports are
    never changed; the latest per (organisation, unit, article) is the stock now."""

    supply = models.ForeignKey(SupplySettings, on_delete=models.CASCADE, related_name="reports")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="stock_reports")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="stock_reports")
    item = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, related_name="reports")
    on_hand = models.PositiveIntegerField(_("on hand"))
    used_7_days = models.PositiveIntegerField(_("used in the last 7 days"), null=True, blank=True)
    on_order = models.PositiveIntegerField(_("on order"), default=0)
    expected_on = models.DateField(_("expected"), null=True, blank=True, validators=[limits.validate_date])
    can_obtain = models.CharField(_("able to obtain more"), max_length=10, choices=CanObtain.choices)
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    batch = models.UUIDField(_("report"), help_text=_("The rows sent together."))

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("stock report")
        verbose_name_plural = _("stock reports")
        indexes = [
            models.Index(fields=["supply", "item", "organisation", "unit", "-reported_at"], name="stock_report_latest")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.item}: {self.on_hand}"


class SupplyContact(models.Model):
    """A supply coordinator of the county and the municipalities (part of the county) they keep
    in touch with; told when stock there runs low. With no municipalities: the whole county."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="supply_contacts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    area = models.CharField(_("part of the county"), max_length=100)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    municipalities = models.ManyToManyField(
        Municipality, blank=True, related_name="+", verbose_name=_("municipalities")
    )

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "area"]
        verbose_name = _("supply contact")
        verbose_name_plural = _("supply contacts")

    def __str__(self) -> str:
        return f"{self.area}: {self.user}"


# Staff requests to the region ------------------------------------------------------------------


class Profession(models.TextChoices):
    NURSE = "nurse", _("Registered nurse")
    ASSISTANT_NURSE = "assistant_nurse", _("Assistant nurse")
    PHYSICIAN = "physician", _("Physician")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    OCCUPATIONAL_THERAPIST = "occupational_therapist", _("Occupational therapist")
    OTHER = "other", _("Other")


class Competence(models.TextChoices):
    INTENSIVE_CARE = "intensive_care", _("Intensive-care experience")
    INFECTION_CONTROL = "infection_control", _("Infection-control experience")
    PALLIATIVE = "palliative", _("Palliative care")
    GERIATRIC = "geriatric", _("Geriatric care")
    DEMENTIA = "dementia", _("Dementia care")


class Shift(models.TextChoices):
    DAY = "day", _("Day")
    EVENING = "evening", _("Evening")
    NIGHT = "night", _("Night")
    WEEKEND = "weekend", _("Weekend")


class StaffStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    PROPOSED = "proposed", _("Proposal prepared")
    APPROVED = "approved", _("Approved")
    PARTLY_APPROVED = "partly_approved", _("Approved in part")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


DECIDED = (StaffStatus.APPROVED, StaffStatus.PARTLY_APPROVED)


class StaffRequest(CreatedBy):
    """A municipality's or unit's request to the region for staff; the region's staffing
    coordinator prepares a proposal, regional management decides (recorded by a region coordinator)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+")
    requester = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="staff_requests")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    profession = models.CharField(_("profession"), max_length=30, choices=Profession.choices)
    competences = models.JSONField(_("competence"), default=list, blank=True)
    competence_note = models.CharField(_("other competence"), max_length=200, blank=True)
    number = models.PositiveSmallIntegerField(_("number of staff"))
    starts_on = models.DateField(_("from"), validators=[limits.validate_date])
    ends_on = models.DateField(_("until"), validators=[limits.validate_date])
    shifts = models.JSONField(_("shifts"), default=list)
    reason = models.CharField(_("reason"), max_length=500, help_text=_("No names or personal identity numbers."))
    status = models.CharField(_("status"), max_length=16, choices=StaffStatus.choices, default=StaffStatus.SUBMITTED)
    proposal = models.CharField(_("proposal"), max_length=500, blank=True)
    proposed_number = models.PositiveSmallIntegerField(_("proposed number"), null=True, blank=True)
    staff_from = models.CharField(
        _("staff from"), max_length=200, blank=True, help_text=_("Where the staff come from.")
    )
    decided_number = models.PositiveSmallIntegerField(_("number approved"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=500, blank=True)
    decided_by_body = models.CharField(
        _("decided by"), max_length=200, blank=True, help_text=_("The regional management body that decided.")
    )
    created_at = models.DateTimeField(_("submitted"), default=timezone.now)
    proposed_at = models.DateTimeField(_("proposed"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("staff request")
        verbose_name_plural = _("staff requests")
        constraints = [
            models.CheckConstraint(
                name="staff_request_number_positive",
                condition=Q(number__gte=1),
                violation_error_message=_("Ask for at least one person."),
            ),
            models.CheckConstraint(
                name="staff_request_period_ordered",
                condition=Q(ends_on__gte=models.F("starts_on")),
                violation_error_message=_("The end date is before the start date."),
            ),
            models.CheckConstraint(
                name="staff_request_decided_within_number",
                condition=Q(decided_number__isnull=True) | Q(decided_number__lte=models.F("number")),
                violation_error_message=_("No more staff can be approved than were asked for."),
            ),
        ]
        indexes = [models.Index(fields=["county", "status"], name="staff_request_county_status")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.requester}: {self.number} {self.get_profession_display()}"

    def competence_labels(self) -> list[str]:
        return [str(Competence(c).label) for c in self.competences if c in Competence.values]

    def shift_labels(self) -> list[str]:
        return [str(Shift(s).label) for s in self.shifts if s in Shift.values]


class StaffEvent(HistoryEntry):
    """The visible history of a staff request."""

    request = models.ForeignKey(StaffRequest, on_delete=models.CASCADE, related_name="events")
    status_after = models.CharField(_("status"), max_length=16, choices=StaffStatus.choices)
    text = models.CharField(_("text"), max_length=600, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("staff request event")
        verbose_name_plural = _("staff request events")

    def __str__(self) -> str:
        return f"#{self.request_id} {self.action}"
