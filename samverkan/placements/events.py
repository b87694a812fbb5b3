"""Human labels of the audit event types this app writes, shown on the home and review pages
(`audit.events.event_label`). Every event type written in the code needs one here:
tests/test_event_labels.py fails otherwise."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "placements.escalation_confirmed": _("Escalation step confirmed"),
    "placements.shortage_outlook_recorded": _("Shortage outlook recorded"),
    "placements.offer_created": _("Places offered"),
    "placements.offer_declined": _("Offer declined"),
    "placements.request_created": _("Place request created"),
    "placements.request_sent": _("Place request sent"),
    "placements.reservation_created": _("Places reserved for a request"),
    "placements.request_send": _("Place request sent"),
    "placements.request_withdraw": _("Place request withdrawn"),
    "placements.request_offer": _("Place request offered"),
    "placements.request_decline": _("Place request declined"),
    "placements.request_accept": _("Offer accepted"),
    "placements.request_decline_offer": _("Offer declined by the requester"),
    "placements.request_arrive": _("Patient arrived"),
    "placements.request_end": _("Stay ended"),
    "placements.request_expire": _("Place request expired"),
}
