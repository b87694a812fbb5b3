"""Human labels of the audit event types this app writes, shown on the home and review pages
(`audit.events.event_label`). Every event type written in the code needs one here:
tests/test_event_labels.py fails otherwise."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "meetings.assignment_created": _("Assignment created"),
    "meetings.assignment_status": _("Assignment status changed"),
    "meetings.attendance_added": _("Attendance added"),
    "meetings.attendance_set": _("Attendance recorded"),
    "meetings.cost_shared": _("Cost shared"),
    "meetings.decision_added": _("Decision added"),
    "meetings.document_added": _("Document added"),
    "meetings.follow_up_added": _("Follow-up added"),
    "meetings.forum_created": _("Forum created"),
    "meetings.forum_person_added": _("Person added to forum"),
    "meetings.forum_person_removed": _("Person removed from forum"),
    "meetings.forum_updated": _("Forum changed"),
    "meetings.funding_applied": _("Funds applied for"),
    "meetings.funding_decided": _("Funding decided"),
    "meetings.funding_round_created": _("Funding round created"),
    "meetings.item_added": _("Agenda item added"),
    "meetings.item_updated": _("Agenda item changed"),
    "meetings.meeting_created": _("Meeting created"),
    "meetings.meeting_updated": _("Meeting changed"),
    "meetings.minutes_approved": _("Minutes approved"),
    "meetings.minutes_correction_opened": _("Minutes correction opened"),
    "meetings.minutes_published": _("Minutes published"),
    "meetings.minutes_returned": _("Minutes returned for changes"),
    "meetings.minutes_sent_for_approval": _("Minutes sent for approval"),
    "meetings.minutes_signed": _("Minutes signed"),
    "meetings.tracker_answered": _("Status question answered"),
    "meetings.tracker_created": _("Status question sent"),
    "meetings.tracker_reminded": _("Status question reminder sent"),
}
