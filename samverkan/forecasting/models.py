"""Forecast runs and their stored series; epidemic scenarios."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samverkan.organisations.models import County, Municipality
from samverkan.organisations.policy import PolicyQuerySet


class SeriesKind(models.TextChoices):
    ADMISSIONS = "admissions", _("Admissions")
    IN_HOSPITAL = "in_hospital", _("Patients in hospital")
    READY = "ready", _("Ready for discharge")
    TO_SHORT_TERM = "to_short_term", _("Discharges to short-term care")
    SHORT_TERM_OCCUPANCY = "short_term_occupancy", _("Short-term occupancy")
    SHORT_TERM_STAFFED = "short_term_staffed", _("Short-term staffed places")


class Method(models.TextChoices):
    DAMPED_ETS = "damped_ets", _("Damped exponential smoothing")
    OCCUPANCY_FLOW = "occupancy_flow", _("Flow model (length of stay)")
    SEASONAL_NAIVE = "seasonal_naive", _("Same weekday last week")
    FLAT = "flat", _("Last value")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Trigger(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly")
    ON_DEMAND = "on_demand", _("On demand")


class ForecastRun(models.Model):
    """One forecast of a county's series: queued, run by the task worker (or at once), stored."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(_("started"), max_length=10, choices=Trigger.choices)
    horizon = models.PositiveSmallIntegerField(_("days ahead"), default=28)
    origin = models.DateField(_("data up to"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # Per series kind, the accuracy of the county's own past forecasts: {kind: {method: {band: metrics}}}.
    accuracy = models.JSONField(default=dict, blank=True)
    # P(short-term demand > staffed) within 7 days, county level, in percent (for the escalation plan).
    shortage_7d = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("forecast run")
        verbose_name_plural = _("forecast runs")

    def __str__(self) -> str:
        return f"{self.county_id} {self.created_at:%Y-%m-%d %H:%M} {self.status}"


class ForecastSeries(models.Model):
    """One method's forecast of one series of one area (a municipality, or the county when
    `municipality` is empty), with the last weeks of history it started from."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="series")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=24, choices=SeriesKind.choices)
    method = models.CharField(max_length=20, choices=Method.choices)
    selected = models.BooleanField(default=False)  # the method the product shows first for this kind
    history = models.JSONField(default=list)  # the last HISTORY_DAYS observed values (None: unknown)
    point = models.JSONField(default=list)
    # {"50": [lower…], "80": …, "95": …} and {"50": [upper…], …}
    lower = models.JSONField(default=dict)
    upper = models.JSONField(default=dict)
    # Short-term occupancy: P(demand > staffed places) and P(demand > staffed + surge) per day, 0–1.
    above_staffed = models.JSONField(null=True, blank=True)
    above_surge = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "municipality", "kind", "method"], name="forecasting_series_unique"),
            models.UniqueConstraint(
                fields=["run", "kind", "method"],
                condition=models.Q(municipality__isnull=True),
                name="forecasting_series_unique_county",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.municipality_id or 'county'} {self.kind} {self.method}"


class Scenario(models.Model):
    """An epidemic scenario for a county: growth from a start date, who ends up in hospital and
    then in short-term care; the extra demand per municipality is computed at creation and stored
    (samverkan/forecasting/scenarios.py)."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    start_date = models.DateField(_("start date"))
    initial_cases = models.PositiveIntegerField(
        _("new cases on the start day"), default=20, validators=[MinValueValidator(1), MaxValueValidator(100000)]
    )
    doubling_time = models.DecimalField(
        _("doubling time (days)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days for the number of new cases a day to double."),
    )
    share_hospitalised = models.DecimalField(
        _("share hospitalised (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    hospital_los = models.PositiveSmallIntegerField(
        _("hospital length of stay (days)"), validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    share_short_term = models.DecimalField(
        _("share needing a short-term place (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Of the patients discharged from hospital."),
    )
    short_term_los = models.PositiveSmallIntegerField(
        _("short-term length of stay (days)"), validators=[MinValueValidator(1), MaxValueValidator(180)]
    )
    outbreak_municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("outbreak starts in"),
        help_text=_("Empty: cases spread over the county by population from the start."),
    )
    days = models.PositiveSmallIntegerField(
        _("days"), default=56, validators=[MinValueValidator(7), MaxValueValidator(120)]
    )
    results = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self) -> str:
        return self.name
