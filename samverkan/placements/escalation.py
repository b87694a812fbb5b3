"""The staged escalation plan: county figures, the suggested step and why, confirmed changes.

The suggestion is computed from the figures whenever they are read or change; the county's
current step changes only when a region coordinator confirms it with a comment."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from samverkan.accounts.models import User
from samverkan.accounts.services import notify
from samverkan.audit.services import audit_record
from samverkan.capacity import selectors as capacity
from samverkan.capacity import thresholds as capacity_thresholds
from samverkan.organisations import policy
from samverkan.organisations.models import County, Organisation
from samverkan.organisations.roles import OrganisationKind, Role
from samverkan.placements.models import (
    OPEN_STATUSES,
    EscalationChange,
    EscalationState,
    EscalationStep,
    PlaceRequest,
    ShortageOutlook,
)

# The plan from the chiefs' minutes of 6 May 2020, as a starting point each county can edit.
DEFAULT_STEPS = [
    (1, "Varje kommun använder sina egna platser", "", None, None, None),
    (
        2,
        "Dela befintliga platser i länet",
        "Avropa lediga platser i andra kommuner via Samverkan\nStäm av platsläget dagligen i chefsnätverket",
        25,
        Decimal("80.0"),
        1,
    ),
    (
        3,
        "Öppna förstärkningsplatser",
        "Öppna förstärkningsplatser inom 24 timmar\nBegär personal via bemanningssamordnaren",
        8,
        Decimal("92.0"),
        3,
    ),
    (
        4,
        "Öppna en ny enhet",
        "Besluta om att öppna ny enhet (t.ex. i Mora)\nInformera länssamverkansgruppen",
        2,
        Decimal("98.0"),
        6,
    ),
]


def steps_for(county_code: str) -> list[EscalationStep]:
    steps = list(EscalationStep.objects.filter(county_id=county_code).order_by("order"))
    if steps:
        return steps
    with transaction.atomic():
        for order, name, actions, free, occupancy, waiting in DEFAULT_STEPS:
            EscalationStep.objects.get_or_create(
                county_id=county_code,
                order=order,
                defaults={
                    "name": name,
                    "actions": actions,
                    "free_places_at_most": free,
                    "occupancy_at_least": occupancy,
                    "waiting_requests_at_least": waiting,
                    "waiting_hours": 24,
                },
            )
    return list(EscalationStep.objects.filter(county_id=county_code).order_by("order"))


def occupancy_thresholds(county_code: str) -> capacity_thresholds.Thresholds | None:
    """The capacity overview's amber and red occupancy (capacity/thresholds.py): the occupancy
    thresholds of the plan's two highest steps that have one (the county's plan as stored, or the
    standard plan's)."""
    stored = [
        occupancy
        for occupancy in EscalationStep.objects.filter(county_id=county_code)
        .order_by("order")
        .values_list("occupancy_at_least", flat=True)
        if occupancy is not None
    ]
    levels = stored or [occupancy for *_rest, occupancy, _waiting in DEFAULT_STEPS if occupancy is not None]
    if len(levels) < 2:
        return None
    return capacity_thresholds.Thresholds(amber_occupancy=levels[-2], red_occupancy=levels[-1])


@dataclass
class Figures:
    """County figures from current reports only; free is None when no unit has a current report."""

    free: int | None
    staffed: int
    occupied: int
    occupancy_percent: Decimal | None
    waiting: dict[int, int] = field(default_factory=dict)  # hours -> requests waiting longer
    # The latest forecast's probability (%) that short-term demand exceeds staffed places within 7 days.
    shortage_probability: Decimal | None = None

    def as_dict(self) -> dict:
        figures = {
            "free": self.free,
            "staffed": self.staffed,
            "occupied": self.occupied,
            "occupancy_percent": float(self.occupancy_percent) if self.occupancy_percent is not None else None,
            "waiting": {str(h): n for h, n in self.waiting.items()},
        }
        if self.shortage_probability is not None:
            figures["shortage_probability"] = float(self.shortage_probability)
        return figures


@dataclass
class Suggestion:
    step: EscalationStep
    reasons: list[str]


def county_figures(county_code: str, steps: list[EscalationStep], now: datetime.datetime | None = None) -> Figures:
    """The county's current (non-stale) free places and occupancy, and requests waiting too long."""
    now = now or timezone.now()
    overview = capacity.county_overview(policy.SYSTEM, county_code, now=now)
    current = [r for r in overview.rows if not r.stale and r.staffed is not None]
    staffed = sum(r.staffed or 0 for r in current)
    occupied = sum(r.occupied or 0 for r in current)
    free = sum(r.free or 0 for r in current)
    occupancy = (Decimal(occupied) * 100 / staffed).quantize(Decimal("0.1")) if staffed else None
    waiting = {}
    for hours in sorted({s.waiting_hours for s in steps}):
        waiting[hours] = PlaceRequest.objects.filter(
            county_id=county_code, status__in=OPEN_STATUSES, sent_at__lte=now - datetime.timedelta(hours=hours)
        ).count()
    outlook = ShortageOutlook.objects.filter(county_id=county_code).first()
    return Figures(
        free=free if current else None,
        staffed=staffed,
        occupied=occupied,
        occupancy_percent=occupancy,
        waiting=waiting,
        shortage_probability=outlook.probability if outlook else None,
    )


def triggers(step: EscalationStep, figures: Figures) -> list[str]:
    """The figures that call for this step (any one is enough), each as a sentence."""
    reasons = []
    if step.free_places_at_most is not None and figures.free is not None and figures.free <= step.free_places_at_most:
        reasons.append(
            _("Free places in the county: %(free)d (step at %(limit)d or fewer).")
            % {"free": figures.free, "limit": step.free_places_at_most}
        )
    if (
        step.occupancy_at_least is not None
        and figures.occupancy_percent is not None
        and figures.occupancy_percent >= step.occupancy_at_least
    ):
        reasons.append(
            _("Occupancy: %(rate)s %% (step at %(limit)s %% or more).")
            % {"rate": number_format(figures.occupancy_percent, 1), "limit": number_format(step.occupancy_at_least, 1)}
        )
    if (
        step.shortage_probability_at_least is not None
        and figures.shortage_probability is not None
        and figures.shortage_probability >= step.shortage_probability_at_least
    ):
        reasons.append(
            _("Probability of a shortage of short-term places within 7 days: %(p)s %% (step at %(limit)s %% or more).")
            % {
                "p": number_format(figures.shortage_probability, 1),
                "limit": number_format(step.shortage_probability_at_least, 1),
            }
        )
    waiting = figures.waiting.get(step.waiting_hours, 0)
    if step.waiting_requests_at_least is not None and waiting >= step.waiting_requests_at_least:
        reasons.append(
            _("Requests waiting longer than %(hours)d hours: %(n)d (step at %(limit)d or more).")
            % {"hours": step.waiting_hours, "n": waiting, "limit": step.waiting_requests_at_least}
        )
    return reasons


def suggest(steps: list[EscalationStep], figures: Figures) -> Suggestion:
    """The highest step any of whose figures is met; the first step when none is."""
    for step in reversed(steps):
        reasons = triggers(step, figures)
        if reasons:
            return Suggestion(step, reasons)
    return Suggestion(steps[0], [_("No figure calls for a higher step.")])


@dataclass
class EscalationView:
    county: County
    steps: list[EscalationStep]
    current: EscalationStep
    state: EscalationState
    figures: Figures
    suggestion: Suggestion
    history: list[EscalationChange]

    @property
    def differs(self) -> bool:
        return self.suggestion.step.pk != self.current.pk


def _state(county_code: str, steps: list[EscalationStep]) -> EscalationState:
    return EscalationState.objects.select_related("current_step", "confirmed_by").get_or_create(
        county_id=county_code, defaults={"current_step": steps[0]}
    )[0]


def escalation_view(principal, county_code: str) -> EscalationView:
    policy.require(principal, "placements.view", policy.Place(county=county_code))
    county = get_object_or_404(County, code=county_code)  # an administrator may ask for any code
    steps = steps_for(county_code)
    state = _state(county_code, steps)
    figures = county_figures(county_code, steps)
    return EscalationView(
        county=county,
        steps=steps,
        current=state.current_step,
        state=state,
        figures=figures,
        suggestion=suggest(steps, figures),
        history=list(
            EscalationChange.objects.filter(county_id=county_code).select_related(
                "from_step", "to_step", "confirmed_by"
            )[:20]
        ),
    )


def county_members(county_code: str) -> list[User]:
    return list(User.objects.filter(memberships__organisation__county_id=county_code, is_active=True).distinct())


def _county_coordinators(county_code: str) -> list[User]:
    return list(
        User.objects.filter(
            memberships__organisation__county_id=county_code,
            memberships__role__in=[Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR, Role.FORUM_SECRETARY],
            is_active=True,
        ).distinct()
    )


def escalation_confirm(
    *, county_code: str, step: EscalationStep, by: policy.Principal, comment: str
) -> EscalationChange:
    """A person sets the county's step (up or down) with a comment; audited and notified."""
    if not policy.can(by, "placements.confirm_escalation", policy.Place(county=county_code)):
        raise PermissionDenied
    if not comment.strip():
        raise ValidationError({"comment": [_("Say why the step changes (or stays).")]})
    if step.county_id != county_code:
        raise ValidationError({"step": [_("Choose a step of this county's plan.")]})
    steps = steps_for(county_code)
    figures = county_figures(county_code, steps)
    suggestion = suggest(steps, figures)
    with transaction.atomic():
        state = EscalationState.objects.select_for_update().filter(county_id=county_code).first() or _state(
            county_code, steps
        )
        change = EscalationChange.objects.create(
            county_id=county_code,
            from_step=state.current_step,
            to_step=step,
            confirmed_by=by if isinstance(by, User) else None,
            comment=comment,
            figures={**figures.as_dict(), "suggested": suggestion.step.order, "reasons": suggestion.reasons},
        )
        before = state.current_step.order
        state.current_step, state.confirmed_by, state.confirmed_at, state.comment = (
            step,
            by if isinstance(by, User) else None,
            timezone.now(),
            comment,
        )
        state.save()
        audit_record(
            by=by,
            event_type="placements.escalation_confirmed",
            obj=change,
            organisation=Organisation.objects.filter(county_id=county_code, kind=OrganisationKind.REGION).first(),
            before={"step": before},
            after={"step": step.order, "comment": comment, "figures": change.figures},
        )
        notify(
            users=county_members(county_code),
            text=_("The county is now at step %(order)d: %(name)s.") % {"order": step.order, "name": step.name},
            url=reverse("placements:escalation") + f"?county={county_code}",
            by=by,
        )
    return change


def escalation_check(county_code: str) -> Suggestion | None:
    """Recompute the suggestion after figures changed; tell the coordinators once when it moves
    away from the current step (the step itself stays until someone confirms)."""
    steps = steps_for(county_code)
    state = _state(county_code, steps)
    suggestion = suggest(steps, county_figures(county_code, steps))
    if suggestion.step.order == state.last_suggested_order:
        return suggestion
    with transaction.atomic():
        EscalationState.objects.filter(pk=state.pk).update(last_suggested_order=suggestion.step.order)
        if suggestion.step.pk != state.current_step_id:
            # Only those who may confirm a step are asked to; the other coordinators are told.
            place = policy.Place(county=county_code)
            coordinators = _county_coordinators(county_code)
            confirmers = [u for u in coordinators if policy.can(u, "placements.confirm_escalation", place)]
            others = [u for u in coordinators if u not in confirmers]
            figures = {
                "order": suggestion.step.order,
                "name": suggestion.step.name,
                "reason": " ".join(suggestion.reasons),
            }
            url = reverse("placements:escalation") + f"?county={county_code}"
            notify(
                users=confirmers,
                text=_("The figures suggest step %(order)d (%(name)s): %(reason)s Confirm or keep the current step.")
                % figures,
                url=url,
                email=False,
                by=policy.SYSTEM,
            )
            notify(
                users=others,
                text=_(
                    "The figures suggest step %(order)d (%(name)s): %(reason)s "
                    "The region's coordinators decide whether the county changes step."
                )
                % figures,
                url=url,
                email=False,
                by=policy.SYSTEM,
            )
    return suggestion
