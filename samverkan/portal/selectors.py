"""What the home page shows each user: the things that need their attention."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.accounts.models import ApiKey, Notification, User
from samverkan.audit.models import AuditEvent
from samverkan.capacity import selectors as capacity
from samverkan.capacity import thresholds as capacity_thresholds
from samverkan.flow import selectors as flow
from samverkan.meetings import selectors as meetings
from samverkan.organisations import policy
from samverkan.organisations.models import Membership, Municipality, Unit
from samverkan.placements import escalation
from samverkan.placements import selectors as placements
from samverkan.review import selectors as review
from samverkan.situation import selectors as situation
from samverkan.situation.presentation import ReportView, report_view


@dataclass
class Attention:
    """One thing on the home page that asks the user to act."""

    text: str
    url: str = ""
    level: str = "info"


@dataclass
class GlanceRow:
    """One municipality of the county at a glance: free places (coloured by the county's
    thresholds, capacity/thresholds.py) and who waits for discharge in hospital."""

    code: str
    name: str
    free: int | None
    occupancy_rate: float | None
    level: str
    waiting: int | None  # None: the user may not see these residents' episodes
    longest_wait: int | None


@dataclass
class Glance:
    county_name: str
    rows: list[GlanceRow]
    thresholds: capacity_thresholds.Thresholds


@dataclass
class HomeSummary:
    memberships: list[Membership]
    attention: list[Attention] = field(default_factory=list)
    my_units: list[Unit] = field(default_factory=list)
    recent_events: list[AuditEvent] = field(default_factory=list)
    escalations: list = field(default_factory=list)
    situation_reports: list[ReportView] = field(default_factory=list)
    glances: list[Glance] = field(default_factory=list)


def home_summary(user) -> HomeSummary:
    counties = sorted(policy.counties(user, "capacity.view", own=True) or ())
    memberships = list(
        Membership.objects.filter(user=user).select_related("organisation", "organisation__county", "unit")
    )
    summary = HomeSummary(memberships=memberships)
    if not memberships and not policy.is_admin(user):
        summary.attention.append(
            Attention(
                _("You have no role in any organisation yet. Ask your administrator for access."), level="warning"
            )
        )
    unit_ids = [place.unit for place in policy.places(user, "capacity.report") if place.unit]
    summary.my_units = list(Unit.objects.filter(pk__in=unit_ids).select_related("municipality"))
    if policy.can(user, "organisations.use_admin_site"):
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
        unused = (
            ApiKey.objects.visible_to(user, "accounts.manage_api_keys")
            .filter(revoked_at__isnull=True, last_used_at__isnull=True)
            .count()
        )
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
    summary.attention.extend(_capacity_attention(user, counties))
    if policy.can(user, "capacity.follow_up") or policy.can(user, "flow.view_episodes"):
        summary.glances = [_glance(user, code) for code in counties]
    summary.escalations = [escalation.escalation_view(user, code) for code in counties]
    summary.situation_reports = _situation_reports(user, counties)
    summary.attention.extend(_placement_attention(user, counties))
    summary.attention.extend(_flow_attention(user))
    summary.attention.extend(_meetings_attention(user))
    if policy.can(user, "audit.review"):
        summary.recent_events = list(review.audit_events(user).select_related("organisation")[:8])
    return summary


def _glance(user, county_code: str) -> Glance:
    """The heat table of the home page: per municipality free places (current reports of the
    units that report) and patients waiting for discharge, with the longest wait."""
    overview = capacity.county_overview(user, county_code)
    limits = capacity_thresholds.for_county(county_code)
    groups = {group.code: group for group in overview.municipalities}
    waiting = flow.waiting_by_municipality(user, county_code) if policy.can(user, "flow.view_episodes") else {}
    seen = {m.code for m in flow.episode_municipalities(user, county_code)} if waiting is not None else set()
    rows = []
    for code, name in Municipality.objects.filter(county_id=county_code).order_by("name").values_list("code", "name"):
        group = groups.get(code)
        totals = group.totals if group is not None and group.totals.reporting_units else None
        count, longest = waiting.get(code, (0, None))
        rows.append(
            GlanceRow(
                code=code,
                name=name,
                free=totals.free if totals else None,
                occupancy_rate=totals.occupancy_rate if totals else None,
                level=capacity_thresholds.level(totals.free, totals.occupancy_rate, limits) if totals else "",
                waiting=count if code in seen else None,
                longest_wait=longest if code in seen else None,
            )
        )
    return Glance(county_name=overview.county.name, rows=rows, thresholds=limits)


def _situation_reports(user, counties: list[str]) -> list[ReportView]:
    """The latest published situation report of each of the user's counties (its headline figures)."""
    found = []
    for county_code in counties:
        if policy.can(user, "situation.view", policy.Place(county=county_code)):
            latest = situation.latest_published(user, county_code)
            if latest is not None:
                found.append(report_view(latest))
    return found


def _capacity_attention(user, counties: list[str]) -> list[Attention]:
    """Units the user reports for that have no current report; for those who follow reporting
    up, how many units of the county are overdue."""
    items = []
    reportable = set(Unit.objects.visible_to(user, "capacity.report", own=True).values_list("pk", flat=True))
    for county_code in counties:
        overview = capacity.county_overview(user, county_code)
        overdue = [row for row in overview.rows if row.stale]
        for row in overdue:
            if row.unit_id in reportable:
                items.append(
                    Attention(
                        _("%(unit)s has no current capacity report. Report now.") % {"unit": row.unit_name},
                        url=reverse("capacity:report", kwargs={"unit_id": row.unit_id}),
                        level="warning",
                    )
                )
        if overdue and policy.can(user, "capacity.follow_up", policy.Place(county=county_code)):
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


def _placement_attention(user, counties: list[str]) -> list[Attention]:
    """Requests waiting for the user's answer (per county, counted by the same query as the list
    the link opens), and unread notifications."""
    items = []
    for county_code in counties:
        if not policy.can(user, "placements.view", policy.Place(county=county_code)):
            continue
        awaiting = placements.awaiting_answer(user, county_code=county_code).count()
        if awaiting:
            items.append(
                Attention(
                    ngettext(
                        "%(count)d place request waits for your answer.",
                        "%(count)d place requests wait for your answer.",
                        awaiting,
                    )
                    % {"count": awaiting},
                    url=f"{reverse('placements:list')}?county={county_code}&box=awaiting",
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


def _flow_attention(user) -> list[Attention]:
    """For municipal coordinators: their residents ready for discharge and still in hospital."""
    codes = sorted({place.municipality for place in policy.places(user, "flow.view_episodes") if place.municipality})
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


def _meetings_attention(user) -> list[Attention]:
    """Minutes waiting for the user's approval, the user's open assignments (overdue ones first),
    and status questions the user's municipality has not answered."""
    items = [
        Attention(
            _("The minutes of %(meeting)s wait for your approval.") % {"meeting": version.meeting.title},
            url=reverse("meetings:meeting", kwargs={"meeting_id": version.meeting_id}),
            level="warning",
        )
        for version in meetings.minutes_to_sign(user)
    ]
    assignments = list(meetings.my_assignments(user))
    overdue = [a for a in assignments if a.is_overdue()]
    if overdue:
        items.append(
            Attention(
                ngettext(
                    "%(count)d of your assignments is overdue.",
                    "%(count)d of your assignments are overdue.",
                    len(overdue),
                )
                % {"count": len(overdue)},
                url=reverse("meetings:index"),
                level="warning",
            )
        )
    elif assignments:
        items.append(
            Attention(
                ngettext(
                    "You have %(count)d open assignment.", "You have %(count)d open assignments.", len(assignments)
                )
                % {"count": len(assignments)},
                url=reverse("meetings:index"),
            )
        )
    items.extend(
        Attention(
            _("%(municipality)s has not answered: %(question)s")
            % {"municipality": organisation.name, "question": tracker.question},
            url=reverse("meetings:tracker", kwargs={"tracker_id": tracker.pk}),
        )
        for tracker, organisation in meetings.trackers_to_answer(user)
    )
    return items
