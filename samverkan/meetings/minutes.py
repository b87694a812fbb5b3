"""The minutes of a meeting as one document: what an approval concerns and what the exports print.

`minutes_content(meeting)` gathers the meeting, its attendance, each agenda item with its minutes
and decisions, and the assignments given, into plain JSON-safe data; `content_hash` is the
SHA-256 of its canonical JSON. A signature records the hash of the text it approved, so any
later change is visible as a different hash (and needs a new, approved version)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils import timezone

from samverkan.meetings.models import Assignment, Meeting


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def minutes_content(meeting: Meeting) -> dict[str, Any]:
    """Everything the minutes say, in the order they say it."""
    items = list(meeting.items.prefetch_related("decisions", "documents").order_by("position", "id"))
    assignments = (
        Assignment.objects.filter(meeting=meeting)
        .select_related("owner_organisation", "owner_person", "due_meeting", "item")
        .order_by("id")
    )
    return {
        "forum": meeting.forum.name,
        "county": meeting.forum.county_id,
        "title": meeting.title,
        "starts_at": _local(meeting.starts_at),
        "ends_at": _local(meeting.ends_at),
        "place": meeting.place,
        "remote_link": meeting.remote_link,
        "chair": meeting.chair.get_full_name() if meeting.chair else "",
        "checker": meeting.checker.get_full_name() if meeting.checker else "",
        "attendance": [
            {
                "name": a.name,
                "organisation": a.organisation.name if a.organisation else "",
                "status": a.status,
                "substitute_for": a.substitute_for,
            }
            for a in meeting.attendance.select_related("organisation").order_by("organisation__name", "name")
        ],
        "items": [
            {
                "position": item.position,
                "title": item.title,
                "kind": item.kind,
                "presenter": item.presenter,
                "description": item.description,
                "minutes": item.minutes,
                "documents": [{"title": d.title, "url": d.url} for d in item.documents.all()],
                "decisions": [{"number": d.number, "text": d.text} for d in item.decisions.order_by("number")],
            }
            for item in items
        ],
        "assignments": [
            {
                "title": a.title,
                "item": a.item.position if a.item else None,
                "owner": a.owner_label,
                "due": a.due_date.isoformat() if a.due_date else "",
                "due_meeting": a.due_meeting.title if a.due_meeting else "",
            }
            for a in assignments
        ],
    }


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
