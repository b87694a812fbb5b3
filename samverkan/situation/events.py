"""Human labels of the audit event types this app writes, shown on the home and review pages
(`audit.events.event_label`). Every event type written in the code needs one here:
tests/test_event_labels.py fails otherwise."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "situation.figure_recorded": _("Epidemiology figures recorded"),
    "situation.indicator_created": _("Indicator created"),
    "situation.report_commented": _("Situation report commented"),
    "situation.report_correction_started": _("Situation report correction started"),
    "situation.report_discarded": _("Situation report draft discarded"),
    "situation.report_prepared": _("Situation report prepared"),
    "situation.report_prepared_again": _("Situation report prepared again"),
    "situation.report_published": _("Situation report published"),
    "situation.settings_saved": _("Situation report settings saved"),
    "situation.subscription_added": _("Subscription added"),
    "situation.subscription_ended": _("Subscription ended"),
}
