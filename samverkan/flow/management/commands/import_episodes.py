from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from samverkan.flow.fhir import inpatient_codes_of, read_fhir
from samverkan.flow.imports import FileRejected, read_csv
from samverkan.flow.services import episodes_import, source_for
from samverkan.flow.workbooks import read_xlsx
from samverkan.organisations import policy
from samverkan.organisations.models import County


class Command(BaseCommand):
    help = (
        "Import episodes from a file, all or nothing; prints every error as 'row N, column NAME: message' "
        "(a FHIR bundle: 'entry N, ELEMENT PATH: message')."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", required=True, help="Source system name (created on first use).")
        parser.add_argument("--county", required=True, help="Two-digit code of the county whose region imports.")
        parser.add_argument(
            "--format",
            choices=["csv", "xlsx", "fhir"],
            help="Default: from the file name (.xlsx, .json for a FHIR R4 Bundle of Encounters, else csv).",
        )
        parser.add_argument("--sheet", help="Excel: the sheet to read (default: the first).")
        parser.add_argument("--encoding", help="Force an encoding (default: UTF-8, else Windows-1252).")
        parser.add_argument("--delimiter", help="Force the delimiter (default: detected , or ;).")
        parser.add_argument("--dry-run", action="store_true", help="Validate only; change nothing.")

    def handle(self, *args, path: Path, source: str, county: str, encoding, delimiter, dry_run, sheet, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if not County.objects.filter(code=county).exists():
            raise CommandError(f"Unknown county code {county!r}.")
        file_format = options["format"] or {".xlsx": "xlsx", ".json": "fhir"}.get(path.suffix.lower(), "csv")
        try:
            with transaction.atomic(), path.open("rb") as handle:
                found = source_for(county=county, name=source, by=policy.SYSTEM)
                if file_format == "xlsx":
                    rows = read_xlsx(handle, sheet=sheet)
                elif file_format == "fhir":
                    rows = read_fhir(handle.read(), inpatient_codes=inpatient_codes_of(found))
                else:
                    rows = read_csv(handle, encoding=encoding, delimiter=delimiter)
                result = episodes_import(
                    source=found,
                    rows=rows,
                    by=policy.SYSTEM,
                    filename=path.name,
                    file_format=file_format,
                    dry_run=dry_run,
                )
                if dry_run:
                    transaction.set_rollback(True)  # not even a new source
        except FileRejected as rejected:
            for e in rejected.errors:
                self.stderr.write(str(e))
            raise CommandError("Nothing was imported.") from None
        if not result.ok:
            for e in result.errors:
                self.stderr.write(str(e))
            if result.total_errors > len(result.errors):
                self.stderr.write(f"… and {result.total_errors - len(result.errors)} more errors.")
            raise CommandError(f"Nothing was imported: {result.total_errors} errors in {result.run.rows} rows.")
        run = result.run
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {run.rows} rows: {run.created} new, {run.updated} updated, {run.unchanged} unchanged."
            + (f" {run.skipped} encounters were not inpatient stays and were skipped." if run.skipped else "")
        )
