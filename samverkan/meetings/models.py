"""The collaboration forum: forums of a county with their member organisations and people,
meetings, agenda items, attendance, minutes per item, numbered decisions, assignments with
deadlines, and the approval of the minutes as signed, locked versions.

Who may see and do what is the policy's (organisations/policy.py, the "meetings" block): a
forum's meetings, decisions and assignments are seen by its members (member organisations and
people) and the county's forum secretaries until the minutes are published, then by the whole
county."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samverkan.modelbase import Created
from samverkan.organisations.models import County, Organisation
from samverkan.organisations.policy import PolicyQuerySet

USER = settings.AUTH_USER_MODEL


class Forum(Created):
    """A collaboration forum of a county: a managers' network, a chiefs' group, the county's
    collaboration group."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("description"), max_length=1000, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "name"]
        verbose_name = _("forum")
        verbose_name_plural = _("forums")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "name"],
                name="forum_unique_name",
                violation_error_message=_("The county already has a forum with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ForumMember(models.Model):
    """An organisation that is a member of a forum."""

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="members")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = _("member organisation")
        verbose_name_plural = _("member organisations")
        constraints = [models.UniqueConstraint(fields=["forum", "organisation"], name="forum_member_unique")]

    def __str__(self) -> str:
        return f"{self.forum}: {self.organisation}"


class ForumPerson(models.Model):
    """A person who sits in a forum (for an organisation, with a title such as chair)."""

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="people")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    title = models.CharField(_("title"), max_length=100, blank=True, help_text=_("For example chair or secretary."))

    class Meta:
        ordering = ["user__full_name"]
        verbose_name = _("forum member")
        verbose_name_plural = _("forum members")
        constraints = [models.UniqueConstraint(fields=["forum", "user"], name="forum_person_unique")]

    def __str__(self) -> str:
        return f"{self.forum}: {self.user}"


class Meeting(Created):
    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    remote_link = models.URLField(_("link for remote attendance"), max_length=500, blank=True)
    series = models.CharField(
        _("series"), max_length=100, blank=True, help_text=_("For example 'weekly during the pandemic'.")
    )
    chair = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("chair")
    )
    checker = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("minutes checker")
    )
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(
                name="meeting_ends_after_start",
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                violation_error_message=_("The meeting ends before it starts."),
            )
        ]
        indexes = [models.Index(fields=["forum", "starts_at"], name="meeting_forum_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def date(self) -> datetime.date:
        return timezone.localtime(self.starts_at).date()


class ItemKind(models.TextChoices):
    DECISION = "decision", _("Decision item")
    INFORMATION = "information", _("Information item")


class AgendaItem(models.Model):
    """One item on a meeting's agenda, with the minutes written for it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=ItemKind.choices, default=ItemKind.INFORMATION)
    presenter = models.CharField(_("presenter"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=2000, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    # A follow-up of an assignment, put on the agenda automatically (services.assignments_carry_over).
    assignment = models.ForeignKey(
        "Assignment", on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups"
    )

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["meeting_id", "position", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "assignment"],
                condition=Q(assignment__isnull=False),
                name="agenda_item_one_follow_up_per_meeting",
            )
        ]

    def __str__(self) -> str:
        return f"§{self.position} {self.title}"


class AgendaDocument(models.Model):
    """A document for an agenda item: a title and a link to where it is kept."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), max_length=500)

    class Meta:
        ordering = ["id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    REMOTE = "remote", _("Remote")
    ABSENT = "absent", _("Absent")


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(
        _("attendance"), max_length=10, choices=AttendanceStatus.choices, default=AttendanceStatus.PRESENT
    )
    substitute_for = models.CharField(
        _("substitute for"), max_length=200, blank=True, help_text=_("The member this person stands in for.")
    )

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "name"],
                name="attendance_unique_name",
                violation_error_message=_("This person is already on the list."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"


class Decision(Created):
    """A decision, numbered per meeting: "The forum decided: that …"."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="decisions")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("decision"))

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-meeting__starts_at", "number"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [models.UniqueConstraint(fields=["meeting", "number"], name="decision_unique_number")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.text[:60]}"

    @property
    def reference(self) -> str:
        """How the decision is cited: the meeting's date and the decision's number."""
        return f"{self.meeting.date:%Y-%m-%d} § {self.number}"


class AssignmentStatus(models.TextChoices):
    OPEN = "open", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ASSIGNMENT_STATUSES = (AssignmentStatus.OPEN, AssignmentStatus.IN_PROGRESS)


class Assignment(Created):
    """A task the forum gives a person or an organisation, due on a date or by a meeting."""

    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="assignments")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="assignments_given")
    item = models.ForeignKey(AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decision = models.ForeignKey(Decision, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(_("assignment"), max_length=300)
    description = models.CharField(_("description"), max_length=2000, blank=True)
    owner_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    owner_person = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("person")
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    due_meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments_due",
        verbose_name=_("by meeting"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.OPEN
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.CheckConstraint(
                name="assignment_has_owner",
                condition=Q(owner_organisation__isnull=False) | Q(owner_person__isnull=False),
                violation_error_message=_("Give the assignment to a person or an organisation."),
            ),
            models.CheckConstraint(
                name="assignment_has_deadline",
                condition=Q(due_date__isnull=False) | Q(due_meeting__isnull=False),
                violation_error_message=_("Give the assignment a due date or a meeting to report at."),
            ),
        ]
        indexes = [models.Index(fields=["forum", "status"], name="assignment_forum_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ASSIGNMENT_STATUSES

    def deadline(self) -> datetime.date | None:
        """The last day: the due date, or the day of the meeting it is due by (the earlier of both)."""
        days = [d for d in (self.due_date, self.due_meeting.date if self.due_meeting else None) if d is not None]
        return min(days) if days else None

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        """Open after its last day."""
        deadline = self.deadline()
        return self.is_open and deadline is not None and deadline < (today or timezone.localdate())

    @property
    def owner_label(self) -> str:
        parts = [p for p in (self.owner_person.get_full_name() if self.owner_person else "",) if p]
        if self.owner_organisation:
            parts.append(self.owner_organisation.name)
        return ", ".join(parts)


class AssignmentNote(models.Model):
    """A note on an assignment's progress (with the status it was given then)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="notes")
    text = models.CharField(_("note"), max_length=2000)
    status_after = models.CharField(_("status"), max_length=12, choices=AssignmentStatus.choices)
    author_label = models.CharField(_("by"), max_length=200)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return self.text[:60]


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FOR_APPROVAL = "for_approval", _("For approval")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded by a correction")


class MinutesVersion(Created):
    """One version of a meeting's minutes. Version 1 is written during the meeting; it is sent
    for approval (then locked), signed by the chair and the checker and so approved. A correction
    opens a new version linked to the approved one, which then needs its own approval; the text
    each approval concerned is kept (`content`, `content_hash`)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="minutes_versions")
    number = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT)
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="correction", verbose_name=_("corrects")
    )
    reason = models.CharField(_("reason for the correction"), max_length=1000, blank=True)
    content = models.JSONField(_("content"), null=True, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent for approval"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["meeting_id", "number"]
        verbose_name = _("minutes version")
        verbose_name_plural = _("minutes versions")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="minutes_version_unique_number"),
            # At most one version of a meeting is not yet approved or superseded.
            models.UniqueConstraint(
                fields=["meeting"],
                condition=Q(status__in=["draft", "for_approval"]),
                name="minutes_version_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == MinutesStatus.DRAFT


class SignerRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    CHECKER = "checker", _("Minutes checker")


class MinutesSignature(models.Model):
    """An approval of one version of the minutes: who, in which role, when, of which text, and
    that a code from the signer's authenticator was given at that moment."""

    version = models.ForeignKey(MinutesVersion, on_delete=models.PROTECT, related_name="signatures")
    role = models.CharField(_("role"), max_length=10, choices=SignerRole.choices)
    signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signer_label = models.CharField(_("signed by"), max_length=200)
    signed_at = models.DateTimeField(_("signed"), default=timezone.now)
    content_hash = models.CharField(_("content hash"), max_length=64)
    second_factor = models.BooleanField(_("authenticator code given"), default=False)

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [models.UniqueConstraint(fields=["version", "role"], name="minutes_signature_one_per_role")]

    def __str__(self) -> str:
        return f"{self.version}: {self.signer_label} ({self.get_role_display()})"


# Status trackers ------------------------------------------------------------------------------


class Tracker(Created):
    """A question asked of every municipality of a county, answered with one of a short list of
    statuses and a date (e.g. "ready for digital care meetings": ready / almost / no data)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+")
    forum = models.ForeignKey(Forum, on_delete=models.SET_NULL, null=True, blank=True, related_name="trackers")
    question = models.CharField(_("question"), max_length=300)
    options = models.JSONField(_("statuses"), help_text=_("The answers to choose from, best first."))
    is_open = models.BooleanField(_("open for answers"), default=True)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("status tracker")
        verbose_name_plural = _("status trackers")

    def __str__(self) -> str:
        return self.question


class TrackerAnswer(models.Model):
    """A municipality's answer on a date. Answers are kept; the latest counts."""

    tracker = models.ForeignKey(Tracker, on_delete=models.CASCADE, related_name="answers")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=100)
    as_of = models.DateField(_("as of"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    answered_by = models.CharField(_("answered by"), max_length=200)
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [models.Index(fields=["tracker", "organisation", "-answered_at"], name="tracker_answer_latest")]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.status}"


# Cost sharing ---------------------------------------------------------------------------------


class SplitMethod(models.TextChoices):
    POPULATION = "population", _("By population")
    EQUAL = "equal", _("Equally")


class SharedCost(Created):
    """A cost the forum shares (consultant support, a joint meeting) by a key: a fixed share for
    the region, the rest among the member municipalities by population or equally. The amounts
    per organisation are computed once (meetings/sharing.py) and kept with the populations used."""

    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="shared_costs")
    description = models.CharField(_("what"), max_length=300)
    amount_ore = models.BigIntegerField(_("amount (öre)"))
    region_numerator = models.PositiveIntegerField(_("region's share, numerator"))
    region_denominator = models.PositiveIntegerField(_("region's share, denominator"))
    method = models.CharField(_("municipalities split"), max_length=12, choices=SplitMethod.choices)
    population_year = models.PositiveSmallIntegerField(_("population year"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shared cost")
        verbose_name_plural = _("shared costs")
        constraints = [
            models.CheckConstraint(name="shared_cost_positive", condition=Q(amount_ore__gt=0)),
            models.CheckConstraint(
                name="shared_cost_share_within_one",
                condition=Q(region_denominator__gt=0) & Q(region_numerator__lte=models.F("region_denominator")),
            ),
        ]

    def __str__(self) -> str:
        return self.description


class SharedCostLine(models.Model):
    cost = models.ForeignKey(SharedCost, on_delete=models.CASCADE, related_name="lines")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    amount_ore = models.BigIntegerField(_("amount (öre)"))

    class Meta:
        ordering = ["-amount_ore", "organisation__name"]
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        constraints = [models.UniqueConstraint(fields=["cost", "organisation"], name="shared_cost_line_unique")]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.amount_ore / 100:.2f}"


# Funding rounds -------------------------------------------------------------------------------


class FundingRound(Created):
    """Development funds the forum allocates from applications, within a budget."""

    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="funding_rounds")
    name = models.CharField(_("name"), max_length=200)
    budget = models.PositiveBigIntegerField(_("budget (SEK)"))
    criteria = models.TextField(_("criteria"), blank=True)
    closes_on = models.DateField(_("last day to apply"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("funding round")
        verbose_name_plural = _("funding rounds")

    def __str__(self) -> str:
        return self.name


class ApplicationDecision(models.TextChoices):
    PENDING = "pending", _("Not decided")
    GRANTED = "granted", _("Granted")
    PARTLY = "partly", _("Partly granted")
    REJECTED = "rejected", _("Rejected")


class FundingApplication(models.Model):
    round = models.ForeignKey(FundingRound, on_delete=models.PROTECT, related_name="applications")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    project = models.CharField(_("project"), max_length=300)
    description = models.CharField(_("description"), max_length=3000, blank=True)
    amount = models.PositiveBigIntegerField(_("amount applied for (SEK)"))
    starts_on = models.DateField(_("project starts"))
    ends_on = models.DateField(_("project ends"))
    assessment = models.TextField(_("assessment"), blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=ApplicationDecision.choices, default=ApplicationDecision.PENDING
    )
    granted = models.PositiveBigIntegerField(_("granted (SEK)"), default=0)
    forum_decision = models.ForeignKey(
        Decision, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("forum decision")
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["round_id", "created_at", "id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.CheckConstraint(name="funding_application_period", condition=Q(ends_on__gte=models.F("starts_on"))),
            models.CheckConstraint(
                name="funding_application_granted_within", condition=Q(granted__lte=models.F("amount"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.project}"
