"""Human labels of the audit event types this app writes, shown on the home and review pages
(`audit.events.event_label`). Every event type written in the code needs one here:
tests/test_event_labels.py fails otherwise."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "flow.column_layout_saved": _("Column layout saved"),
    "flow.episode_updated": _("Episode updated"),
    "flow.import_cancelled": _("Import cancelled"),
    "flow.import_checked": _("Import checked"),
    "flow.import_done": _("Import completed"),
    "flow.import_failed": _("Import failed"),
    "flow.import_mapped": _("Import columns mapped"),
    "flow.import_rejected": _("Import refused"),
    "flow.import_started": _("Import started"),
    "flow.source_created": _("Data source created"),
    "flow.upload_stored": _("File uploaded"),
}
