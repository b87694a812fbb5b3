"""Writes for the collaboration forum. Every function is atomic, asks the policy, and writes its
audit event in the same transaction.

The minutes of a meeting are edited only while its current version is a draft: sending it for
approval locks it (`minutes_send_for_approval`), the chair and the checker each approve it with
a code from their authenticator (`minutes_sign`), and a correction after approval is a new
version linked to the approved one (`minutes_correct`), which needs its own approval.

Assignments are followed up at meetings: one due by a meeting is put on that meeting's agenda
when it is given, and `assignments_carry_over` puts every open assignment that is overdue (or
due by then) on the forum's next meeting, once (docs/architecture.md, "Where each rule lives")."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.accounts import secondfactor
from samverkan.accounts.models import User
from samverkan.accounts.services import notify
from samverkan.audit.services import audit_record, snapshot
from samverkan.flow.pseudonyms import contains_personnummer
from samverkan.meetings import sharing
from samverkan.meetings.minutes import content_hash, minutes_content
from samverkan.meetings.models import (
    OPEN_ASSIGNMENT_STATUSES,
    AgendaDocument,
    AgendaItem,
    ApplicationDecision,
    Assignment,
    AssignmentNote,
    AssignmentStatus,
    Attendance,
    AttendanceStatus,
    Decision,
    Forum,
    ForumMember,
    ForumPerson,
    FundingApplication,
    FundingRound,
    ItemKind,
    Meeting,
    MinutesSignature,
    MinutesStatus,
    MinutesVersion,
    SharedCost,
    SharedCostLine,
    SignerRole,
    SplitMethod,
    Tracker,
    TrackerAnswer,
)
from samverkan.organisations import policy
from samverkan.organisations.models import County, Organisation
from samverkan.organisations.roles import OrganisationKind, Role

MAX_MINUTES = 20_000  # characters of minutes per agenda item


def _label(by: policy.Principal) -> str:
    if isinstance(by, User):
        return by.get_full_name() or by.email
    return str(getattr(by, "name", None) or by)


def _organisation_in(by: policy.Principal, county_code: str) -> Organisation | None:
    """The organisation the principal acts for in a county (for the audit row): one of its own
    there, else the county's region."""
    own = [p.organisation for p in policy.places(by, "meetings.view") if p.county == county_code and p.organisation]
    if own:
        return Organisation.objects.filter(pk=own[0]).first()
    return Organisation.objects.filter(county_id=county_code, kind=OrganisationKind.REGION).first()


def _audit(
    by: policy.Principal,
    event_type: str,
    obj: Forum | Meeting | AgendaItem | Decision | Assignment | MinutesVersion,
    county: str,
    **changes: object,
) -> None:
    audit_record(
        by=by,
        event_type=event_type,
        obj=obj,
        organisation=_organisation_in(by, county),
        after=dict(changes) or None,
    )


def _check_text(field: str, text: str) -> None:
    """Free text must not identify a patient."""
    if contains_personnummer(text or ""):
        raise ValidationError(
            {field: [_("The text looks like it contains a personal identity number. Leave patient identity out.")]}
        )


def current_version(meeting: Meeting) -> MinutesVersion:
    version: MinutesVersion | None = meeting.minutes_versions.order_by("-number").first()
    if version is None:
        raise MinutesVersion.DoesNotExist
    return version


def _require_draft(meeting: Meeting) -> MinutesVersion:
    version = current_version(meeting)
    if version.status != MinutesStatus.DRAFT:
        raise ValidationError(
            _(
                "The minutes of %(meeting)s are %(status)s and locked. Return them to draft before approval, "
                "or correct approved minutes in a new version."
            )
            % {"meeting": meeting.title, "status": version.get_status_display().lower()}
        )
    return version


def _lock_meeting(meeting: Meeting) -> Meeting:
    locked: Meeting = Meeting.objects.select_for_update().select_related("forum").get(pk=meeting.pk)
    return locked


# Forums ---------------------------------------------------------------------------------------


def forum_create(
    *,
    county: County,
    name: str,
    description: str = "",
    organisations: Iterable[Organisation] = (),
    by: policy.Principal,
) -> Forum:
    policy.require(by, "meetings.manage", policy.Place(county=county.code))
    members = list(organisations)
    outside = [o.name for o in members if o.county_id != county.code]
    if outside:
        raise ValidationError(
            {"organisations": [_("Members must belong to the county: %(names)s.") % {"names": ", ".join(outside)}]}
        )
    with transaction.atomic():
        forum = Forum(county=county, name=name.strip(), description=description)
        forum.full_clean()
        forum.save()
        ForumMember.objects.bulk_create(ForumMember(forum=forum, organisation=o) for o in members)
        _audit(by, "meetings.forum_created", forum, county.code, name=forum.name, members=[o.pk for o in members])
    return forum


def forum_person_add(
    *, forum: Forum, user: User, organisation: Organisation | None = None, title: str = "", by: policy.Principal
) -> ForumPerson:
    policy.require(by, "meetings.manage", forum)
    with transaction.atomic():
        person, created = ForumPerson.objects.get_or_create(
            forum=forum, user=user, defaults={"organisation": organisation, "title": title}
        )
        if created:
            _audit(by, "meetings.forum_person_added", forum, forum.county_id, user=user.pk, title=title)
    return person


def forum_update(
    *, forum: Forum, name: str, description: str, organisations: Iterable[Organisation], by: policy.Principal
) -> Forum:
    """Rename a forum or change its member organisations (who sees its unpublished minutes)."""
    policy.require(by, "meetings.manage", forum)
    members = list(organisations)
    outside = [o.name for o in members if o.county_id != forum.county_id]
    if outside:
        raise ValidationError(
            {"organisations": [_("Members must belong to the county: %(names)s.") % {"names": ", ".join(outside)}]}
        )
    with transaction.atomic():
        before = {"name": forum.name, "members": sorted(forum.members.values_list("organisation_id", flat=True))}
        forum.name, forum.description = name.strip(), description
        forum.full_clean()
        forum.save()
        wanted = {o.pk for o in members}
        forum.members.exclude(organisation_id__in=wanted).delete()
        have = set(forum.members.values_list("organisation_id", flat=True))
        ForumMember.objects.bulk_create(ForumMember(forum=forum, organisation_id=pk) for pk in sorted(wanted - have))
        audit_record(
            by=by,
            event_type="meetings.forum_updated",
            obj=forum,
            organisation=_organisation_in(by, forum.county_id),
            before=before,
            after={"name": forum.name, "members": sorted(wanted)},
        )
    return forum


def forum_person_remove(*, person: ForumPerson, by: policy.Principal) -> None:
    """A person leaves the forum (meetings already planned keep them on their attendance lists)."""
    policy.require(by, "meetings.manage", person.forum)
    with transaction.atomic():
        _audit(by, "meetings.forum_person_removed", person.forum, person.forum.county_id, user=person.user_id)
        person.delete()


# Meetings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingInput:
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None = None
    place: str = ""
    remote_link: str = ""
    series: str = ""
    chair: User | None = None
    checker: User | None = None


def _check_meeting(data: MeetingInput) -> None:
    errors: dict[str, list[str]] = {}
    if data.ends_at and data.ends_at < data.starts_at:
        errors["ends_at"] = [_("The meeting ends before it starts.")]
    if data.chair and data.checker and data.chair.pk == data.checker.pk:
        errors["checker"] = [_("The chair and the minutes checker must be different people.")]
    if not data.place and not data.remote_link:
        errors["place"] = [_("Give a place or a link for remote attendance.")]
    if errors:
        raise ValidationError(errors)


def meeting_create(*, forum: Forum, data: MeetingInput, by: policy.Principal) -> Meeting:
    """A new meeting: its first (draft) version of the minutes, an attendance list of the forum's
    people, and the open assignments due by then or overdue on its agenda if it is the next one."""
    policy.require(by, "meetings.manage", forum)
    _check_meeting(data)
    with transaction.atomic():
        meeting = Meeting(forum=forum, **data.__dict__)
        meeting.full_clean()
        meeting.save()
        MinutesVersion.objects.create(meeting=meeting, number=1)
        Attendance.objects.bulk_create(
            Attendance(
                meeting=meeting,
                name=p.user.get_full_name() or p.user.email,
                organisation=p.organisation,
                user=p.user,
            )
            for p in forum.people.select_related("user", "organisation")
        )
        _audit(by, "meetings.meeting_created", meeting, forum.county_id, **snapshot(meeting))
        assignments_carry_over(forum=forum, by=by)
    return meeting


MAX_SERIES = 26  # a half-year of weekly meetings


def _shifted(moment: datetime.datetime, every: str, steps: int) -> datetime.datetime:
    """The same local time `steps` weeks or months later (a month's last days fall back to the
    last day of a shorter month: 31 January, 28 February, 31 March)."""
    local = timezone.localtime(moment)
    if every == "week":
        day = local.date() + datetime.timedelta(weeks=steps)
    else:
        month_index = local.month - 1 + steps
        year, month = local.year + month_index // 12, month_index % 12 + 1
        last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
        day = datetime.date(year, month, min(local.day, last))
    return timezone.make_aware(datetime.datetime.combine(day, local.time()), timezone.get_current_timezone())


def meeting_series_create(
    *, forum: Forum, data: MeetingInput, every: str, count: int, by: policy.Principal
) -> list[Meeting]:
    """`count` meetings every week or month from `data.starts_at` (weekly in a crisis, monthly
    otherwise), all or none; each titled with its date and in the same series."""
    policy.require(by, "meetings.manage", forum)
    if every not in ("week", "month"):
        raise ValidationError({"every": [_("Repeat every week or every month.")]})
    if not 1 <= count <= MAX_SERIES:
        raise ValidationError({"count": [_("Plan 1 to %(n)s meetings at a time.") % {"n": MAX_SERIES}]})
    length = data.ends_at - data.starts_at if data.ends_at else None
    meetings = []
    with transaction.atomic():
        for step in range(count):
            starts = _shifted(data.starts_at, every, step)
            title = data.title if count == 1 else f"{data.title} {timezone.localtime(starts):%Y-%m-%d}"[:200]
            meetings.append(
                meeting_create(
                    forum=forum,
                    data=dataclasses.replace(
                        data, title=title, starts_at=starts, ends_at=starts + length if length else None
                    ),
                    by=by,
                )
            )
    return meetings


def meeting_update(*, meeting: Meeting, data: MeetingInput, by: policy.Principal) -> Meeting:
    policy.require(by, "meetings.manage", meeting)
    _check_meeting(data)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        _require_draft(meeting)
        before = snapshot(meeting)
        for name, value in data.__dict__.items():
            setattr(meeting, name, value)
        meeting.full_clean()
        meeting.save()
        audit_record(
            by=by,
            event_type="meetings.meeting_updated",
            obj=meeting,
            organisation=_organisation_in(by, meeting.forum.county_id),
            before=before,
            after=snapshot(meeting),
        )
    return meeting


# Agenda and minutes ---------------------------------------------------------------------------


def agenda_item_add(
    *,
    meeting: Meeting,
    title: str,
    kind: str = ItemKind.INFORMATION,
    presenter: str = "",
    description: str = "",
    by: policy.Principal,
) -> AgendaItem:
    policy.require(by, "meetings.manage", meeting)
    _check_text("description", description)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        _require_draft(meeting)
        position = (meeting.items.aggregate(m=Max("position"))["m"] or 0) + 1
        item = AgendaItem(
            meeting=meeting, position=position, title=title, kind=kind, presenter=presenter, description=description
        )
        item.full_clean()
        item.save()
        _audit(by, "meetings.item_added", item, meeting.forum.county_id, position=position, title=title, kind=kind)
    return item


def agenda_item_update(
    *,
    item: AgendaItem,
    title: str,
    kind: str,
    presenter: str,
    description: str,
    minutes: str,
    by: policy.Principal,
) -> AgendaItem:
    """Change an item or write its minutes (while the minutes are a draft)."""
    policy.require(by, "meetings.manage", item)
    errors: dict[str, list[str]] = {}
    for field, text in (("description", description), ("minutes", minutes)):
        try:
            _check_text(field, text)
        except ValidationError as error:
            errors.update(error.message_dict)
    if len(minutes) > MAX_MINUTES:
        errors.setdefault("minutes", []).append(
            _("Minutes of one item are at most %(n)s characters.") % {"n": f"{MAX_MINUTES:,}".replace(",", " ")}
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _require_draft(_lock_meeting(item.meeting))
        before = snapshot(item, ["title", "kind", "presenter", "description", "minutes"])
        item.title, item.kind, item.presenter, item.description, item.minutes = (
            title,
            kind,
            presenter,
            description,
            minutes,
        )
        item.full_clean()
        item.save()
        audit_record(
            by=by,
            event_type="meetings.item_updated",
            obj=item,
            organisation=_organisation_in(by, item.meeting.forum.county_id),
            before=before,
            after=snapshot(item, ["title", "kind", "presenter", "description", "minutes"]),
        )
    return item


def agenda_document_add(*, item: AgendaItem, title: str, url: str, by: policy.Principal) -> AgendaDocument:
    policy.require(by, "meetings.manage", item)
    with transaction.atomic():
        _require_draft(_lock_meeting(item.meeting))
        document = AgendaDocument(item=item, title=title, url=url)
        document.full_clean()
        document.save()
        _audit(by, "meetings.document_added", item, item.meeting.forum.county_id, title=title, url=url)
    return document


# Attendance -----------------------------------------------------------------------------------


def attendance_add(
    *,
    meeting: Meeting,
    name: str,
    organisation: Organisation | None = None,
    status: str = AttendanceStatus.PRESENT,
    substitute_for: str = "",
    by: policy.Principal,
) -> Attendance:
    policy.require(by, "meetings.manage", meeting)
    if organisation is not None and organisation.county_id != meeting.forum.county_id:
        raise ValidationError({"organisation": [_("Choose an organisation of the forum's county.")]})
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        _require_draft(meeting)
        row = Attendance(
            meeting=meeting, name=name.strip(), organisation=organisation, status=status, substitute_for=substitute_for
        )
        row.full_clean()
        row.save()
        _audit(by, "meetings.attendance_added", meeting, meeting.forum.county_id, **snapshot(row))
    return row


def attendance_set(
    *, meeting: Meeting, changes: Sequence[tuple[int, str, str]], by: policy.Principal
) -> list[Attendance]:
    """Set (attendance id, status, substitute for) for rows of the meeting's list, all or nothing."""
    policy.require(by, "meetings.manage", meeting)
    valid = set(AttendanceStatus.values)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        _require_draft(meeting)
        rows = {row.pk: row for row in meeting.attendance.all()}
        errors: dict[str, list[str]] = {}
        changed = []
        for row_id, status, substitute_for in changes:
            row = rows.get(row_id)
            if row is None:
                errors.setdefault("attendance", []).append(
                    _("Row %(id)s is not on this meeting's list.") % {"id": row_id}
                )
                continue
            if status not in valid:
                errors.setdefault(f"status_{row_id}", []).append(
                    _("%(name)s: choose present, remote or absent.") % {"name": row.name}
                )
                continue
            if len(substitute_for) > 200:
                errors.setdefault(f"substitute_{row_id}", []).append(
                    _("%(name)s: the name stood in for is at most 200 characters.") % {"name": row.name}
                )
                continue
            if (row.status, row.substitute_for) != (status, substitute_for):
                row.status, row.substitute_for = status, substitute_for
                changed.append(row)
        if errors:
            raise ValidationError(errors)
        Attendance.objects.bulk_update(changed, ["status", "substitute_for"])
        if changed:
            _audit(
                by,
                "meetings.attendance_set",
                meeting,
                meeting.forum.county_id,
                rows={str(r.pk): [r.status, r.substitute_for] for r in changed},
            )
    return changed


# Decisions ------------------------------------------------------------------------------------


def decision_add(*, item: AgendaItem, text: str, by: policy.Principal) -> Decision:
    """A decision under an item, numbered next in its meeting (under the meeting's row lock, so
    two secretaries writing at once get different numbers)."""
    policy.require(by, "meetings.manage", item)
    text = text.strip()
    if not text:
        raise ValidationError({"text": [_("Write the decision.")]})
    _check_text("text", text)
    with transaction.atomic():
        meeting = _lock_meeting(item.meeting)
        _require_draft(meeting)
        number = (meeting.decisions.aggregate(m=Max("number"))["m"] or 0) + 1
        decision = Decision.objects.create(meeting=meeting, item=item, number=number, text=text)
        _audit(by, "meetings.decision_added", decision, meeting.forum.county_id, number=number, text=text)
    return decision


# Assignments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentInput:
    title: str
    description: str = ""
    owner_organisation: Organisation | None = None
    owner_person: User | None = None
    due_date: datetime.date | None = None
    due_meeting: Meeting | None = None
    decision: Decision | None = None


def assignment_create(*, item: AgendaItem, data: AssignmentInput, by: policy.Principal) -> Assignment:
    """An assignment given under an agenda item. One due by a meeting goes on that meeting's agenda."""
    policy.require(by, "meetings.manage", item)
    meeting = item.meeting
    errors: dict[str, list[str]] = {}
    if data.owner_organisation is None and data.owner_person is None:
        errors["owner"] = [_("Give the assignment to a person or an organisation.")]
    if data.owner_organisation and data.owner_organisation.county_id != meeting.forum.county_id:
        errors["owner_organisation"] = [_("Choose an organisation of the forum's county.")]
    if data.due_date is None and data.due_meeting is None:
        errors["due"] = [_("Give the assignment a due date or a meeting to report at.")]
    if data.due_meeting is not None and (
        data.due_meeting.forum_id != meeting.forum_id or data.due_meeting.starts_at <= meeting.starts_at
    ):
        errors["due_meeting"] = [_("Choose a later meeting of the same forum.")]
    if data.due_date is not None and data.due_date < meeting.date:
        errors["due_date"] = [_("The due date is before the meeting.")]
    if data.decision is not None and data.decision.meeting_id != meeting.pk:
        errors["decision"] = [_("Choose a decision of this meeting.")]
    try:
        _check_text("title", data.title)
        _check_text("description", data.description)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _require_draft(_lock_meeting(meeting))
        assignment = Assignment(forum=meeting.forum, meeting=meeting, item=item, **data.__dict__)
        assignment.full_clean()
        assignment.save()
        _audit(by, "meetings.assignment_created", assignment, meeting.forum.county_id, **snapshot(assignment))
        if data.due_meeting is not None:
            _follow_up_item(data.due_meeting, assignment, by)
    return assignment


def assignment_update_status(
    *, assignment: Assignment, status: str, note: str = "", by: policy.Principal
) -> Assignment:
    """The owner (or the secretary) reports progress: a new status, with an optional note."""
    policy.require(by, "meetings.update_assignment", assignment)
    if status not in AssignmentStatus.values:
        raise ValidationError({"status": [_("Choose one of the statuses.")]})
    _check_text("note", note)
    if len(note) > 2000:
        raise ValidationError({"note": [_("A note is at most 2 000 characters.")]})
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().select_related("forum").get(pk=assignment.pk)
        before = assignment.status
        assignment.status = status
        assignment.completed_at = timezone.now() if status == AssignmentStatus.DONE else None
        assignment.save(update_fields=["status", "completed_at"])
        AssignmentNote.objects.create(
            assignment=assignment, text=note.strip(), status_after=status, author_label=_label(by)
        )
        audit_record(
            by=by,
            event_type="meetings.assignment_status",
            obj=assignment,
            organisation=_organisation_in(by, assignment.forum.county_id),
            before={"status": before},
            after={"status": status, "note": note.strip()},
        )
    return assignment


def _follow_up_item(meeting: Meeting, assignment: Assignment, by: policy.Principal) -> AgendaItem | None:
    """Put an assignment on a meeting's agenda as an information item (once per meeting)."""
    if AgendaItem.objects.filter(meeting=meeting, assignment=assignment).exists():
        return None
    if current_version(meeting).status != MinutesStatus.DRAFT:
        return None
    position = (meeting.items.aggregate(m=Max("position"))["m"] or 0) + 1
    owner = assignment.owner_label
    item = AgendaItem.objects.create(
        meeting=meeting,
        position=position,
        title=(_("Follow-up: %(title)s") % {"title": assignment.title})[:200],
        kind=ItemKind.INFORMATION,
        presenter=owner[:200],
        assignment=assignment,
    )
    _audit(
        by,
        "meetings.follow_up_added",
        item,
        meeting.forum.county_id,
        assignment=assignment.pk,
        meeting=meeting.pk,
    )
    return item


def next_meeting(forum: Forum, now: datetime.datetime | None = None) -> Meeting | None:
    """The forum's next meeting: the first that has not started yet."""
    return forum.meetings.filter(starts_at__gte=now or timezone.now()).order_by("starts_at", "id").first()


def assignments_to_follow_up(meeting: Meeting, today: datetime.date | None = None) -> list[Assignment]:
    """The forum's open assignments that the meeting follows up: due by this meeting or by its day
    at the latest, or already overdue (`today`)."""
    today = today or timezone.localdate()
    day = meeting.date
    candidates = (
        Assignment.objects.filter(forum=meeting.forum, status__in=OPEN_ASSIGNMENT_STATUSES)
        .filter(Q(due_date__isnull=False) | Q(due_meeting__isnull=False))
        .exclude(meeting=meeting)
        .select_related("due_meeting", "owner_organisation", "owner_person")
    )
    chosen = []
    for assignment in candidates:
        deadline = assignment.deadline()
        if assignment.due_meeting_id == meeting.pk or (deadline is not None and (deadline <= day or deadline < today)):
            chosen.append(assignment)
    return chosen


def assignments_carry_over(
    *, forum: Forum, by: policy.Principal, now: datetime.datetime | None = None
) -> list[AgendaItem]:
    """Put every open assignment that is overdue, or due by the next meeting, on the next
    meeting's agenda (once). Runs when a meeting is created and daily (`manage.py
    meetings_carry_over`)."""
    with transaction.atomic():
        meeting = next_meeting(forum, now)
        if meeting is None:
            return []
        today = timezone.localtime(now).date() if now else timezone.localdate()
        added = [_follow_up_item(meeting, a, by) for a in assignments_to_follow_up(meeting, today)]
    return [item for item in added if item is not None]


# Approval of the minutes ----------------------------------------------------------------------


def minutes_send_for_approval(*, meeting: Meeting, by: policy.Principal) -> MinutesVersion:
    """Freeze the draft: the text is stored with its hash and locked until approved or returned."""
    policy.require(by, "meetings.manage", meeting)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        version = _require_draft(meeting)
        errors = []
        if meeting.chair_id is None or meeting.checker_id is None:
            errors.append(_("Name the chair and the minutes checker first."))
        if not meeting.items.exists():
            errors.append(_("The minutes have no agenda items."))
        if errors:
            raise ValidationError(errors)
        content = minutes_content(meeting)
        version.content, version.content_hash = content, content_hash(content)
        version.status, version.sent_at = MinutesStatus.FOR_APPROVAL, timezone.now()
        version.save(update_fields=["content", "content_hash", "status", "sent_at"])
        _audit(
            by,
            "meetings.minutes_sent_for_approval",
            version,
            meeting.forum.county_id,
            version=version.number,
            content_hash=version.content_hash,
        )
        signers = [u for u in (meeting.chair, meeting.checker) if u is not None]
        notify(
            users=signers,
            text=_("The minutes of %(meeting)s are ready for your approval.") % {"meeting": meeting.title},
            url=reverse("meetings:meeting", kwargs={"meeting_id": meeting.pk}),
            by=by,
        )
    return version


def minutes_return_to_draft(*, meeting: Meeting, by: policy.Principal) -> MinutesVersion:
    """Unlock minutes sent for approval (before both have signed); signatures given so far lapse."""
    policy.require(by, "meetings.manage", meeting)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        version = current_version(meeting)
        if version.status != MinutesStatus.FOR_APPROVAL:
            raise ValidationError(_("Only minutes waiting for approval can be returned to draft."))
        lapsed = list(version.signatures.values_list("signer_label", "role"))
        version.signatures.all().delete()
        version.status, version.sent_at, version.content, version.content_hash = MinutesStatus.DRAFT, None, None, ""
        version.save(update_fields=["status", "sent_at", "content", "content_hash"])
        _audit(by, "meetings.minutes_returned", version, meeting.forum.county_id, lapsed_signatures=lapsed)
    return version


def _signer_roles(meeting: Meeting, by: policy.Principal) -> list[str]:
    roles: list[str] = []
    if isinstance(by, User) and meeting.chair_id == by.pk:
        roles.append(SignerRole.CHAIR)
    if isinstance(by, User) and meeting.checker_id == by.pk:
        roles.append(SignerRole.CHECKER)
    return roles


def minutes_sign(*, meeting: Meeting, code: str, by: policy.Principal) -> MinutesVersion:
    """The chair or the checker approves the minutes waiting for approval, confirming with the
    current code of their authenticator. When both have, the version is approved (and the
    version it corrects superseded)."""
    policy.require(by, "meetings.sign", meeting)
    if not isinstance(by, User):
        raise PermissionDenied("meetings.sign")
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        version = current_version(meeting)
        if version.status != MinutesStatus.FOR_APPROVAL:
            raise ValidationError(_("These minutes are not waiting for approval."))
        signed = set(version.signatures.values_list("role", flat=True))
        mine = _signer_roles(meeting, by)
        if not mine:
            raise ValidationError(_("Only the meeting's chair and minutes checker approve its minutes."))
        roles = [r for r in mine if r not in signed]
        if not roles:
            raise ValidationError(_("You have already approved these minutes."))
        devices = list(TOTPDevice.objects.devices_for_user(by, confirmed=True))
        if not devices:
            raise ValidationError(
                {"code": [_("Approving minutes needs an authenticator app. Set one up first (Account).")]}
            )
        wait = secondfactor.wait_seconds(devices)
        if wait:
            raise ValidationError({"code": [secondfactor.wait_message(wait)]})
        if not any(device.verify_token((code or "").strip()) for device in devices):
            raise ValidationError({"code": [_("The code is wrong or has expired. Give the current six-digit code.")]})
        role = roles[0]
        MinutesSignature.objects.create(
            version=version,
            role=role,
            signer=by,
            signer_label=_label(by),
            content_hash=version.content_hash,
            second_factor=True,
        )
        _audit(
            by,
            "meetings.minutes_signed",
            version,
            meeting.forum.county_id,
            role=role,
            version=version.number,
            content_hash=version.content_hash,
        )
        if {*signed, role} >= {SignerRole.CHAIR, SignerRole.CHECKER}:
            version.status, version.approved_at = MinutesStatus.APPROVED, timezone.now()
            version.save(update_fields=["status", "approved_at"])
            if version.corrects_id:
                MinutesVersion.objects.filter(pk=version.corrects_id).update(status=MinutesStatus.SUPERSEDED)
            _audit(by, "meetings.minutes_approved", version, meeting.forum.county_id, version=version.number)
    return version


def minutes_correct(*, meeting: Meeting, reason: str, by: policy.Principal) -> MinutesVersion:
    """Open a correction of approved minutes: a new draft version linked to the approved one."""
    policy.require(by, "meetings.manage", meeting)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the approved minutes are corrected.")]})
    _check_text("reason", reason)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        version = current_version(meeting)
        if version.status != MinutesStatus.APPROVED:
            raise ValidationError(_("Only approved minutes are corrected in a new version; edit the draft instead."))
        correction = MinutesVersion.objects.create(
            meeting=meeting, number=version.number + 1, corrects=version, reason=reason[:1000]
        )
        _audit(
            by,
            "meetings.minutes_correction_opened",
            correction,
            meeting.forum.county_id,
            corrects=version.number,
            reason=reason,
        )
    return correction


def approved_version(meeting: Meeting) -> MinutesVersion | None:
    return meeting.minutes_versions.filter(status=MinutesStatus.APPROVED).order_by("-number").first()


def meeting_publish(*, meeting: Meeting, by: policy.Principal) -> Meeting:
    """Publish approved minutes to the county and tell the forum's members."""
    policy.require(by, "meetings.manage", meeting)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        if approved_version(meeting) is None:
            raise ValidationError(_("Only approved minutes are published."))
        first = not meeting.is_published
        meeting.is_published, meeting.published_at = True, timezone.now()
        meeting.save(update_fields=["is_published", "published_at"])
        _audit(by, "meetings.minutes_published", meeting, meeting.forum.county_id)
        if first:
            member_organisations = meeting.forum.members.values_list("organisation_id", flat=True)
            people = User.objects.filter(
                Q(pk__in=meeting.forum.people.values_list("user_id", flat=True))
                | Q(memberships__organisation_id__in=member_organisations),
                is_active=True,
            ).distinct()
            notify(
                users=list(people),
                text=_("The approved minutes of %(meeting)s are published.") % {"meeting": meeting.title},
                url=reverse("meetings:meeting", kwargs={"meeting_id": meeting.pk}),
                by=by,
            )
    return meeting


# Status trackers ------------------------------------------------------------------------------


def tracker_create(
    *, county: County, question: str, options: Sequence[str], forum: Forum | None = None, by: policy.Principal
) -> Tracker:
    """A question to every municipality of the county, with the statuses to answer with."""
    policy.require(by, "meetings.manage", policy.Place(county=county.code))
    cleaned = [o.strip() for o in options if o.strip()]
    errors: dict[str, list[str]] = {}
    if not question.strip():
        errors["question"] = [_("Write the question.")]
    if len(cleaned) < 2 or len(cleaned) > 10 or len(set(cleaned)) != len(cleaned):
        errors["options"] = [_("Give 2 to 10 different statuses, one a line.")]
    elif any(len(o) > 100 for o in cleaned):
        errors["options"] = [_("A status is at most 100 characters.")]
    if forum is not None and forum.county_id != county.code:
        errors["forum"] = [_("Choose a forum of the county.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        tracker = Tracker.objects.create(county=county, forum=forum, question=question.strip(), options=cleaned)
        audit_record(
            by=by,
            event_type="meetings.tracker_created",
            obj=tracker,
            organisation=_organisation_in(by, county.code),
            after={"question": tracker.question, "options": cleaned},
        )
    return tracker


def tracker_municipalities(tracker: Tracker) -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            county_id=tracker.county_id, kind=OrganisationKind.MUNICIPALITY, is_active=True
        ).order_by("name")
    )


def tracker_answer(
    *,
    tracker: Tracker,
    organisation: Organisation,
    status: str,
    as_of: datetime.date,
    comment: str = "",
    by: policy.Principal,
) -> TrackerAnswer:
    """A municipality's status on a date (its coordinators answer, or the county's secretary)."""
    policy.require(by, "meetings.answer_tracker", organisation)
    errors: dict[str, list[str]] = {}
    if organisation.county_id != tracker.county_id or organisation.kind != OrganisationKind.MUNICIPALITY:
        errors["organisation"] = [_("The question is asked of the county's municipalities.")]
    if status not in tracker.options:
        errors["status"] = [_("Choose one of: %(options)s.") % {"options": ", ".join(tracker.options)}]
    if as_of > timezone.localdate():
        errors["as_of"] = [_("The date is in the future.")]
    if not tracker.is_open:
        errors["status"] = [_("The question is closed.")]
    if errors:
        raise ValidationError(errors)
    _check_text("comment", comment)
    with transaction.atomic():
        answer = TrackerAnswer.objects.create(
            tracker=tracker,
            organisation=organisation,
            status=status,
            as_of=as_of,
            comment=comment.strip()[:500],
            answered_by=_label(by),
        )
        audit_record(
            by=by,
            event_type="meetings.tracker_answered",
            obj=tracker,
            organisation=organisation,
            after={"status": status, "as_of": as_of, "comment": answer.comment},
        )
    return answer


def tracker_latest(tracker: Tracker) -> dict[int, TrackerAnswer]:
    """The latest answer per municipality (organisation id)."""
    latest: dict[int, TrackerAnswer] = {}
    for answer in tracker.answers.order_by("organisation_id", "-answered_at", "-id"):
        latest.setdefault(answer.organisation_id, answer)
    return latest


def tracker_remind(*, tracker: Tracker, by: policy.Principal) -> int:
    """Remind the coordinators of the municipalities that have not answered; returns how many
    municipalities were reminded."""
    policy.require(by, "meetings.manage", tracker)
    with transaction.atomic():
        answered = set(tracker_latest(tracker))
        silent = [o for o in tracker_municipalities(tracker) if o.pk not in answered]
        coordinators = User.objects.filter(
            memberships__organisation__in=silent,
            memberships__role=Role.MUNICIPAL_COORDINATOR,
            is_active=True,
        ).distinct()
        notify(
            users=list(coordinators),
            text=_("Please answer: %(question)s") % {"question": tracker.question},
            url=reverse("meetings:tracker", kwargs={"tracker_id": tracker.pk}),
            by=by,
        )
        tracker.reminded_at = timezone.now()
        tracker.save(update_fields=["reminded_at"])
        audit_record(
            by=by,
            event_type="meetings.tracker_reminded",
            obj=tracker,
            organisation=_organisation_in(by, tracker.county_id),
            after={"municipalities": [o.pk for o in silent]},
        )
    return len(silent)


# Cost sharing ---------------------------------------------------------------------------------


def shared_cost_create(
    *,
    forum: Forum,
    description: str,
    amount_ore: int,
    region_share: Fraction,
    method: str,
    by: policy.Principal,
) -> SharedCost:
    """Share a cost between the county's region and the forum's member municipalities by the key
    (docs/architecture.md; the arithmetic in meetings/sharing.py)."""
    policy.require(by, "meetings.manage", forum)
    errors: dict[str, list[str]] = {}
    if not description.strip():
        errors["description"] = [_("Say what the cost is for.")]
    if amount_ore <= 0 or amount_ore > 10**14:
        errors["amount"] = [_("The amount is more than 0 and at most 1 000 000 000 000 kronor.")]
    if not 0 <= region_share <= 1:
        errors["region_share"] = [_("The region's share is between 0 and 1, e.g. 5/6.")]
    if method not in SplitMethod.values:
        errors["method"] = [_("Split by population or equally.")]
    region = Organisation.objects.filter(county_id=forum.county_id, kind=OrganisationKind.REGION).first()
    members = list(
        Organisation.objects.filter(
            pk__in=forum.members.values_list("organisation_id", flat=True), kind=OrganisationKind.MUNICIPALITY
        )
        .select_related("municipality")
        .order_by("municipality_id")
    )
    if region is None:
        errors["region_share"] = [_("The county has no region organisation.")]
    if region_share < 1 and not members:
        errors["method"] = [_("The forum has no member municipalities to share the rest.")]
    if errors:
        raise ValidationError(errors)
    assert region is not None  # noqa: S101 - checked above
    parties = [
        sharing.Party(o.municipality_id or o.code, o.municipality.population if o.municipality else 0) for o in members
    ]
    try:
        split = sharing.split_cost(
            amount_ore, region_share, parties, "population" if method == SplitMethod.POPULATION else "equal"
        )
    except ValueError as problem:
        raise ValidationError({"method": [str(problem)]}) from None
    with transaction.atomic():
        cost = SharedCost.objects.create(
            forum=forum,
            description=description.strip(),
            amount_ore=amount_ore,
            region_numerator=region_share.numerator,
            region_denominator=region_share.denominator,
            method=method,
            population_year=max((o.municipality.population_year for o in members if o.municipality), default=None)
            if method == SplitMethod.POPULATION
            else None,
        )
        lines = [SharedCostLine(cost=cost, organisation=region, amount_ore=split.region)]
        lines += [
            SharedCostLine(
                cost=cost,
                organisation=o,
                population=party.population if method == SplitMethod.POPULATION else None,
                amount_ore=split.municipalities[party.key],
            )
            for o, party in zip(members, parties, strict=True)
        ]
        SharedCostLine.objects.bulk_create(lines)
        _audit(
            by,
            "meetings.cost_shared",
            forum,
            forum.county_id,
            cost=cost.pk,
            amount_ore=amount_ore,
            region_share=f"{region_share.numerator}/{region_share.denominator}",
            method=method,
            shares={line.organisation.code: line.amount_ore for line in lines},
        )
    return cost


# Funding rounds -------------------------------------------------------------------------------


def funding_round_create(
    *,
    forum: Forum,
    name: str,
    budget: int,
    criteria: str = "",
    closes_on: datetime.date | None = None,
    by: policy.Principal,
) -> FundingRound:
    policy.require(by, "meetings.manage", forum)
    if budget <= 0 or budget > 10**12:
        raise ValidationError({"budget": [_("The budget is more than 0 and at most 1 000 000 000 000 kronor.")]})
    with transaction.atomic():
        funding = FundingRound(forum=forum, name=name.strip(), budget=budget, criteria=criteria, closes_on=closes_on)
        funding.full_clean()
        funding.save()
        _audit(
            by,
            "meetings.funding_round_created",
            forum,
            forum.county_id,
            round=funding.pk,
            name=funding.name,
            budget=budget,
        )
    return funding


@dataclass(frozen=True)
class ApplicationInput:
    organisation: Organisation
    project: str
    amount: int
    starts_on: datetime.date
    ends_on: datetime.date
    description: str = ""


def funding_application_create(
    *, funding: FundingRound, data: ApplicationInput, by: policy.Principal
) -> FundingApplication:
    """An application for the round, by (or for) an organisation of the county."""
    policy.require(by, "meetings.apply_for_funds", data.organisation)
    errors: dict[str, list[str]] = {}
    if data.organisation.county_id != funding.forum.county_id:
        errors["organisation"] = [_("Choose an organisation of the forum's county.")]
    if data.amount <= 0:
        errors["amount"] = [_("Apply for more than 0 kronor.")]
    elif data.amount > funding.budget:
        errors["amount"] = [_("The amount is more than the round's whole budget.")]
    if data.ends_on < data.starts_on:
        errors["ends_on"] = [_("The project ends before it starts.")]
    if funding.closes_on and timezone.localdate() > funding.closes_on:
        errors["project"] = [_("The round closed on %(day)s.") % {"day": funding.closes_on.isoformat()}]
    if errors:
        raise ValidationError(errors)
    _check_text("description", data.description)
    with transaction.atomic():
        application = FundingApplication(round=funding, **data.__dict__)
        application.full_clean()
        application.save()
        audit_record(
            by=by,
            event_type="meetings.funding_applied",
            obj=application,
            organisation=data.organisation,
            after=snapshot(application, ["project", "amount", "starts_on", "ends_on"]),
        )
    return application


def funding_granted_total(funding: FundingRound) -> int:
    return int(funding.applications.aggregate(total=Sum("granted"))["total"] or 0)


def funding_application_decide(
    *,
    application: FundingApplication,
    decision: str,
    granted: int,
    assessment: str = "",
    forum_decision: Decision | None = None,
    by: policy.Principal,
) -> FundingApplication:
    """The forum's decision on an application. The round is locked while the total granted is
    checked against the budget, so two decisions at once cannot overspend it."""
    policy.require(by, "meetings.manage", application)
    errors: dict[str, list[str]] = {}
    if decision not in ApplicationDecision.values:
        errors["decision"] = [_("Choose a decision.")]
    expected = {
        ApplicationDecision.GRANTED: application.amount,
        ApplicationDecision.REJECTED: 0,
        ApplicationDecision.PENDING: 0,
    }
    if decision in expected and granted != expected[ApplicationDecision(decision)]:
        errors["granted"] = [_("Granted in full is the amount applied for; rejected or undecided is 0.")]
    if decision == ApplicationDecision.PARTLY and not 0 < granted < application.amount:
        errors["granted"] = [_("Partly granted is more than 0 and less than the amount applied for.")]
    if forum_decision is not None and forum_decision.meeting.forum_id != application.round.forum_id:
        errors["forum_decision"] = [_("Choose a decision of the same forum.")]
    if errors:
        raise ValidationError(errors)
    _check_text("assessment", assessment)
    with transaction.atomic():
        funding = FundingRound.objects.select_for_update().get(pk=application.round_id)
        application = FundingApplication.objects.select_for_update().get(pk=application.pk)
        others = funding_granted_total(funding) - application.granted
        if others + granted > funding.budget:
            raise ValidationError(
                {
                    "granted": [
                        _("That would grant %(total)s kronor of a budget of %(budget)s; %(left)s kronor are left.")
                        % {
                            "total": f"{others + granted:,}".replace(",", " "),
                            "budget": f"{funding.budget:,}".replace(",", " "),
                            "left": f"{funding.budget - others:,}".replace(",", " "),
                        }
                    ]
                }
            )
        before = snapshot(application, ["decision", "granted", "assessment"])
        application.decision, application.granted, application.assessment = decision, granted, assessment
        application.forum_decision = forum_decision
        application.decided_at = timezone.now() if decision != ApplicationDecision.PENDING else None
        application.save()
        audit_record(
            by=by,
            event_type="meetings.funding_decided",
            obj=application,
            organisation=_organisation_in(by, funding.forum.county_id),
            before=before,
            after=snapshot(application, ["decision", "granted", "assessment"]),
        )
    return application
