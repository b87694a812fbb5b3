"""Signals other apps listen to, so that flow need not know them."""

from django.dispatch import Signal

# Sent inside an import's transaction after it created or changed episodes (followup's stored
# monthly figures listen). Kwargs: source_county (the county of the source imported into) and
# touched (home municipality code → the earliest admission among the episodes created or changed,
# before or after the change; as daily.refresh_after_import gets it).
episodes_changed = Signal()
