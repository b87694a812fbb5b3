from django.dispatch import receiver

from samverkan.capacity.signals import capacity_changed
from samverkan.placements.escalation import escalation_check


@receiver(capacity_changed)
def check_escalation_after_capacity_change(sender, county_code: str, **kwargs) -> None:
    escalation_check(county_code)
