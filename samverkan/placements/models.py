"""Requests for places between municipalities (and from hospital wards), offers, reservations,
the day rate for settlement, and the county's staged escalation plan."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samverkan.modelbase import Created, CreatedBy, HistoryEntry
from samverkan.organisations.models import County, Organisation, Unit
from samverkan.organisations.policy import PolicyQuerySet


class PlacementNeed(models.Model):
    """A need a place must meet (oxygen, covid-positive, dementia …); a per-county list.
    A need whose code equals a bed category's code is matched against that category's places."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="placement_needs")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["county_id", "name"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "code"],
                name="placement_need_unique_code",
                violation_error_message=_("The county already has a need with this code."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent (within 24 hours)")
    ACUTE = "acute", _("Acute (today)")


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    IN_PLACE = "in_place", _("In place")
    ENDED = "ended", _("Ended")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


OPEN_STATUSES = (RequestStatus.SENT, RequestStatus.OFFERED)


class PlaceRequest(Created, CreatedBy):
    """A request for N places, addressed to one unit, one municipality or the whole county."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+")
    from_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="place_requests")
    from_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text=_("A hospital ward asking.")
    )
    places = models.PositiveSmallIntegerField(_("places"))
    needs = models.ManyToManyField(PlacementNeed, blank=True, related_name="+", verbose_name=_("needs"))
    wanted_from = models.DateField(_("wanted from"))
    wanted_until = models.DateField(_("wanted until"), null=True, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    note = models.CharField(
        _("note"), max_length=500, blank=True, help_text=_("No names or personal identity numbers.")
    )
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_municipality = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_county = models.BooleanField(_("to the whole county"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.DRAFT)
    decline_reason = models.CharField(_("reason"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("place request")
        verbose_name_plural = _("place requests")
        constraints = [
            models.CheckConstraint(
                name="place_request_one_target",
                condition=(
                    Q(to_unit__isnull=False, to_municipality__isnull=True, to_county=False)
                    | Q(to_unit__isnull=True, to_municipality__isnull=False, to_county=False)
                    | Q(to_unit__isnull=True, to_municipality__isnull=True, to_county=True)
                ),
                violation_error_message=_("Address the request to one unit, one municipality or the whole county."),
            ),
            models.CheckConstraint(
                name="place_request_places_positive",
                condition=Q(places__gte=1),
                violation_error_message=_("Ask for at least one place."),
            ),
        ]
        indexes = [
            # Lists per county and status; the expiry sweep (status, expires_at).
            models.Index(fields=["county", "status"], name="place_request_county_status"),
            models.Index(fields=["status", "expires_at"], name="place_request_expiry"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.from_organisation}: {self.places}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class OfferStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    LAPSED = "lapsed", _("Lapsed")


class PlaceOffer(models.Model):
    """A unit's offer of places to a request."""

    request = models.ForeignKey(PlaceRequest, on_delete=models.CASCADE, related_name="offers")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="place_offers")
    places = models.PositiveSmallIntegerField(_("places"))
    status = models.CharField(_("status"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    decline_reason = models.CharField(_("reason"), max_length=300, blank=True)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("offered"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.CheckConstraint(
                name="place_offer_places_positive",
                condition=Q(places__gte=1),
                violation_error_message=_("Offer at least one place."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit}: {self.places}"


class Reservation(models.Model):
    """Places held at a unit for an accepted offer. While the patients have not arrived the places
    count as reserved (they lower the unit's free places); on arrival they become the unit's
    occupied places, and the reservation records the stay for settlement until it ends."""

    offer = models.OneToOneField(PlaceOffer, on_delete=models.PROTECT, related_name="reservation")
    request = models.ForeignKey(PlaceRequest, on_delete=models.PROTECT, related_name="reservations")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="reservations")
    places = models.PositiveSmallIntegerField(_("places"))
    created_at = models.DateTimeField(_("reserved"), default=timezone.now)
    arrived_on = models.DateField(_("arrived"), null=True, blank=True)
    left_on = models.DateField(_("left"), null=True, blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True, help_text=_("Withdrawn before arrival."))

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.CheckConstraint(
                name="reservation_left_after_arrival",
                condition=Q(left_on__isnull=True) | Q(arrived_on__isnull=False, left_on__gte=models.F("arrived_on")),
                violation_error_message=_("A stay cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit}: {self.places}"

    @property
    def holds_places(self) -> bool:
        return self.arrived_on is None and self.released_at is None


class RequestEvent(HistoryEntry):
    """The visible history of a request: who did what, when."""

    request = models.ForeignKey(PlaceRequest, on_delete=models.CASCADE, related_name="events")
    status_after = models.CharField(_("status"), max_length=12, choices=RequestStatus.choices)
    text = models.CharField(_("text"), max_length=500, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self) -> str:
        return f"#{self.request_id} {self.action}"


class PlacementSettings(models.Model):
    """A county's rules for requests."""

    county = models.OneToOneField(County, on_delete=models.CASCADE, primary_key=True, related_name="placement_settings")
    expiry_hours = models.PositiveSmallIntegerField(_("hours before an unanswered request expires"), default=48)

    class Meta:
        verbose_name = _("placement settings")
        verbose_name_plural = _("placement settings")

    def __str__(self) -> str:
        return str(self.county)


class DayRate(models.Model):
    """The price per day of a place shared between municipalities, per county agreement, from a date."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="placement_day_rates")
    valid_from = models.DateField(_("valid from"))
    amount = models.DecimalField(_("price per day (SEK)"), max_digits=9, decimal_places=2)

    class Meta:
        ordering = ["county_id", "valid_from"]
        verbose_name = _("day rate")
        verbose_name_plural = _("day rates")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "valid_from"],
                name="day_rate_unique_start",
                violation_error_message=_("The county already has a price from this date."),
            ),
            models.CheckConstraint(
                name="day_rate_positive",
                condition=Q(amount__gt=0),
                violation_error_message=_("The price must be above zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county}: {self.amount} from {self.valid_from}"


class EscalationStep(models.Model):
    """One step of a county's staged plan, with the county figures that call for it."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="escalation_steps")
    order = models.PositiveSmallIntegerField(_("step"))
    name = models.CharField(_("name"), max_length=120)
    actions = models.TextField(_("actions"), blank=True, help_text=_("One action per line."))
    free_places_at_most = models.IntegerField(
        _("free places at most"),
        null=True,
        blank=True,
        help_text=_("Suggested when the county's free places are this many or fewer."),
    )
    occupancy_at_least = models.DecimalField(
        _("occupancy at least (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    waiting_requests_at_least = models.PositiveSmallIntegerField(_("requests waiting at least"), null=True, blank=True)
    waiting_hours = models.PositiveSmallIntegerField(_("… for longer than (hours)"), default=24)
    shortage_probability_at_least = models.DecimalField(
        _("probability of shortage within 7 days at least (%)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_(
            "Suggested when the latest forecast gives at least this probability that short-term demand exceeds the staffed places within 7 days."
        ),
    )

    class Meta:
        ordering = ["county_id", "order"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        constraints = [models.UniqueConstraint(fields=["county", "order"], name="escalation_step_unique_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

    @property
    def action_list(self) -> list[str]:
        return [line.strip() for line in self.actions.splitlines() if line.strip()]


class EscalationState(models.Model):
    """The county's current step, changed only when a person confirms it."""

    county = models.OneToOneField(County, on_delete=models.CASCADE, primary_key=True, related_name="escalation")
    current_step = models.ForeignKey(EscalationStep, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    last_suggested_order = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("escalation state")
        verbose_name_plural = _("escalation states")

    def __str__(self) -> str:
        return f"{self.county}: {self.current_step}"


class ShortageOutlook(models.Model):
    """The county's latest probability that short-term demand exceeds the staffed places within 7
    days, recorded by the forecasts (placements.services.shortage_outlook_record) so that the
    escalation plan can use it without reading the forecasting app above it."""

    county = models.OneToOneField(County, on_delete=models.CASCADE, primary_key=True, related_name="+")
    probability = models.DecimalField(_("probability (%)"), max_digits=4, decimal_places=1)
    computed_at = models.DateTimeField(default=timezone.now)
    data_until = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("shortage outlook")
        verbose_name_plural = _("shortage outlooks")

    def __str__(self) -> str:
        return f"{self.county_id}: {self.probability} %"


class EscalationChange(models.Model):
    """A confirmed change of step, with the figures that were shown when it was confirmed."""

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="escalation_changes")
    from_step = models.ForeignKey(EscalationStep, on_delete=models.PROTECT, null=True, related_name="+")
    to_step = models.ForeignKey(EscalationStep, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)
    comment = models.CharField(_("comment"), max_length=500)
    figures = models.JSONField(default=dict)

    class Meta:
        ordering = ["-confirmed_at", "-id"]
        verbose_name = _("escalation change")
        verbose_name_plural = _("escalation changes")

    def __str__(self) -> str:
        return f"{self.county}: {self.from_step} → {self.to_step}"
