"""Capacity: what every unit reports about its places, what it plans, and when it must report.

Definitions (docs/architecture.md, "Where each rule lives"): free = staffed − occupied − reserved, never below zero; occupancy
rate = occupied / staffed; a report where occupied > physical is rejected; occupied > staffed is
allowed and shown as over-occupancy."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samverkan.organisations.models import County, Unit
from samverkan.organisations.policy import PolicyQuerySet


class BedCategory(models.Model):
    """A kind of place a county counts separately (covid-capable, palliative, dementia …)."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="bed_categories")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["county_id", "name"]
        verbose_name = _("bed category")
        verbose_name_plural = _("bed categories")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "code"],
                name="bed_category_unique_code",
                violation_error_message=_("The county already has a bed category with this code."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ClosureReason(models.TextChoices):
    STAFF_SHORTAGE = "staff_shortage", _("Staff shortage")
    OUTBREAK = "outbreak", _("Outbreak")
    RENOVATION = "renovation", _("Renovation")
    OTHER = "other", _("Other")


class CapacityReport(models.Model):
    """One unit's places at one point in time. Append-only: a correction is a new report."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="capacity_reports")
    reported_at = models.DateTimeField(_("reported at"), help_text=_("The time the figures describe."))
    physical = models.PositiveIntegerField(_("physical places"))
    staffed = models.PositiveIntegerField(_("staffed places"))
    occupied = models.PositiveIntegerField(_("occupied"))
    surge = models.PositiveIntegerField(_("surge places"), default=0, help_text=_("Can be opened within 24 hours."))
    open_for_admission = models.BooleanField(_("open for admission"), default=True)
    closure_reason = models.CharField(_("reason for closing"), max_length=20, choices=ClosureReason.choices, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        help_text=_("The earlier report this one corrects."),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reported_via = models.CharField(_("reported via"), max_length=120, blank=True, help_text=_("API key label."))
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("capacity report")
        verbose_name_plural = _("capacity reports")
        constraints = [
            models.CheckConstraint(
                name="capacity_report_occupied_within_physical",
                condition=Q(occupied__lte=F("physical")),
                violation_error_message=_("Occupied places cannot exceed physical places."),
            ),
            models.CheckConstraint(
                name="capacity_report_staffed_within_physical",
                condition=Q(staffed__lte=F("physical")),
                violation_error_message=_("Staffed places cannot exceed physical places."),
            ),
            models.CheckConstraint(
                name="capacity_report_closed_has_reason",
                condition=Q(open_for_admission=True, closure_reason="")
                | Q(open_for_admission=False) & ~Q(closure_reason=""),
                violation_error_message=_("A closed unit needs a reason; an open one has none."),
            ),
        ]
        indexes = [
            # History of one unit, newest first; the overview's latest-report lookup.
            models.Index(fields=["unit", "-reported_at"], name="capacity_report_unit_time"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.reported_at:%Y-%m-%d %H:%M}"

    @property
    def over_occupied(self) -> bool:
        return self.occupied > self.staffed

    @property
    def surge_while_closed(self) -> bool:
        return self.surge > 0 and not self.open_for_admission


class CapacityReportCategory(models.Model):
    """The part of a report that belongs to one bed category."""

    report = models.ForeignKey(CapacityReport, on_delete=models.CASCADE, related_name="categories")
    category = models.ForeignKey(BedCategory, on_delete=models.PROTECT, related_name="+")
    staffed = models.PositiveIntegerField(_("staffed places"))
    occupied = models.PositiveIntegerField(_("occupied"))

    class Meta:
        verbose_name = _("category figures")
        verbose_name_plural = _("category figures")
        constraints = [
            models.UniqueConstraint(fields=["report", "category"], name="capacity_report_category_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.occupied}/{self.staffed}"


class UnitCapacity(models.Model):
    """A unit's current state: its latest report and the places reserved by accepted requests.

    One row per unit, updated in the same transaction as each report or reservation, so the
    county overview reads one row per unit; reservations lock this row (SELECT … FOR UPDATE)."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, primary_key=True, related_name="capacity")
    latest_report = models.ForeignKey(
        CapacityReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reserved = models.PositiveIntegerField(_("reserved places"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("unit capacity")
        verbose_name_plural = _("unit capacities")

    def __str__(self) -> str:
        return f"{self.unit}: reserved {self.reserved}"


class PlannedChangeQuerySet(PolicyQuerySet["PlannedChange"]):
    def active(self) -> PlannedChangeQuerySet:
        return self.filter(cancelled_at__isnull=True)


class PlannedChange(models.Model):
    """A change a unit announces: e.g. +10 staffed places from 1 June, or a new unit opening."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="planned_changes")
    effective_from = models.DateField(_("from date"))
    physical_change = models.IntegerField(_("change in physical places"), default=0)
    staffed_change = models.IntegerField(_("change in staffed places"), default=0)
    description = models.CharField(_("description"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = PlannedChangeQuerySet.as_manager()

    class Meta:
        ordering = ["effective_from", "id"]
        verbose_name = _("planned change")
        verbose_name_plural = _("planned changes")
        constraints = [
            models.CheckConstraint(
                name="planned_change_changes_something",
                condition=~Q(physical_change=0, staffed_change=0),
                violation_error_message=_("A planned change must change physical or staffed places."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit}: {self.description} ({self.effective_from})"


class ReportingSchedule(models.Model):
    """When the units of a county report: on these weekdays, by this local time."""

    county = models.OneToOneField(County, on_delete=models.CASCADE, primary_key=True, related_name="reporting_schedule")
    weekdays = models.CharField(
        _("weekdays"),
        max_length=13,
        default="0,1,2,3,4",
        help_text=_("Days reports are due, 0 = Monday … 6 = Sunday, separated by commas."),
    )
    due_time = models.TimeField(_("due by"), default=datetime.time(10, 0))
    unit_kinds = models.CharField(
        _("unit kinds that report"),
        max_length=200,
        default="short_term",
        help_text=_("Comma-separated unit kinds, e.g. short_term,hospital_ward."),
    )
    reminders_enabled = models.BooleanField(_("send reminder e-mails"), default=True)

    class Meta:
        verbose_name = _("reporting schedule")
        verbose_name_plural = _("reporting schedules")

    def __str__(self) -> str:
        return f"{self.county}: {self.weekdays} {self.due_time:%H:%M}"

    @property
    def weekday_numbers(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.weekdays.split(",") if d.strip() != "")

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.unit_kinds.split(",") if k.strip())
