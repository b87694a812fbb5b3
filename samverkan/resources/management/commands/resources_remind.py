from django.core.management.base import BaseCommand

from samverkan.resources.services import loans_remind_overdue


class Command(BaseCommand):
    help = (
        "Remind the borrowers and lenders of every equipment loan past its last day (once a day per "
        "loan). Run it daily from cron or a timer."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{loans_remind_overdue()} overdue loans reminded.")
