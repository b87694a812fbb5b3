from django.core.management.base import BaseCommand, CommandError

from samverkan.accounts import services
from samverkan.accounts.models import ApiKey
from samverkan.organisations import policy


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (shown when it was created and on the API-key page)."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix, **options):
        key = ApiKey.objects.filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"No API key with prefix {prefix!r}.")
        services.api_key_revoke(api_key=key, by=policy.SYSTEM)
        self.stdout.write(f"Revoked API key {key.prefix} ({key.name}).")
