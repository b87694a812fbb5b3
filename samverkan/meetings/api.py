"""The collaboration forum through the API: forums, meetings with their minutes, decisions and
assignments to read, and assignment status updates. Same selectors and services as the pages."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import BaseModel

from samverkan.apischema import BODY, CountyCode, Id, choice, responses, text
from samverkan.meetings import selectors, services
from samverkan.meetings.models import AgendaItem, Assignment, AssignmentNote, Decision, Forum, Meeting
from samverkan.organisations import policy

router = Router(tags=["meetings"])
SearchText = Annotated[str, Field(max_length=200, description="Words that every decision found holds.")]
LIMIT = 500


class ForumOut(Schema):
    id: int
    county: str
    name: str
    description: str
    members: list[int]

    @staticmethod
    def resolve_county(obj: Forum) -> str:
        return obj.county_id

    @staticmethod
    def resolve_members(obj: Forum) -> list[int]:
        return [m.organisation_id for m in obj.members.all()]


class DecisionOut(Schema):
    id: int
    meeting: int
    forum: int
    number: int
    reference: str
    item: str
    text: str

    @staticmethod
    def resolve_meeting(obj: Decision) -> int:
        return obj.meeting_id

    @staticmethod
    def resolve_forum(obj: Decision) -> int:
        return obj.meeting.forum_id

    @staticmethod
    def resolve_item(obj: Decision) -> str:
        return obj.item.title


class ItemOut(Schema):
    position: int
    title: str
    kind: str
    presenter: str
    minutes: str
    decisions: list[str]

    @staticmethod
    def resolve_decisions(obj: AgendaItem) -> list[str]:
        return [f"§ {d.number}: {d.text}" for d in obj.decisions.all()]


class AttendanceOut(Schema):
    name: str
    organisation: str | None
    status: str
    substitute_for: str


class MeetingOut(Schema):
    id: int
    forum: int
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    place: str
    remote_link: str
    minutes_status: str
    is_published: bool

    @staticmethod
    def resolve_forum(obj: Meeting) -> int:
        return obj.forum_id

    @staticmethod
    def resolve_minutes_status(obj: Meeting) -> str:
        return str(services.current_version(obj).status)


class MeetingDetailOut(MeetingOut):
    attendance: list[AttendanceOut]
    items: list[ItemOut]

    @staticmethod
    def resolve_attendance(obj: Meeting) -> list[dict[str, Any]]:
        return [
            {
                "name": a.name,
                "organisation": a.organisation.name if a.organisation else None,
                "status": a.status,
                "substitute_for": a.substitute_for,
            }
            for a in obj.attendance.select_related("organisation")
        ]

    @staticmethod
    def resolve_items(obj: Meeting) -> list[AgendaItem]:
        return list(obj.items.prefetch_related("decisions"))


class AssignmentOut(Schema):
    id: int
    forum: int
    meeting: int
    title: str
    owner_organisation: int | None
    owner_person: str | None
    due_date: datetime.date | None
    due_meeting: int | None
    deadline: datetime.date | None
    status: str
    overdue: bool

    @staticmethod
    def resolve_forum(obj: Assignment) -> int:
        return obj.forum_id

    @staticmethod
    def resolve_meeting(obj: Assignment) -> int:
        return obj.meeting_id

    @staticmethod
    def resolve_owner_organisation(obj: Assignment) -> int | None:
        return obj.owner_organisation_id

    @staticmethod
    def resolve_owner_person(obj: Assignment) -> str | None:
        return obj.owner_person.get_full_name() if obj.owner_person else None

    @staticmethod
    def resolve_due_meeting(obj: Assignment) -> int | None:
        return obj.due_meeting_id

    @staticmethod
    def resolve_deadline(obj: Assignment) -> datetime.date | None:
        return obj.deadline()

    @staticmethod
    def resolve_overdue(obj: Assignment) -> bool:
        return obj.is_overdue()


class StatusIn(BaseModel):
    status: Annotated[str, choice(Assignment, "status")]
    note: Annotated[str, text(AssignmentNote, "text")] = ""


@router.get("/meetings/forums", url_name="meetings_forums", response=responses({200: list[ForumOut]}))
def forums(request: HttpRequest, county: CountyCode | None = None) -> Any:
    return list(selectors.forum_list(policy.principal_of(request), county=county).prefetch_related("members")[:LIMIT])


@router.get("/meetings/meetings", url_name="meetings_meetings", response=responses({200: list[MeetingOut]}, 404))
def meetings(request: HttpRequest, forum: Id) -> Any:
    who = policy.principal_of(request)
    found = selectors.forum_detail(who, forum)
    return list(selectors.meeting_list(who, found)[:LIMIT])


@router.get(
    "/meetings/meetings/{meeting_id}", url_name="meetings_meeting", response=responses({200: MeetingDetailOut}, 404)
)
def meeting(request: HttpRequest, meeting_id: Id) -> Any:
    return selectors.meeting_detail(policy.principal_of(request), meeting_id)


@router.get("/meetings/decisions", url_name="meetings_decisions", response=responses({200: list[DecisionOut]}))
def decisions(request: HttpRequest, q: SearchText = "", county: CountyCode | None = None) -> Any:
    return list(selectors.decision_search(policy.principal_of(request), text=q, county=county)[:LIMIT])


@router.get("/meetings/assignments", url_name="meetings_assignments", response=responses({200: list[AssignmentOut]}))
def assignments(
    request: HttpRequest,
    forum: Id | None = None,
    status: Annotated[str, choice(Assignment, "status")] | None = None,
    county: CountyCode | None = None,
) -> Any:
    return list(
        selectors.assignments(policy.principal_of(request), status=status, county=county).filter(
            **({"forum_id": forum} if forum else {})
        )[:LIMIT]
    )


@router.post(
    "/meetings/assignments/{assignment_id}/status",
    url_name="meetings_assignment_status",
    response=responses({200: AssignmentOut}, *BODY, 404),
)
def assignment_status(request: HttpRequest, assignment_id: Id, payload: StatusIn) -> Any:
    who = policy.actor_of(request)
    found = selectors.assignment_detail(who, assignment_id)
    return services.assignment_update_status(assignment=found, status=payload.status, note=payload.note, by=who)
