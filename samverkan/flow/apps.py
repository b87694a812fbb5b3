from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowConfig(AppConfig):
    name = "samverkan.flow"
    verbose_name = _("Patient flow")
