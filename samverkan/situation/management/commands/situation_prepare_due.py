from django.core.management.base import BaseCommand

from samverkan.situation.schedule import prepare_due


class Command(BaseCommand):
    help = (
        "Prepare the situation report draft of every county whose schedule is due (e.g. Thursdays 07:00). "
        "Run it every few minutes from cron or a timer; running it again changes nothing."
    )

    def handle(self, *args: object, **options: object) -> None:
        drafts = prepare_due()
        self.stdout.write(f"{len(drafts)} situation report drafts prepared.")
