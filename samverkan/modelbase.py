"""Fields that several apps' models define the same way, once (abstract models: no table of
their own, so an app that inherits one gets exactly the columns it had; docs/architecture.md,
"The layout of an app").

Only fields that are the same in name, type, label and meaning are here. A model whose field
means something else under the same name keeps its own: a loan request's `created_at` is
labelled "requested", a staff request's "submitted", and every `status` has its app's choices.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Created(models.Model):
    """When the row was made."""

    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        abstract = True


class CreatedBy(models.Model):
    """Who made the row: the person (`by` when it is a `User`, else empty: an API key or the
    system, whose label the audit row keeps)."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        abstract = True


class HistoryEntry(models.Model):
    """One line of a row's visible history (a place request's, an item's, a staff request's):
    what was done, by whom (a label, kept when the person is removed), when. The audit trail
    proper is audit's `AuditEvent`; this is what the row's own page shows."""

    action = models.CharField(_("action"), max_length=30)
    actor_label = models.CharField(_("by"), max_length=200)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        abstract = True
