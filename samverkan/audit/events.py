"""Human labels of audit event types ("placements.offer_created" -> "Platser erbjudna").

Each app keeps its own table, `LABELS` in `<app>/events.py`; this module finds it by the event
type's first part (the app's label) through Django's app registry, so audit imports no app (the
table is loaded by name, like Django loads an app's `models`). Changes made on the admin site (`<app>.<model>_created|_changed|_deleted`)
are named by the model. tests/test_event_labels.py checks that every event type the code writes
has a label."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.utils.translation import gettext as _

_ADMIN_ACTIONS = {
    "created": lambda model: _("Created on the admin site: %(model)s") % {"model": model},
    "changed": lambda model: _("Changed on the admin site: %(model)s") % {"model": model},
    "deleted": lambda model: _("Deleted on the admin site: %(model)s") % {"model": model},
}


def labels_of(app_label: str) -> dict[str, str]:
    """The label table of one app, `<app>/events.py`'s LABELS ({} for an app without one)."""
    try:
        config = apps.get_app_config(app_label)
    except LookupError:
        return {}
    try:
        module = importlib.import_module(f"{config.name}.events")
    except ModuleNotFoundError:
        return {}
    return dict(getattr(module, "LABELS", {}))


def event_label(event_type: str) -> str:
    """The label of an event type in the active language; the type itself when it has none."""
    app_label, _dot, name = event_type.partition(".")
    label = labels_of(app_label).get(event_type)
    if label is not None:
        return str(label)
    model_name, _sep, action = name.rpartition("_")
    if action in _ADMIN_ACTIONS and model_name:
        try:
            model = apps.get_model(app_label, model_name)
        except (LookupError, ValueError):
            return event_type
        return _ADMIN_ACTIONS[action](str(model._meta.verbose_name))
    return event_type
