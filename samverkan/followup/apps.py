from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "samverkan.followup"
    verbose_name = _("Discharge follow-up")

    def ready(self) -> None:
        from samverkan.flow import grace
        from samverkan.followup import selectors, signals  # noqa: F401 - connects the receivers

        # The flow statistics count grace days by the county's agreement (flow.grace).
        grace.register(selectors.agreements_of)
