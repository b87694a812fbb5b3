from django.dispatch import receiver

from samverkan.capacity import thresholds
from samverkan.capacity.signals import capacity_changed
from samverkan.placements.escalation import escalation_check, occupancy_thresholds

# The capacity overview colours units by the county's escalation plan (capacity/thresholds.py).
thresholds.register(occupancy_thresholds)


@receiver(capacity_changed)
def check_escalation_after_capacity_change(sender, county_code: str, **kwargs) -> None:
    escalation_check(county_code)
