"""Signals other apps listen to, so that capacity need not know them."""

from django.dispatch import Signal

# Sent after a transaction that changed a county's capacity figures commits; kwarg: county_code.
capacity_changed = Signal()
