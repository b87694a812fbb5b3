"""Human labels of the audit event types this app writes, shown on the home and review pages
(`audit.events.event_label`). Every event type written in the code needs one here:
tests/test_event_labels.py fails otherwise."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "capacity.places_released": _("Reserved places released"),
    "capacity.places_reserved": _("Places reserved"),
    "capacity.planned_change_cancelled": _("Planned change cancelled"),
    "capacity.planned_change_created": _("Planned change entered"),
    "capacity.report_corrected": _("Capacity report corrected"),
    "capacity.report_created": _("Capacity reported"),
    "capacity.schedule_changed": _("Reporting schedule changed"),
}
