"""Counties, municipalities, organisations, units and memberships: who is who in a county."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from samverkan.organisations import policy
from samverkan.organisations.policy import PolicyQuerySet
from samverkan.organisations.roles import OrganisationKind, Role


class County(models.Model):
    """A Swedish county (län), identified by its two-digit SCB code."""

    code = models.CharField(_("county code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("county")
        verbose_name_plural = _("counties")

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """One of Sweden's 290 municipalities, identified by its four-digit SCB code."""

    code = models.CharField(_("municipality code"), max_length=4, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="municipalities")
    population = models.PositiveIntegerField(_("population"))
    population_year = models.PositiveSmallIntegerField(_("population year"))
    # Inhabitants aged 65 or more (SCB), when loaded (`manage.py load_reference_data --population`).
    population_65_plus = models.PositiveIntegerField(_("population aged 65+"), null=True, blank=True)
    population_65_plus_year = models.PositiveSmallIntegerField(_("population aged 65+, year"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A region, a municipality or a private provider in a county."""

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("Municipality code for municipalities, R + county code for regions."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="organisations")
    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisation",
        help_text=_("Only for municipality organisations: which municipality the organisation is."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "kind", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                name="organisation_municipality_matches_kind",
                condition=Q(kind="municipality", municipality__isnull=False)
                | (~Q(kind="municipality") & Q(municipality__isnull=True)),
                violation_error_message=_(
                    "An organisation of kind municipality must name its municipality; other kinds must not."
                ),
            ),
            models.UniqueConstraint(
                fields=["county"],
                condition=Q(kind="region"),
                name="organisation_one_region_per_county",
                violation_error_message=_("A county has only one region."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UnitKind(models.TextChoices):
    HOSPITAL_WARD = "hospital_ward", _("Hospital ward")
    ICU = "icu", _("Intensive care unit")
    SHORT_TERM = "short_term", _("Short-term unit")
    NURSING_HOME = "nursing_home", _("Nursing home")
    HOME_CARE = "home_care", _("Home care")
    OTHER = "other", _("Other")


class Unit(models.Model):
    """A place where care is given: a ward, an ICU, a short-term unit, a nursing home, home care."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="units")
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="units",
        help_text=_("The municipality where the unit is located."),
    )
    site = models.CharField(_("site"), max_length=200, blank=True, help_text=_("Hospital or address."))
    is_active = models.BooleanField(_("active"), default=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["municipality_id", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in an organisation; unit staff are further limited to one unit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        help_text=_("Only for unit staff: the unit they report for."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                condition=Q(unit__isnull=True),
                name="membership_unique_role",
                violation_error_message=_("The user already has this role in this organisation."),
            ),
            models.UniqueConstraint(
                fields=["user", "unit"],
                condition=Q(unit__isnull=False),
                name="membership_unique_unit",
                violation_error_message=_("The user is already staff at this unit."),
            ),
            models.CheckConstraint(
                name="membership_unit_only_for_unit_staff",
                condition=Q(role="unit_staff", unit__isnull=False) | (~Q(role="unit_staff") & Q(unit__isnull=True)),
                violation_error_message=_("Unit staff must name their unit; other roles must not."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.organisation}"

    def save(self, *args, **kwargs) -> None:
        # However a membership is written (services, admin pages, fixtures), its role fits its
        # organisation's kind; the policy ignores any that does not (README, "Authorisation").
        self._require_role_fits()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.organisation_id is not None and self.role:
            self._require_role_fits()

    def _require_role_fits(self) -> None:
        policy.require_role_fits(self.organisation, self.role)
