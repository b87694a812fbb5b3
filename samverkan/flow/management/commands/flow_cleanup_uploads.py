from django.core.management.base import BaseCommand

from samverkan.flow import services
from samverkan.organisations import policy


class Command(BaseCommand):
    help = (
        "Delete uploaded episode files kept longer than IMPORT_UPLOAD_MAX_AGE_HOURS (abandoned column "
        "mappings, imports that never ran); their imports are marked cancelled. Run daily from cron."
    )

    def handle(self, *args, **options):
        deleted = services.stale_uploads_cancel(by=policy.SYSTEM)
        self.stdout.write(f"Deleted {deleted} stored upload(s).")
