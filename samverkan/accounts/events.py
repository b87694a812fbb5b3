"""Human labels of the audit event types this app writes, shown on the home and review pages
(`audit.events.event_label`). Every event type written in the code needs one here:
tests/test_event_labels.py fails otherwise."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "accounts.api_key_created": _("API key created"),
    "accounts.api_key_revoked": _("API key revoked"),
    "accounts.enrolment_link_opened": _("Enrolment link opened"),
    "accounts.enrolment_link_sent": _("Enrolment link sent"),
    "accounts.login": _("Logged in"),
    "accounts.password_reset": _("Password reset"),
    "accounts.second_factor_enrolled": _("Authenticator app enrolled"),
    "accounts.user_created": _("User created"),
}
