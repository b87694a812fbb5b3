from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from samverkan.organisations.services import ReferenceDataError, reference_data_load


class Command(BaseCommand):
    help = "Load or refresh counties, municipalities and their organisations (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--population",
            type=Path,
            help="CSV with municipality_code,population,year[,population_65_plus] to update population figures.",
        )

    def handle(self, *args, population, **options):
        if population is not None and not population.is_file():
            raise CommandError(f"No such file: {population}")
        try:
            result = reference_data_load(population_file=population)
        except ReferenceDataError as error:
            raise CommandError(f"Nothing was changed:\n{error}") from None
        self.stdout.write(
            f"{result.counties} counties, {result.municipalities} municipalities; "
            f"{result.organisations_created} organisations created, {result.population_updates} population figures updated."
        )
