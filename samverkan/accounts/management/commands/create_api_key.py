from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from samverkan.accounts import services
from samverkan.accounts.models import ApiKeyRole
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation


class Command(BaseCommand):
    help = "Create an API key for an organisation and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="Organisation code or municipality code.")
        parser.add_argument("--name", required=True, help="A label saying which system uses the key.")
        parser.add_argument(
            "--role",
            choices=ApiKeyRole.values,
            help="Rights the key acts with; must fit the organisation's kind (default: the one that does).",
        )

    def handle(self, *args, organisation, name, role, **options):
        found = (
            Organisation.objects.filter(code=organisation).first()
            or Organisation.objects.filter(municipality_id=organisation).first()
        )
        if found is None:
            raise CommandError(f"No organisation with code or municipality code {organisation!r}.")
        fitting = policy.api_key_roles(policy.SYSTEM, found)
        if role is None:
            if len(fitting) != 1:
                raise CommandError(
                    f"No key role fits {found.name} ({found.get_kind_display()}); keys are for regions and municipalities."
                )
            (role,) = fitting
        try:
            key, raw_key = services.api_key_create(organisation=found, name=name, role=role, by=policy.SYSTEM)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"API key {key.prefix} for {found.name} ({key.get_role_display()}), shown only now:")
        self.stdout.write(raw_key)
        self.stdout.write("Send it as: Authorization: Bearer <key>")
