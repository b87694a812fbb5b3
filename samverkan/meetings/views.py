"""Pages of the collaboration forum. Views call selectors and services; the policy decides."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from samverkan import limits, tables
from samverkan.accounts.models import User
from samverkan.meetings import exports, selectors, services
from samverkan.meetings.forms import (
    AnswerForm,
    ApplicationForm,
    AssignmentForm,
    AttendanceAddForm,
    CorrectionForm,
    DecideForm,
    DecisionForm,
    DocumentForm,
    ForumForm,
    ForumPersonForm,
    FundingRoundForm,
    ItemForm,
    MeetingForm,
    MinutesForm,
    SeriesForm,
    SharedCostForm,
    SignForm,
    StatusForm,
    TrackerForm,
    item_initial,
)
from samverkan.meetings.models import (
    AgendaItem,
    ApplicationDecision,
    Assignment,
    AssignmentStatus,
    AttendanceStatus,
    Decision,
    Forum,
    FundingRound,
    Meeting,
    MinutesStatus,
    SharedCost,
    Tracker,
)
from samverkan.organisations import policy
from samverkan.organisations.models import County, Organisation
from samverkan.organisations.selectors import county_of_page


def _flash(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _county_people(county: str) -> QuerySet[User]:
    return (
        User.objects.filter(memberships__organisation__county_id=county, is_active=True)
        .distinct()
        .order_by("full_name", "email")
    )


def _county_organisations(county: str) -> QuerySet[Organisation]:
    return Organisation.objects.filter(county_id=county, is_active=True).order_by("kind", "name")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    who = policy.actor_of(request)
    county = county_of_page(who, request.GET.get("county"), "meetings.view")
    return render(
        request,
        "meetings/index.html",
        {
            "county": get_object_or_404(County, code=county),
            "forums": selectors.forum_list(who, county=county),
            "mine": selectors.my_assignments(who)[:50],
            "may_create": policy.can(who, "meetings.manage", policy.Place(county=county)),
            "today": timezone.localdate(),
        },
    )


@login_required
def forum_new(request: HttpRequest) -> HttpResponse:
    who = policy.actor_of(request)
    county = county_of_page(who, request.GET.get("county") or request.POST.get("county"), "meetings.view")
    policy.require(who, "meetings.manage", policy.Place(county=county))
    form = ForumForm(request.POST or None, organisations=_county_organisations(county))
    if request.method == "POST" and form.is_valid():
        try:
            forum = services.forum_create(
                county=County.objects.get(code=county),
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                organisations=form.cleaned_data["organisations"],
                by=who,
            )
        except ValidationError as error:
            limits.errors_to_form(form, error)
        else:
            messages.success(request, _("The forum is created."))
            return redirect("meetings:forum", forum_id=forum.pk)
    return render(request, "meetings/forum_new.html", {"form": form, "county": county})


@login_required
def forum(request: HttpRequest, forum_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.forum_detail(who, forum_id)
    return render(
        request,
        "meetings/forum.html",
        {
            "forum": found,
            "members": found.members.select_related("organisation"),
            "people": found.people.select_related("user", "organisation"),
            "meetings": selectors.meeting_list(who, found),
            "next_meeting": services.next_meeting(found),
            "may_manage": policy.can(who, "meetings.manage", found),
            "person_form": ForumPersonForm(
                people=_county_people(found.county_id), organisations=_county_organisations(found.county_id)
            ),
        },
    )


@login_required
def forum_edit(request: HttpRequest, forum_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.forum_detail(who, forum_id)
    policy.require(who, "meetings.manage", found)
    form = ForumForm(
        request.POST or None,
        organisations=_county_organisations(found.county_id),
        initial={
            "name": found.name,
            "description": found.description,
            "organisations": list(found.members.values_list("organisation_id", flat=True)),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.forum_update(forum=found, by=who, **form.cleaned_data)
        except ValidationError as error:
            limits.errors_to_form(form, error)
        else:
            messages.success(request, _("The forum is saved."))
            return redirect("meetings:forum", forum_id=found.pk)
    return render(request, "meetings/forum_edit.html", {"form": form, "forum": found})


@login_required
@require_POST
def forum_person_remove(request: HttpRequest, forum_id: int, person_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.forum_detail(who, forum_id)
    person = get_object_or_404(found.people.select_related("forum"), pk=person_id)
    services.forum_person_remove(person=person, by=who)
    messages.success(request, _("The person no longer sits in the forum."))
    return redirect("meetings:forum", forum_id=found.pk)


@login_required
@require_POST
def forum_person_add(request: HttpRequest, forum_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.forum_detail(who, forum_id)
    policy.require(who, "meetings.manage", found)
    form = ForumPersonForm(
        request.POST, people=_county_people(found.county_id), organisations=_county_organisations(found.county_id)
    )
    if form.is_valid():
        services.forum_person_add(forum=found, by=who, **form.cleaned_data)
        messages.success(request, _("The person sits in the forum."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("meetings:forum", forum_id=found.pk)


@login_required
def meeting_new(request: HttpRequest, forum_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.forum_detail(who, forum_id)
    policy.require(who, "meetings.manage", found)
    form = MeetingForm(request.POST or None, people=_county_people(found.county_id))
    series = SeriesForm(request.POST or None, prefix="series")
    if request.method == "POST" and form.is_valid() and series.is_valid():
        try:
            created = services.meeting_series_create(
                forum=found,
                data=services.MeetingInput(**form.cleaned_data),
                by=who,
                **series.cleaned_data,
            )
        except ValidationError as error:
            limits.errors_to_form(form, error)
        else:
            messages.success(
                request,
                ngettext("One meeting is created.", "%(n)s meetings are created.", len(created)) % {"n": len(created)},
            )
            return redirect("meetings:meeting", meeting_id=created[0].pk)
    return render(
        request, "meetings/meeting_form.html", {"form": form, "series": series, "forum": found, "meeting": None}
    )


@login_required
def meeting_edit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    meeting = selectors.meeting_detail(who, meeting_id)
    policy.require(who, "meetings.manage", meeting)
    initial = {
        name: getattr(meeting, name)
        for name in ("title", "starts_at", "ends_at", "place", "remote_link", "series", "chair", "checker")
    }
    for name in ("starts_at", "ends_at"):
        if initial[name]:
            initial[name] = timezone.localtime(initial[name])
    form = MeetingForm(request.POST or None, initial=initial, people=_county_people(meeting.forum.county_id))
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(meeting=meeting, data=services.MeetingInput(**form.cleaned_data), by=who)
        except ValidationError as error:
            limits.errors_to_form(form, error)
        else:
            messages.success(request, _("The meeting is saved."))
            return redirect("meetings:meeting", meeting_id=meeting.pk)
    return render(request, "meetings/meeting_form.html", {"form": form, "forum": meeting.forum, "meeting": meeting})


@login_required
def meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.meeting_detail(who, meeting_id)
    version = services.current_version(found)
    may_manage = policy.can(who, "meetings.manage", found)
    may_sign = policy.can(who, "meetings.sign", found)
    signed_roles = set(version.signatures.values_list("role", flat=True))
    items = list(found.items.prefetch_related("decisions", "documents").select_related("assignment"))
    today = timezone.localdate()
    visible_assignments = set(selectors.assignments(who, forum=found.forum).values_list("pk", flat=True))
    return render(
        request,
        "meetings/meeting.html",
        {
            "meeting": found,
            "version": version,
            "versions": found.minutes_versions.prefetch_related("signatures").order_by("number"),
            "approved": services.approved_version(found),
            "editable": version.status == MinutesStatus.DRAFT,
            "items": items,
            "attendance": found.attendance.select_related("organisation"),
            "follow_ups": [
                (a, a.is_overdue(today))
                for a in services.assignments_to_follow_up(found, today)
                if a.pk in visible_assignments
            ],
            "given": Assignment.objects.filter(meeting=found).select_related(
                "owner_organisation", "owner_person", "due_meeting", "item"
            ),
            "may_manage": may_manage,
            "may_sign": may_sign and version.status == MinutesStatus.FOR_APPROVAL,
            "signed_roles": signed_roles,
            "sign_form": SignForm(),
            "correction_form": CorrectionForm(),
            "item_form": ItemForm(initial={"kind": "information"}, prefix="new"),
        },
    )


@login_required
@require_POST
def item_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.meeting_detail(who, meeting_id)
    form = ItemForm(request.POST, prefix="new")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("meetings:meeting", meeting_id=found.pk)
    try:
        services.agenda_item_add(meeting=found, by=who, **form.cleaned_data)
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, _("The item is added to the agenda."))
    return redirect("meetings:meeting", meeting_id=found.pk)


@login_required
def item(request: HttpRequest, item_id: int) -> HttpResponse:
    """An agenda item: its minutes, decisions, documents and assignments (forms while a draft)."""
    who = policy.actor_of(request)
    found = selectors.item_detail(who, item_id)
    meeting = found.meeting
    may_manage = policy.can(who, "meetings.manage", found)
    form = MinutesForm(request.POST or None, initial=item_initial(found))
    if request.method == "POST":
        policy.require(who, "meetings.manage", found)
        if form.is_valid():
            try:
                services.agenda_item_update(item=found, by=who, **form.cleaned_data)
            except ValidationError as error:
                limits.errors_to_form(form, error)
            else:
                messages.success(request, _("The minutes of the item are saved."))
                return redirect("meetings:item", item_id=found.pk)
    county = meeting.forum.county_id
    return render(
        request,
        "meetings/item.html",
        {
            "item": found,
            "meeting": meeting,
            "editable": services.current_version(meeting).status == MinutesStatus.DRAFT,
            "may_manage": may_manage,
            "form": form,
            "decision_form": DecisionForm(),
            "document_form": DocumentForm(),
            "assignment_form": _assignment_form(None, found, county),
            "assignments": Assignment.objects.filter(item=found).select_related(
                "owner_organisation", "owner_person", "due_meeting"
            ),
        },
    )


def _assignment_form(data: Any, item: AgendaItem, county: str) -> AssignmentForm:
    meeting = item.meeting
    return AssignmentForm(
        data,
        prefix="assignment",
        organisations=_county_organisations(county),
        people=_county_people(county),
        meetings=Meeting.objects.filter(forum=meeting.forum, starts_at__gt=meeting.starts_at).order_by("starts_at"),
    )


def _item_post(request: HttpRequest, item_id: int, call: Callable[[AgendaItem], Any], done: str) -> HttpResponse:
    found = selectors.item_detail(policy.actor_of(request), item_id)
    try:
        call(found)
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, done)
    return redirect("meetings:item", item_id=found.pk)


@login_required
@require_POST
def decision_add(request: HttpRequest, item_id: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    return _item_post(
        request,
        item_id,
        lambda found: services.decision_add(item=found, text=text, by=policy.actor_of(request)),
        _("The decision is recorded."),
    )


@login_required
@require_POST
def document_add(request: HttpRequest, item_id: int) -> HttpResponse:
    form = DocumentForm(request.POST)

    def call(found: AgendaItem) -> None:
        if not form.is_valid():
            raise ValidationError(" ".join(str(e) for errors in form.errors.values() for e in errors))
        services.agenda_document_add(item=found, by=policy.actor_of(request), **form.cleaned_data)

    return _item_post(request, item_id, call, _("The document is added."))


@login_required
def assignment_add(request: HttpRequest, item_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.item_detail(who, item_id)
    policy.require(who, "meetings.manage", found)
    form = _assignment_form(request.POST or None, found, found.meeting.forum.county_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_create(item=found, data=services.AssignmentInput(**form.cleaned_data), by=who)
        except ValidationError as error:
            limits.errors_to_form(form, error)
        else:
            messages.success(request, _("The assignment is given."))
            return redirect("meetings:item", item_id=found.pk)
    return render(request, "meetings/assignment_form.html", {"form": form, "item": found, "meeting": found.meeting})


@login_required
def attendance(request: HttpRequest, meeting_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.meeting_detail(who, meeting_id)
    policy.require(who, "meetings.manage", found)
    organisations = _county_organisations(found.forum.county_id)
    add_form = AttendanceAddForm(
        request.POST if "add" in request.POST else None, organisations=organisations, prefix="add"
    )
    rows = list(found.attendance.select_related("organisation"))
    if request.method == "POST":
        try:
            if "add" in request.POST:
                if add_form.is_valid():
                    services.attendance_add(meeting=found, by=who, **add_form.cleaned_data)
                    messages.success(request, _("The person is added to the list."))
                    return redirect("meetings:attendance", meeting_id=found.pk)
            else:
                changes = [
                    (
                        row.pk,
                        request.POST.get(f"status_{row.pk}", row.status),
                        request.POST.get(f"substitute_{row.pk}", row.substitute_for).strip(),
                    )
                    for row in rows
                ]
                services.attendance_set(meeting=found, changes=changes, by=who)
                messages.success(request, _("The attendance is saved."))
                return redirect("meetings:meeting", meeting_id=found.pk)
        except ValidationError as error:
            if "add" in request.POST:
                limits.errors_to_form(add_form, error)
            else:
                _flash(request, error)
    return render(
        request,
        "meetings/attendance.html",
        {"meeting": found, "rows": rows, "statuses": AttendanceStatus.choices, "add_form": add_form},
    )


@login_required
@require_POST
def minutes_action(request: HttpRequest, meeting_id: int, action: str) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.meeting_detail(who, meeting_id)
    calls: dict[str, tuple[Callable[[], Any], str]] = {
        "send": (
            lambda: services.minutes_send_for_approval(meeting=found, by=who),
            _("The minutes are sent for approval and locked."),
        ),
        "return": (
            lambda: services.minutes_return_to_draft(meeting=found, by=who),
            _("The minutes are a draft again."),
        ),
        "sign": (
            lambda: services.minutes_sign(meeting=found, code=request.POST.get("code", ""), by=who),
            _("You have approved the minutes."),
        ),
        "correct": (
            lambda: services.minutes_correct(meeting=found, reason=request.POST.get("reason", ""), by=who),
            _("A correction of the minutes is opened as a new version."),
        ),
        "publish": (lambda: services.meeting_publish(meeting=found, by=who), _("The minutes are published.")),
    }
    if action not in calls:
        raise Http404
    call, done = calls[action]
    try:
        call()
    except ValidationError as error:
        _flash(request, error)
    else:
        messages.success(request, done)
    return redirect("meetings:meeting", meeting_id=found.pk)


@login_required
def board(request: HttpRequest, forum_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.forum_detail(who, forum_id)
    return render(
        request,
        "meetings/board.html",
        {"forum": found, "columns": selectors.board(who, found), "today": timezone.localdate()},
    )


@login_required
def assignment(request: HttpRequest, assignment_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.assignment_detail(who, assignment_id)
    may_update = policy.can(who, "meetings.update_assignment", found)
    form = StatusForm(request.POST or None, initial={"status": found.status})
    if request.method == "POST":
        if not may_update:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.assignment_update_status(assignment=found, by=who, **form.cleaned_data)
            except ValidationError as error:
                limits.errors_to_form(form, error)
            else:
                messages.success(request, _("The assignment's status is saved."))
                return redirect("meetings:assignment", assignment_id=found.pk)
    return render(
        request,
        "meetings/assignment.html",
        {
            "assignment": found,
            "overdue": found.is_overdue(),
            "notes": found.notes.all(),
            "form": form if may_update else None,
            "statuses": AssignmentStatus,
        },
    )


@login_required
def decisions(request: HttpRequest) -> HttpResponse:
    who = policy.actor_of(request)
    county = county_of_page(who, request.GET.get("county"), "meetings.view")
    text = request.GET.get("q", "")[:200]
    found = selectors.decision_search(who, text=text, county=county)[:200]
    return render(
        request,
        "meetings/decisions.html",
        {"county": get_object_or_404(County, code=county), "q": text, "decisions": found},
    )


def _download(found: Meeting, data: bytes, extension: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    name = slugify(f"protokoll {found.date:%Y-%m-%d} {found.forum.name}")
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


@login_required
def minutes_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = selectors.meeting_detail(policy.actor_of(request), meeting_id)
    return _download(found, exports.minutes_pdf(found), "pdf", "application/pdf")


@login_required
def minutes_docx(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = selectors.meeting_detail(policy.actor_of(request), meeting_id)
    return _download(
        found,
        exports.minutes_docx(found),
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


# Status trackers ------------------------------------------------------------------------------


@login_required
def trackers(request: HttpRequest) -> HttpResponse:
    who = policy.actor_of(request)
    county = county_of_page(who, request.GET.get("county") or request.POST.get("county"), "meetings.view")
    may_create = policy.can(who, "meetings.manage", policy.Place(county=county))
    form = TrackerForm(request.POST or None)
    if request.method == "POST":
        policy.require(who, "meetings.manage", policy.Place(county=county))
        if form.is_valid():
            try:
                created = services.tracker_create(
                    county=County.objects.get(code=county),
                    question=form.cleaned_data["question"],
                    options=form.cleaned_data["options"].splitlines(),
                    by=who,
                )
            except ValidationError as error:
                limits.errors_to_form(form, error)
            else:
                messages.success(request, _("The question is sent to the county's municipalities."))
                return redirect("meetings:tracker", tracker_id=created.pk)
    return render(
        request,
        "meetings/trackers.html",
        {
            "county": get_object_or_404(County, code=county),
            "trackers": Tracker.objects.visible_to(who, "meetings.view_trackers").filter(county_id=county),
            "form": form if may_create else None,
        },
    )


def _tracker_rows(tracker: Tracker) -> list[dict[str, Any]]:
    latest = services.tracker_latest(tracker)
    return [{"organisation": o, "answer": latest.get(o.pk)} for o in services.tracker_municipalities(tracker)]


@login_required
def tracker(request: HttpRequest, tracker_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.tracker_detail(who, tracker_id)
    answerable = Organisation.objects.visible_to(who, "meetings.answer_tracker").filter(
        county_id=found.county_id, kind="municipality", is_active=True
    )
    form = AnswerForm(
        request.POST or None,
        organisations=answerable,
        options=found.options,
        initial={
            "as_of": timezone.localdate(),
            "organisation": answerable.first() if answerable.count() == 1 else None,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.tracker_answer(tracker=found, by=who, **form.cleaned_data)
        except ValidationError as error:
            limits.errors_to_form(form, error)
        else:
            messages.success(request, _("The answer is saved."))
            return redirect("meetings:tracker", tracker_id=found.pk)
    rows = _tracker_rows(found)
    counts = [
        (option, sum(1 for r in rows if r["answer"] and r["answer"].status == option)) for option in found.options
    ]
    return render(
        request,
        "meetings/tracker.html",
        {
            "tracker": found,
            "rows": rows,
            "counts": counts,
            "unanswered": sum(1 for r in rows if r["answer"] is None),
            "form": form if answerable.exists() else None,
            "may_remind": policy.can(who, "meetings.manage", found),
        },
    )


@login_required
@require_POST
def tracker_remind(request: HttpRequest, tracker_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.tracker_detail(who, tracker_id)
    reminded = services.tracker_remind(tracker=found, by=who)
    messages.success(request, _("%(n)s municipalities without an answer are reminded.") % {"n": reminded})
    return redirect("meetings:tracker", tracker_id=found.pk)


@login_required
def tracker_export(request: HttpRequest, tracker_id: int) -> HttpResponse:
    found = selectors.tracker_detail(policy.actor_of(request), tracker_id)
    header = [_("Municipality"), _("Status"), _("As of"), _("Comment"), _("Answered by")]
    rows = [
        [
            r["organisation"].name,
            *(
                [r["answer"].status, r["answer"].as_of.isoformat(), r["answer"].comment, r["answer"].answered_by]
                if r["answer"]
                else [_("No answer"), None, None, None]
            ),
        ]
        for r in _tracker_rows(found)
    ]
    return tables.download(tables.csv_text(header, rows), f"statusfraga-{found.pk}.csv")


# Cost sharing ---------------------------------------------------------------------------------


@login_required
def costs(request: HttpRequest, forum_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.forum_detail(who, forum_id)
    may_manage = policy.can(who, "meetings.manage", found)
    form = SharedCostForm(request.POST or None)
    if request.method == "POST":
        policy.require(who, "meetings.manage", found)
        if form.is_valid():
            data = form.cleaned_data
            try:
                cost = services.shared_cost_create(
                    forum=found,
                    description=data["description"],
                    amount_ore=int(data["amount"] * 100),
                    region_share=data["region_share"],
                    method=data["method"],
                    by=who,
                )
            except ValidationError as error:
                limits.errors_to_form(form, error)
            else:
                messages.success(request, _("The cost is shared."))
                return redirect("meetings:cost", cost_id=cost.pk)
    return render(
        request,
        "meetings/costs.html",
        {
            "forum": found,
            "costs": SharedCost.objects.visible_to(who, "meetings.view").filter(forum=found),
            "form": form if may_manage else None,
        },
    )


@login_required
def cost(request: HttpRequest, cost_id: int) -> HttpResponse:
    found = selectors.cost_detail(policy.actor_of(request), cost_id)
    lines = list(found.lines.select_related("organisation"))
    return render(
        request,
        "meetings/cost.html",
        {"cost": found, "lines": lines, "total": sum(line.amount_ore for line in lines)},
    )


@login_required
def cost_export(request: HttpRequest, cost_id: int, file_format: str) -> HttpResponse:
    found = selectors.cost_detail(policy.actor_of(request), cost_id)
    header = [_("Organisation"), _("Population"), _("Amount (kronor)")]
    rows = [
        [line.organisation.name, line.population, Decimal(line.amount_ore) / 100]
        for line in found.lines.select_related("organisation")
    ]
    rows.append([_("Total"), None, Decimal(found.amount_ore) / 100])
    name = slugify(f"kostnad {found.pk} {found.description}")[:80]
    if file_format == "xlsx":
        sheet = tables.Sheet(header=header, rows=rows, title=str(_("Shares")), frozen="A2")
        return tables.download(tables.xlsx_bytes([sheet]), f"{name}.xlsx")
    if file_format == "csv":
        return tables.download(tables.csv_text(header, rows), f"{name}.csv")
    raise Http404


# Funding rounds -------------------------------------------------------------------------------


@login_required
def funding_rounds(request: HttpRequest, forum_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.forum_detail(who, forum_id)
    may_manage = policy.can(who, "meetings.manage", found)
    form = FundingRoundForm(request.POST or None)
    if request.method == "POST":
        policy.require(who, "meetings.manage", found)
        if form.is_valid():
            try:
                created = services.funding_round_create(forum=found, by=who, **form.cleaned_data)
            except ValidationError as error:
                limits.errors_to_form(form, error)
            else:
                messages.success(request, _("The funding round is created."))
                return redirect("meetings:funding_round", round_id=created.pk)
    rounds = FundingRound.objects.visible_to(who, "meetings.view").filter(forum=found)
    return render(
        request,
        "meetings/funding_rounds.html",
        {
            "forum": found,
            "rounds": [(r, services.funding_granted_total(r)) for r in rounds],
            "form": form if may_manage else None,
        },
    )


@login_required
def funding_round(request: HttpRequest, round_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.funding_round_detail(who, round_id)
    applicants = Organisation.objects.visible_to(who, "meetings.apply_for_funds").filter(
        county_id=found.forum.county_id, is_active=True
    )
    form = ApplicationForm(request.POST or None, organisations=applicants)
    if request.method == "POST":
        if not applicants.exists():
            raise PermissionDenied
        if form.is_valid():
            try:
                services.funding_application_create(
                    funding=found, data=services.ApplicationInput(**form.cleaned_data), by=who
                )
            except ValidationError as error:
                limits.errors_to_form(form, error)
            else:
                messages.success(request, _("The application is received."))
                return redirect("meetings:funding_round", round_id=found.pk)
    applications = list(found.applications.select_related("organisation", "forum_decision"))
    granted = sum(a.granted for a in applications)
    may_manage = policy.can(who, "meetings.manage", found)
    return render(
        request,
        "meetings/funding_round.html",
        {
            "round": found,
            "applications": applications,
            "applied": sum(a.amount for a in applications),
            "granted": granted,
            "left": found.budget - granted,
            "form": form if applicants.exists() else None,
            "may_manage": may_manage,
            "decisions": ApplicationDecision.choices,
            "forum_decisions": _forum_decisions(request, found.forum)[:200] if may_manage else [],
        },
    )


def _forum_decisions(request: HttpRequest, forum: Forum) -> QuerySet[Decision]:
    return (
        Decision.objects.visible_to(policy.actor_of(request), "meetings.view")
        .filter(meeting__forum=forum)
        .select_related("meeting")
        .order_by("-meeting__starts_at", "number")
    )


@login_required
@require_POST
def application_decide(request: HttpRequest, application_id: int) -> HttpResponse:
    who = policy.actor_of(request)
    found = selectors.application_detail(who, application_id)
    policy.require(who, "meetings.manage", found)
    form = DecideForm(request.POST, decisions=_forum_decisions(request, found.round.forum))
    try:
        if not form.is_valid():
            raise ValidationError(" ".join(str(e) for errors in form.errors.values() for e in errors))
        services.funding_application_decide(application=found, by=who, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, f"{found.project}: " + " ".join(error.messages))
    else:
        messages.success(request, _("The decision on %(project)s is saved.") % {"project": found.project})
    return redirect("meetings:funding_round", round_id=found.round_id)


@login_required
def funding_export(request: HttpRequest, round_id: int) -> HttpResponse:
    found = selectors.funding_round_detail(policy.actor_of(request), round_id)
    header = [
        _("Organisation"),
        _("Project"),
        _("Project starts"),
        _("Project ends"),
        _("Amount applied for (kronor)"),
        _("Decision"),
        _("Granted (kronor)"),
    ]
    applications = list(found.applications.select_related("organisation"))
    rows: list[list[Any]] = [
        [a.organisation.name, a.project, a.starts_on, a.ends_on, a.amount, str(a.get_decision_display()), a.granted]
        for a in applications
    ]
    granted = sum(a.granted for a in applications)
    rows += [
        [_("Total"), None, None, None, sum(a.amount for a in applications), None, granted],
        [_("Budget"), None, None, None, None, None, found.budget],
        [_("Left"), None, None, None, None, None, found.budget - granted],
    ]
    sheet = tables.Sheet(header=header, rows=rows, title=found.name, frozen="A2")
    return tables.download(tables.xlsx_bytes([sheet]), f"{slugify(found.name)[:80] or 'medel'}.xlsx")
