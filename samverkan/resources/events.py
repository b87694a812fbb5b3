"""Human labels of the audit event types this app writes, shown on the home and review pages
(`audit.events.event_label`). Every event type written in the code needs one here:
tests/test_event_labels.py fails otherwise."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "resources.equipment_type_created": _("Equipment type created"),
    "resources.item_created": _("Equipment item added"),
    "resources.item_updated": _("Equipment item changed"),
    "resources.loan_approved": _("Loan approved"),
    "resources.loan_reminded": _("Loan return reminder sent"),
    "resources.loan_requested": _("Loan requested"),
    "resources.loan_returned": _("Loan returned"),
    "resources.loan_approve": _("Loan approved"),
    "resources.loan_decline": _("Loan request declined"),
    "resources.loan_withdraw": _("Loan request withdrawn"),
    "resources.loan_return": _("Loan returned"),
    "resources.staff_decided": _("Staff request decided"),
    "resources.staff_proposed": _("Staff proposed"),
    "resources.staff_requested": _("Staff requested"),
    "resources.staff_withdrawn": _("Staff request withdrawn"),
    "resources.stock_reported": _("Stock reported"),
    "resources.supply_contact_created": _("Supply contact added"),
    "resources.supply_item_created": _("Supply item created"),
    "resources.supply_item_updated": _("Supply item changed"),
    "resources.supply_settings_updated": _("Supply settings changed"),
}
