"""Put overdue (and coming due) assignments on each forum's next meeting. Run daily from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from samverkan.meetings import services
from samverkan.meetings.models import Forum
from samverkan.organisations.policy import SYSTEM


class Command(BaseCommand):
    help = "Put open assignments that are overdue or due by then on each forum's next meeting."

    def handle(self, *args: Any, **options: Any) -> None:
        added = 0
        for forum in Forum.objects.all():
            added += len(services.assignments_carry_over(forum=forum, by=SYSTEM))
        self.stdout.write(f"{added} follow-up item(s) added.")
