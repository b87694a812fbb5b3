"""Discharge follow-up: the county's payment-liability agreements (versioned by the date they take
effect), the day rate per year, and the liability statements issued to municipalities.

How liability is counted from these is in `liability.py` (docs/architecture.md, "Where each rule
lives"); the defaults are the law's (Lag 2017:612)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samverkan.flow.models import Episode
from samverkan.followup.liability import Reason
from samverkan.organisations.models import County, Municipality
from samverkan.organisations.policy import PolicyQuerySet


class LiabilityModel(models.TextChoices):
    EPISODE = "episode", _("Per episode")
    AVERAGE = "average", _("Monthly average per municipality against a target")


class Agreement(models.Model):
    """The payment-liability rules agreed in a county, in force for ready notices given on or
    after `valid_from` until the next version's date. Without any version the law's defaults apply
    (`liability.LAW`)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="liability_agreements")
    valid_from = models.DateField(_("valid from"))
    name = models.CharField(_("name"), max_length=120)
    grace_days_somatic = models.PositiveSmallIntegerField(_("grace days, somatic care"), default=3)
    grace_days_psychiatric = models.PositiveSmallIntegerField(_("grace days, psychiatric care"), default=30)
    notice_day_counts = models.BooleanField(
        _("the day of the notice is grace day 1"),
        default=True,
        help_text=_("Otherwise the grace days are counted from the day after the notice."),
    )
    cutoff_time = models.TimeField(
        _("cut-off time"),
        null=True,
        blank=True,
        help_text=_("A notice sent at or after this time (Swedish time) counts as sent the next day."),
    )
    admission_notice_required = models.BooleanField(_("admission notice required"), default=True)
    admission_notice_within_hours = models.PositiveSmallIntegerField(
        _("admission notice within hours of admission"), null=True, blank=True
    )
    sip_call_within_days = models.PositiveSmallIntegerField(
        _("SIP call required within days of the ready notice"), null=True, blank=True
    )
    model = models.CharField(_("model"), max_length=10, choices=LiabilityModel.choices, default=LiabilityModel.EPISODE)
    average_target_days = models.DecimalField(
        _("target days ready per patient (average model)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    dispute_days = models.PositiveSmallIntegerField(
        _("days to dispute a statement"), default=30, help_text=_("Counted from the day the statement is issued.")
    )
    answer_days = models.PositiveSmallIntegerField(
        _("days for the region to answer a dispute"), default=30, help_text=_("Counted from the day it was raised.")
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "-valid_from"]
        verbose_name = _("liability agreement")
        verbose_name_plural = _("liability agreements")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "valid_from"],
                name="followup_agreement_unique_start",
                violation_error_message=_("The county already has an agreement from this date."),
            ),
            models.CheckConstraint(
                name="followup_agreement_average_has_target",
                condition=~Q(model="average") | Q(average_target_days__isnull=False),
                violation_error_message=_("The average model needs a target number of days."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.county_id}, {self.valid_from})"


class DayRate(models.Model):
    """The price per liable day in a county for one calendar year (Socialstyrelsen's unless agreed otherwise)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="liability_day_rates")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("price per day (SEK)"), max_digits=9, decimal_places=2)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "year"]
        verbose_name = _("liability day rate")
        verbose_name_plural = _("liability day rates")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year"],
                name="followup_day_rate_unique_year",
                violation_error_message=_("The county already has a day rate for this year."),
            ),
            models.CheckConstraint(
                name="followup_day_rate_positive",
                condition=Q(amount__gt=0),
                violation_error_message=_("The price must be above zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county_id} {self.year}: {self.amount}"


class Statement(models.Model):
    """A municipality's liability statement for a month as issued (the invoice basis): a frozen
    copy of the lines `liability.month_statement` gave then, numbered per municipality and month.
    Issuing again after episodes or agreements changed gives the next number; the page shows
    what changed. Credits of accepted disputes are lines of the next statement issued."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))  # its first day
    number = models.PositiveSmallIntegerField(_("number"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    issued_by_label = models.CharField(_("issued by"), max_length=200)
    liable_days = models.DecimalField(_("liable days"), max_digits=9, decimal_places=1)
    amount = models.DecimalField(_("amount (SEK)"), max_digits=14, decimal_places=2)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["municipality_id", "-month", "-number"]
        verbose_name = _("liability statement")
        verbose_name_plural = _("liability statements")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "month", "number"], name="followup_statement_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.month:%Y-%m} #{self.number}"


class LineKind(models.TextChoices):
    EPISODE = "episode", _("Episode")
    AVERAGE = "average", _("Monthly average")
    CREDIT = "credit", _("Credit")


class StatementLine(models.Model):
    """One line of an issued statement, with everything that explains it (copied, so the line
    stays as issued when the episode changes)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=LineKind.choices, default=LineKind.EPISODE)
    episode = models.ForeignKey(Episode, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    record_id = models.CharField(_("source id"), max_length=64, blank=True)
    care_type = models.CharField(_("care type"), max_length=12, blank=True)
    ready_at = models.DateTimeField(_("ready for discharge"), null=True, blank=True)
    discharged_at = models.DateTimeField(_("discharged"), null=True, blank=True)
    first_liable_day = models.DateField(_("first liable day"), null=True, blank=True)
    first_day = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    liable_days = models.DecimalField(_("liable days"), max_digits=9, decimal_places=1)
    day_rate = models.DecimalField(_("day rate"), max_digits=9, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(_("amount (SEK)"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("explanation"), max_length=40)
    note = models.CharField(max_length=200, blank=True)  # an average's figures, a credit's dispute

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["statement_id", "id"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")

    def __str__(self) -> str:
        return f"{self.statement} {self.record_id or self.kind}"

    @property
    def reason_label(self) -> str:
        return str(Reason.LABELS.get(self.reason, self.reason))


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Dispute(models.Model):
    """A municipality contesting a line of an issued statement (bestridande), and the region's answer."""

    line = models.ForeignKey(StatementLine, on_delete=models.PROTECT, related_name="disputes")
    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    reason = models.TextField(_("reason"), max_length=2000)
    attachment_name = models.CharField(_("attachment"), max_length=200, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment = models.BinaryField(null=True, blank=True, editable=False)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    raised_by_label = models.CharField(_("raised by"), max_length=200)
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    answer_due = models.DateField(_("answer due"))
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_by_label = models.CharField(_("answered by"), max_length=200, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    credited_on = models.ForeignKey(
        Statement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credits",
        verbose_name=_("credited on"),
    )

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(status="open"),
                name="followup_dispute_one_open_per_line",
                violation_error_message=_("This line is already disputed."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.line} ({self.status})"


INDICATOR_CHOICES = [
    ("days_ready_per_1000", _("Days ready per 1 000 inhabitants aged 65+")),
    ("mean_days_ready", _("Mean days ready")),
    ("median_days_ready", _("Median days ready")),
    ("same_day_share", _("Share discharged on the ready day")),
    ("within_grace_share", _("Share discharged within the grace days")),
    ("sip_share", _("Share with a SIP called within 3 days")),
    ("care_contact_share", _("Share with a named care contact")),
    ("readmission_share", _("Share readmitted within 30 days")),
    ("liable_days", _("Liable days")),
    ("liable_amount", _("Liability (SEK)")),
]


class IndicatorTarget(models.Model):
    """A county's agreed target for one indicator (`indicators.INDICATORS`), from a month on:
    the version in force on a month's first day applies to it. Shares in per cent."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+")
    indicator = models.CharField(_("indicator"), max_length=30, choices=INDICATOR_CHOICES)
    valid_from = models.DateField(_("valid from"))
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "indicator", "-valid_from"]
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "indicator", "valid_from"],
                name="followup_target_unique_start",
                violation_error_message=_("The county already has a target for this indicator from this date."),
            ),
            models.CheckConstraint(
                name="followup_target_not_negative",
                condition=Q(target__gte=0),
                violation_error_message=_("A target cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county_id} {self.indicator} {self.valid_from}: {self.target}"


class MonthFigures(models.Model):
    """One municipality's indicator figures (`indicators.Figures`) for one month that has ended,
    stored so that the report reads a few hundred rows instead of every stay of 13 months
    (samverkan/followup/monthly.py; docs/decisions/liability-counting.md, "Stored monthly figures").
    `basis` is the fingerprint of the agreements and day rates they were counted with: rows with
    another basis are not read. Never edited: built again whole per month."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="+", db_index=False)
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    basis = models.CharField(max_length=64)
    days_ready = models.JSONField(default=dict)  # days ready → patients (for the median)
    same_day = models.PositiveIntegerField(default=0)
    within_grace = models.PositiveIntegerField(default=0)
    sip_in_time = models.PositiveIntegerField(default=0)
    care_contact = models.PositiveIntegerField(default=0)
    discharges = models.PositiveIntegerField(default=0)
    readmitted = models.PositiveIntegerField(default=0)
    liable_episodes = models.PositiveIntegerField(default=0)
    # The Decimals as counted, as text: read back with their own places ("2", "21000.00").
    liable_days = models.CharField(max_length=30, default="0")
    liable_amount = models.CharField(max_length=30, default="0")
    built_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["county", "month"], name="followup_month_figures_county")]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "month"], name="followup_month_figures_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.month:%Y-%m}"
