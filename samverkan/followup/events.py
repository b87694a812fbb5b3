"""Human labels of the audit event types this app writes, shown on the home and review pages
(`audit.events.event_label`). Every event type written in the code needs one here:
tests/test_event_labels.py fails otherwise."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "followup.agreement_saved": _("Liability agreement saved"),
    "followup.day_rate_set": _("Day rate set"),
    "followup.dispute_answered": _("Dispute answered"),
    "followup.dispute_raised": _("Dispute raised"),
    "followup.indicator_target_set": _("Indicator target set"),
    "followup.statement_issued": _("Statement issued"),
}
