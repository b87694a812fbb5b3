"""What the home page shows each user: the things that need their attention."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.accounts.models import ApiKey, User
from samverkan.audit.models import AuditEvent
from samverkan.organisations import policy
from samverkan.organisations.models import Membership, Unit


@dataclass
class Attention:
    """One thing on the home page that asks the user to act."""

    text: str
    url: str = ""
    level: str = "info"


@dataclass
class HomeSummary:
    memberships: list[Membership]
    attention: list[Attention] = field(default_factory=list)
    my_units: list[Unit] = field(default_factory=list)
    recent_events: list[AuditEvent] = field(default_factory=list)
    escalations: list = field(default_factory=list)


def home_summary(user) -> HomeSummary:
    scope = policy.scope_of(user)
    memberships = list(
        Membership.objects.filter(user=user).select_related("organisation", "organisation__county", "unit")
    )
    summary = HomeSummary(memberships=memberships)
    if not memberships and not scope.is_admin:
        summary.attention.append(
            Attention(
                _("You have no role in any organisation yet. Ask your administrator for access."), level="warning"
            )
        )
    unit_ids = [g.unit_id for g in scope.grants if g.unit_id]
    summary.my_units = list(Unit.objects.filter(pk__in=unit_ids).select_related("municipality"))
    if scope.is_admin:
        enrolled = TOTPDevice.objects.filter(confirmed=True).values("user_id")
        without = (
            User.objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(memberships__role__in=policy.SECOND_FACTOR_ROLES))
            .exclude(pk__in=enrolled)
            .distinct()
            .count()
        )
        if without:
            summary.attention.append(
                Attention(
                    ngettext(
                        "%(count)d user who needs a second factor has not enrolled one yet.",
                        "%(count)d users who need a second factor have not enrolled one yet.",
                        without,
                    )
                    % {"count": without},
                    level="warning",
                )
            )
    if policy.can(user, "accounts.manage_api_keys"):
        unused = ApiKey.objects.visible_to(user).filter(revoked_at__isnull=True, last_used_at__isnull=True).count()
        if unused:
            summary.attention.append(
                Attention(
                    ngettext(
                        "%(count)d API key has never been used. Revoke it if no system needs it.",
                        "%(count)d API keys have never been used. Revoke the ones no system needs.",
                        unused,
                    )
                    % {"count": unused},
                    url=reverse("accounts:api_keys"),
                )
            )
    summary.attention.extend(_capacity_attention(user, scope))
    summary.escalations = _escalations(user, scope)
    summary.attention.extend(_placement_attention(user))
    summary.attention.extend(_flow_attention(user, scope))
    if policy.can(user, "audit.review"):
        summary.recent_events = list(AuditEvent.objects.visible_to(user).select_related("organisation")[:8])
    return summary


def _capacity_attention(user, scope) -> list[Attention]:
    """Units the user reports for that have no current report; for those who follow reporting
    up, how many units of the county are overdue."""
    from samverkan.capacity import selectors as capacity

    items = []
    reportable = policy.reportable_unit_ids(user)
    for county_code in sorted(scope.county_codes):
        overview = capacity.county_overview(user, county_code)
        overdue = [row for row in overview.rows if row.stale]
        for row in overdue:
            if reportable is not None and row.unit_id in reportable:
                items.append(
                    Attention(
                        _("%(unit)s has no current capacity report. Report now.") % {"unit": row.unit_name},
                        url=reverse("capacity:report", kwargs={"unit_id": row.unit_id}),
                        level="warning",
                    )
                )
        if overdue and policy.can(user, "capacity.follow_up", county_code=county_code):
            items.append(
                Attention(
                    ngettext(
                        "%(count)d unit in %(county)s has not reported its places.",
                        "%(count)d units in %(county)s have not reported their places.",
                        len(overdue),
                    )
                    % {"count": len(overdue), "county": overview.county.name},
                    url=f"{reverse('capacity:completeness')}?county={county_code}",
                )
            )
    return items


def _escalations(user, scope) -> list:
    """The current step of each of the user's counties, with its actions and the suggestion."""
    from samverkan.placements import escalation

    return [escalation.escalation_view(user, code) for code in sorted(scope.county_codes)]


def _placement_attention(user) -> list[Attention]:
    """Requests waiting for the user's answer, and unread notifications."""
    from samverkan.accounts.models import Notification
    from samverkan.placements import selectors as placements
    from samverkan.placements.models import OPEN_STATUSES

    items = []
    incoming = placements.request_list(user, box="incoming").filter(status__in=OPEN_STATUSES).count()
    if incoming:
        items.append(
            Attention(
                ngettext(
                    "%(count)d place request waits for an answer.",
                    "%(count)d place requests wait for an answer.",
                    incoming,
                )
                % {"count": incoming},
                url=reverse("placements:list") + "?box=incoming&status=sent",
                level="warning",
            )
        )
    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    if unread:
        items.append(
            Attention(
                ngettext("%(count)d unread notification.", "%(count)d unread notifications.", unread)
                % {"count": unread},
                url=reverse("accounts:notifications"),
            )
        )
    return items


def _flow_attention(user, scope) -> list[Attention]:
    """For municipal coordinators: their residents ready for discharge and still in hospital."""
    from samverkan.flow import selectors as flow
    from samverkan.organisations.models import Municipality, Role

    codes = sorted(
        {g.municipality_code for g in scope.grants if g.role == Role.MUNICIPAL_COORDINATOR and g.municipality_code}
    )
    if not codes:
        return []
    waiting = flow.waiting_for_discharge(user)
    items = []
    for municipality in Municipality.objects.filter(code__in=codes).order_by("name"):
        count = waiting.get(municipality.code, 0)
        if count:
            items.append(
                Attention(
                    ngettext(
                        "%(count)d patient from %(municipality)s is ready for discharge and still in hospital.",
                        "%(count)d patients from %(municipality)s are ready for discharge and still in hospital.",
                        count,
                    )
                    % {"count": count, "municipality": municipality.name},
                    url=f"{reverse('flow:episodes')}?county={municipality.county_id}"
                    f"&municipality={municipality.code}&status=waiting",
                    level="warning",
                )
            )
    return items
