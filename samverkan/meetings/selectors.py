"""Reads for the collaboration forum, narrowed by the policy (organisations/policy.py)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from samverkan.meetings.models import (
    OPEN_ASSIGNMENT_STATUSES,
    AgendaItem,
    Assignment,
    AssignmentStatus,
    Decision,
    Forum,
    FundingApplication,
    FundingRound,
    Meeting,
    MinutesStatus,
    MinutesVersion,
    SharedCost,
    Tracker,
    TrackerAnswer,
)
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation


def forum_list(principal: policy.Asker, *, county: str | None = None) -> QuerySet[Forum]:
    forums = Forum.objects.visible_to(principal, "meetings.view").select_related("county")
    if county:
        forums = forums.filter(county_id=county)
    return forums.annotate(member_count=Count("members", distinct=True))


def forum_detail(principal: policy.Asker, forum_id: int) -> Forum:
    return Forum.objects.visible_to(principal, "meetings.view").select_related("county").get_or_404(pk=forum_id)


def meeting_list(principal: policy.Asker, forum: Forum) -> QuerySet[Meeting]:
    return Meeting.objects.visible_to(principal, "meetings.view").filter(forum=forum).order_by("-starts_at", "-id")


def meeting_detail(principal: policy.Asker, meeting_id: int) -> Meeting:
    return (
        Meeting.objects.visible_to(principal, "meetings.view")
        .select_related("forum", "forum__county", "chair", "checker")
        .get_or_404(pk=meeting_id)
    )


def item_detail(principal: policy.Asker, item_id: int) -> AgendaItem:
    return (
        AgendaItem.objects.visible_to(principal, "meetings.view")
        .select_related("meeting", "meeting__forum")
        .get_or_404(pk=item_id)
    )


def assignment_detail(principal: policy.Asker, assignment_id: int) -> Assignment:
    return (
        Assignment.objects.visible_to(principal, "meetings.view_assignments")
        .select_related("forum", "meeting", "due_meeting", "owner_organisation", "owner_person", "decision")
        .get_or_404(pk=assignment_id)
    )


def tracker_detail(principal: policy.Asker, tracker_id: int) -> Tracker:
    return Tracker.objects.visible_to(principal, "meetings.view_trackers").get_or_404(pk=tracker_id)


def cost_detail(principal: policy.Asker, cost_id: int) -> SharedCost:
    return SharedCost.objects.visible_to(principal, "meetings.view").select_related("forum").get_or_404(pk=cost_id)


def funding_round_detail(principal: policy.Asker, round_id: int) -> FundingRound:
    return FundingRound.objects.visible_to(principal, "meetings.view").select_related("forum").get_or_404(pk=round_id)


def application_detail(principal: policy.Asker, application_id: int) -> FundingApplication:
    return (
        FundingApplication.objects.visible_to(principal, "meetings.view")
        .select_related("round", "round__forum")
        .get_or_404(pk=application_id)
    )


def assignments(
    principal: policy.Asker,
    *,
    forum: Forum | None = None,
    status: str | None = None,
    county: str | None = None,
) -> QuerySet[Assignment]:
    rows = Assignment.objects.visible_to(principal, "meetings.view_assignments").select_related(
        "forum", "meeting", "due_meeting", "owner_organisation", "owner_person"
    )
    if forum is not None:
        rows = rows.filter(forum=forum)
    if county:
        rows = rows.filter(forum__county_id=county)
    if status == "open":
        rows = rows.filter(status__in=OPEN_ASSIGNMENT_STATUSES)
    elif status:
        rows = rows.filter(status=status)
    return rows.order_by("due_date", "due_meeting__starts_at", "id")


def board(principal: policy.Asker, forum: Forum, today: datetime.date | None = None) -> list[dict]:
    """The forum's assignments in one column per status, overdue ones first and marked."""
    today = today or timezone.localdate()
    rows = list(assignments(principal, forum=forum))
    columns = []
    for status in AssignmentStatus:
        cards = [a for a in rows if a.status == status]
        for card in cards:
            card.overdue = card.is_overdue(today)  # type: ignore[attr-defined]  # shown on the card
        cards.sort(key=lambda a: (not a.is_overdue(today), a.deadline() or datetime.date.max, a.pk))
        columns.append({"status": status.value, "label": status.label, "cards": cards})
    return columns


def my_assignments(principal: policy.Asker) -> QuerySet[Assignment]:
    """Open assignments given to the principal or to an organisation it coordinates."""
    rows = Assignment.objects.visible_to(principal, "meetings.update_assignment", own=True)
    return rows.filter(status__in=OPEN_ASSIGNMENT_STATUSES).select_related("forum", "due_meeting", "owner_organisation")


def decision_search(
    principal: policy.Asker, *, text: str = "", county: str | None = None, forum: Forum | None = None
) -> QuerySet[Decision]:
    """Decisions the principal may see, whose text (or agenda item title) holds every word of `text`."""
    rows = Decision.objects.visible_to(principal, "meetings.view").select_related("meeting", "meeting__forum", "item")
    if county:
        rows = rows.filter(meeting__forum__county_id=county)
    if forum is not None:
        rows = rows.filter(meeting__forum=forum)
    for word in text.split()[:10]:
        rows = rows.filter(Q(text__icontains=word) | Q(item__title__icontains=word))
    return rows.order_by("-meeting__starts_at", "number")


def minutes_to_sign(principal: policy.Asker) -> list[MinutesVersion]:
    """Minutes waiting for approval in which the principal is chair or checker and has not yet approved."""
    versions = (
        MinutesVersion.objects.visible_to(principal, "meetings.sign", own=True)
        .filter(status=MinutesStatus.FOR_APPROVAL)
        .select_related("meeting")
        .prefetch_related("signatures")
    )
    user_id = getattr(principal, "pk", None)
    return [v for v in versions if not any(s.signer_id == user_id for s in v.signatures.all())]


def trackers_to_answer(principal: policy.Asker) -> list[tuple[Tracker, Organisation]]:
    """Open questions that a municipality the principal belongs to (and may answer for) has not
    answered; the county's other municipalities are not the principal's to answer for here."""
    own = [place.organisation for place in policy.places(principal, "meetings.answer_tracker")]
    organisations = list(
        Organisation.objects.visible_to(principal, "meetings.answer_tracker", own=True).filter(
            pk__in=own, kind="municipality"
        )
    )
    if not organisations:
        return []
    trackers = Tracker.objects.filter(is_open=True, county_id__in={o.county_id for o in organisations})
    answered = set(
        TrackerAnswer.objects.filter(tracker__in=trackers, organisation__in=organisations).values_list(
            "tracker_id", "organisation_id"
        )
    )
    return [
        (t, o) for t in trackers for o in organisations if o.county_id == t.county_id and (t.pk, o.pk) not in answered
    ]
