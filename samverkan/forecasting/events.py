"""Human labels of the audit event types this app writes, shown on the home and review pages
(`audit.events.event_label`, once the event-label tables of issue 16 are in). Every event type
written in the code needs one here."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "forecasting.run_requested": _("Forecast run requested"),
    "forecasting.run_completed": _("Forecast run completed"),
    "forecasting.run_failed": _("Forecast run failed"),
    "forecasting.scenario_created": _("Scenario created"),
    "forecasting.scenario_deleted": _("Scenario deleted"),
}
