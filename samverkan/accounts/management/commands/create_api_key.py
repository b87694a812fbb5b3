from django.core.management.base import BaseCommand, CommandError

from samverkan.accounts import services
from samverkan.accounts.models import ApiKeyRole
from samverkan.organisations.models import Organisation, OrganisationKind

DEFAULT_ROLE = {
    OrganisationKind.REGION: ApiKeyRole.REGION_COORDINATOR,
    OrganisationKind.MUNICIPALITY: ApiKeyRole.MUNICIPAL_COORDINATOR,
}


class Command(BaseCommand):
    help = "Create an API key for an organisation and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="Organisation code or municipality code.")
        parser.add_argument("--name", required=True, help="A label saying which system uses the key.")
        parser.add_argument("--role", choices=ApiKeyRole.values, help="Rights the key acts with (default by kind).")

    def handle(self, *args, organisation, name, role, **options):
        found = (
            Organisation.objects.filter(code=organisation).first()
            or Organisation.objects.filter(municipality_id=organisation).first()
        )
        if found is None:
            raise CommandError(f"No organisation with code or municipality code {organisation!r}.")
        role = role or DEFAULT_ROLE.get(found.kind)
        if role is None:
            raise CommandError(f"Say with --role which rights a key for {found.name} acts with.")
        key, raw_key = services.api_key_create(organisation=found, name=name, role=role, by_user=None)
        self.stdout.write(f"API key {key.prefix} for {found.name} ({key.get_role_display()}), shown only now:")
        self.stdout.write(raw_key)
        self.stdout.write("Send it as: Authorization: Bearer <key>")
