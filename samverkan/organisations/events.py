"""Human labels of the audit event types this app writes, shown on the home and review pages
(`audit.events.event_label`). Every event type written in the code needs one here:
tests/test_event_labels.py fails otherwise."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "organisations.membership_changed": _("Membership changed"),
    "organisations.membership_created": _("Membership added"),
    "organisations.membership_removed": _("Membership removed"),
    "organisations.organisation_changed": _("Organisation changed"),
    "organisations.organisation_created": _("Organisation created"),
    "organisations.reference_data_loaded": _("Reference data loaded"),
    "organisations.unit_changed": _("Unit changed"),
    "organisations.unit_created": _("Unit created"),
}
