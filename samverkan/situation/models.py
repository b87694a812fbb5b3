"""The situation report (lägesbild): epidemiology figures per county and day, and the reports
assembled from every capability, prepared as drafts and published, numbered and never changed.

See docs/architecture.md ("Where each rule lives") and docs/decisions/situation-report-snapshot.md."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samverkan.organisations.models import County, Organisation
from samverkan.organisations.policy import PolicyQuerySet

# The indicators every county has (code, Swedish name: the name is data, a county may rename it).
STANDARD_INDICATORS: tuple[tuple[str, str], ...] = (
    ("confirmed_cases", "Bekräftade fall"),
    ("intensive_care", "Patienter i intensivvård"),
    ("covid_ward", "Patienter på infektionsavdelning (covid)"),
    ("deaths", "Avlidna"),
)
MAX_FIGURE = 10_000_000  # far above any county's figure; a larger one is a typing mistake


class Indicator(models.Model):
    """An epidemiology figure a county follows: the four standard ones and those it adds
    (influenza, RS, …). Values are whole numbers per day."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(_("code"), max_length=40, help_text=_("Lower-case letters, digits and _; the CSV column."))
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    standard = models.BooleanField(_("standard"), default=False)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "order", "name"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "code"],
                name="situation_indicator_unique_code",
                violation_error_message=_("The county already has an indicator with this code."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class FigureSource(models.TextChoices):
    FORM = "form", _("Form")
    CSV = "csv", _("CSV file")
    API = "api", _("API")


class EpidemiologyFigure(models.Model):
    """One indicator's value on one day in one county. Entering it again replaces it (audited)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="figures")
    date = models.DateField(_("date"))
    value = models.PositiveIntegerField(_("value"))
    source = models.CharField(_("source"), max_length=10, choices=FigureSource.choices)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "indicator__order"]
        verbose_name = _("epidemiology figure")
        verbose_name_plural = _("epidemiology figures")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "date"],
                name="situation_figure_unique_day",
                violation_error_message=_("The indicator already has a figure for this day."),
            ),
            models.CheckConstraint(
                name="situation_figure_value_bounded",
                condition=Q(value__lte=MAX_FIGURE),
                violation_error_message=_("The value is too large."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.date}: {self.value}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


SECTIONS: tuple[str, ...] = ("capacity", "placements", "flow", "resources", "forecast", "epidemiology")


class ImmutableReport(Exception):
    """A published report was about to change. A correction is a new version."""


class ReportQuerySet(PolicyQuerySet["SituationReport"]):
    """Bulk updates and deletes refuse published reports too (save() and delete() cover one)."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(status=ReportStatus.PUBLISHED).exists():
            raise ImmutableReport("a published situation report cannot be updated")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status=ReportStatus.PUBLISHED).exists():
            raise ImmutableReport("a published situation report cannot be deleted")
        return super().delete()


class SituationReport(models.Model):
    """One situation report of a county. Its figures are a snapshot taken when it was prepared
    (`figures`, shaped by situation/compose.py); a draft can be prepared again and annotated, a
    published one never changes (save() refuses, and so does every service). A correction is a
    new report with the same number and the next version."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections", verbose_name=_("corrects")
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The published report its changes are counted from."),
    )
    as_of = models.DateTimeField(_("figures as of"))
    figures: models.JSONField[Any, Any] = models.JSONField(_("figures"), default=dict)
    comments: models.JSONField[Any, Any] = models.JSONField(_("comments"), default=dict, blank=True)
    prepared_automatically = models.BooleanField(_("prepared on schedule"), default=False)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "-number", "-version", "-created_at"]
        verbose_name = _("situation report")
        verbose_name_plural = _("situation reports")
        constraints = [
            models.UniqueConstraint(
                fields=["county"],
                condition=Q(status="draft"),
                name="situation_report_one_draft",
                violation_error_message=_("The county already has a report in preparation."),
            ),
            models.UniqueConstraint(
                fields=["county", "number", "version"],
                name="situation_report_unique_number",
                violation_error_message=_("The county already has a report with this number and version."),
            ),
            models.CheckConstraint(
                name="situation_report_published_numbered",
                condition=Q(status="draft") | Q(number__isnull=False, published_at__isnull=False),
                violation_error_message=_("A published report has a number and a time of publication."),
            ),
        ]

    def __str__(self) -> str:
        if self.number is None:
            return str(_("Draft"))
        return f"{self.number}" if self.version == 1 else f"{self.number}.{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = SituationReport.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == ReportStatus.PUBLISHED:
                raise ImmutableReport(f"situation report {self.pk} is published")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if SituationReport.objects.filter(pk=self.pk, status=ReportStatus.PUBLISHED).exists():
            raise ImmutableReport(f"situation report {self.pk} is published")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == ReportStatus.PUBLISHED


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class SituationSettings(models.Model):
    """A county's settings: when its draft is prepared automatically (once a week, on `weekday` at
    `time`, local), and whether its published reports are also on a public page without login."""

    county = models.OneToOneField(County, on_delete=models.CASCADE, primary_key=True, related_name="+")
    enabled = models.BooleanField(_("prepare automatically"), default=True)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, default=Weekday.THURSDAY)
    time = models.TimeField(_("time"), default=datetime.time(7, 0))
    saved_at = models.DateTimeField(_("saved"), default=timezone.now, help_text=_("Only later moments are due."))
    public = models.BooleanField(
        _("public page"),
        default=False,
        help_text=_("Published reports also on a page without login: aggregates only, counts from 1 to 4 hidden."),
    )

    class Meta:
        verbose_name = _("situation report settings")
        verbose_name_plural = _("situation report settings")
        constraints = [
            models.CheckConstraint(
                name="situation_schedule_weekday",
                condition=Q(weekday__lte=6),
                violation_error_message=_("Choose a weekday."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.county_id}: {self.get_weekday_display()} {self.time:%H:%M}"


def _token() -> str:
    return secrets.token_urlsafe(24)


class Subscription(models.Model):
    """An e-mail address told when the county publishes a situation report: a named address, or a
    member of an organisation (a municipality, a private provider) added with the others of it.
    Every message carries a link that ends the subscription without logging in."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("e-mail address"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "email"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "email"],
                name="situation_subscription_unique_email",
                violation_error_message=_("The address already subscribes."),
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:
        return self.unsubscribed_at is None


class ReportDelivery(models.Model):
    """Who was sent a published report: one row per address, written in the transaction that
    publishes it, from the subscribers as they were at that moment. The address and the
    organisation are kept as they were, whatever becomes of the subscription afterwards."""

    report = models.ForeignKey(SituationReport, on_delete=models.PROTECT, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    email = models.EmailField(_("e-mail address"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["report_id", "email"]
        verbose_name = _("report sent")
        verbose_name_plural = _("reports sent")
        constraints = [models.UniqueConstraint(fields=["report", "email"], name="situation_delivery_once_per_address")]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.email}"
