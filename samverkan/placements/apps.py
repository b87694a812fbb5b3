from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacementsConfig(AppConfig):
    name = "samverkan.placements"
    verbose_name = _("Placements")

    def ready(self) -> None:
        from samverkan.placements import signals  # noqa: F401 - connects the escalation check
