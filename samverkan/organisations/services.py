"""Writes for organisations: reference data, organisations, units and memberships, each audited."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Q

from samverkan.audit.services import audit_record, snapshot
from samverkan.organisations import policy
from samverkan.organisations.models import County, Membership, Municipality, Organisation, Unit
from samverkan.organisations.roles import OrganisationKind

REFERENCE_DIR = Path(__file__).resolve().parent / "data"
REFERENCE_POPULATION_YEAR = 2016


class ReferenceDataError(ValueError):
    """A reference file is malformed; the message names the row and column."""


@dataclass
class ReferenceLoadResult:
    counties: int
    municipalities: int
    organisations_created: int
    population_updates: int


def _read_csv(path: Path, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ReferenceDataError(f"{path.name}: missing column(s) {', '.join(missing)}.")
        return [(number, row) for number, row in enumerate(reader, start=2)]


def _parse_population(path: Path) -> dict[str, tuple[int, int, int | None]]:
    """municipality_code -> (population, year, population aged 65+ or None), checked row by row;
    every error reported. The column population_65_plus is optional (and may be empty)."""
    rows = _read_csv(path, ["municipality_code", "population", "year"])
    errors, result = [], {}
    known = set(Municipality.objects.values_list("code", flat=True))
    for number, row in rows:
        code = (row.get("municipality_code") or "").strip().zfill(4)
        if code not in known:
            errors.append(f"row {number}, column municipality_code: unknown municipality code {code!r}")
        for column in ("population", "year"):
            value = (row.get(column) or "").strip()
            if not value.isdigit():
                errors.append(f"row {number}, column {column}: {value!r} is not a whole number")
        if errors:
            continue
        year = int(row["year"])
        if not 1968 <= year <= 2100:
            errors.append(f"row {number}, column year: {year} is not a plausible year")
            continue
        older = (row.get("population_65_plus") or "").strip()
        if older and (not older.isdigit() or int(older) > int(row["population"])):
            errors.append(
                f"row {number}, column population_65_plus: {older!r} is not a whole number at most the population"
            )
            continue
        result[code] = (int(row["population"]), year, int(older) if older else None)
    if errors:
        raise ReferenceDataError("\n".join(errors))
    return result


def reference_data_load(
    *, population_file: Path | None = None, by: policy.Principal = policy.SYSTEM
) -> ReferenceLoadResult:
    """Load or refresh counties, municipalities and one organisation per region and municipality.

    Idempotent: running it again changes nothing unless the files changed. A population file
    (`municipality_code,population,year[,population_65_plus]`) updates population (and the
    inhabitants aged 65+ where given); older years never overwrite newer."""
    counties = _read_csv(REFERENCE_DIR / "counties.csv", ["county_code", "county_name", "county_name_short"])
    municipalities = _read_csv(
        REFERENCE_DIR / "municipalities.csv", ["municipality_code", "municipality_name", "county_code", "population"]
    )
    created = updates = 0
    with transaction.atomic():
        for _number, row in counties:
            County.objects.update_or_create(
                code=row["county_code"], defaults={"name": row["county_name"], "short_name": row["county_name_short"]}
            )
        for _number, row in municipalities:
            municipality, was_created = Municipality.objects.get_or_create(
                code=row["municipality_code"],
                defaults={
                    "name": row["municipality_name"],
                    "county_id": row["county_code"],
                    "population": int(row["population"]),
                    "population_year": REFERENCE_POPULATION_YEAR,
                },
            )
            if not was_created and (municipality.name, municipality.county_id) != (
                row["municipality_name"],
                row["county_code"],
            ):
                municipality.name, municipality.county_id = row["municipality_name"], row["county_code"]
                municipality.save(update_fields=["name", "county"])
        for county in County.objects.all():
            _, was_created = Organisation.objects.get_or_create(
                kind=OrganisationKind.REGION,
                county=county,
                defaults={"code": f"R{county.code}", "name": _region_name(county)},
            )
            created += was_created
        for municipality in Municipality.objects.all():
            _, was_created = Organisation.objects.get_or_create(
                municipality=municipality,
                defaults={
                    "code": municipality.code,
                    "name": municipality.name,
                    "kind": OrganisationKind.MUNICIPALITY,
                    "county_id": municipality.county_id,
                },
            )
            created += was_created
        if population_file is not None:
            for code, (population, year, older) in _parse_population(population_file).items():
                updates += (
                    Municipality.objects.filter(code=code, population_year__lte=year)
                    .exclude(population=population, population_year=year)
                    .update(population=population, population_year=year)
                )
                if older is not None:
                    updates += (
                        Municipality.objects.filter(code=code)
                        .filter(Q(population_65_plus_year__isnull=True) | Q(population_65_plus_year__lte=year))
                        .exclude(population_65_plus=older, population_65_plus_year=year)
                        .update(population_65_plus=older, population_65_plus_year=year)
                    )
        if created or updates:
            audit_record(
                by=by,
                event_type="organisations.reference_data_loaded",
                after={"organisations_created": created, "population_updates": updates},
            )
    return ReferenceLoadResult(
        counties=County.objects.count(),
        municipalities=Municipality.objects.count(),
        organisations_created=created,
        population_updates=updates,
    )


def _region_name(county: County) -> str:
    # "Dalarnas län" -> "Region Dalarna"; Stockholm's region keeps the short name too.
    return f"Region {county.short_name}"


def _save_audited(
    instance: Organisation | Unit | Membership, *, by: policy.Principal, event_type: str, organisation: Organisation
) -> None:
    before = None
    if instance.pk is not None:
        before = snapshot(type(instance)._default_manager.get(pk=instance.pk))
    instance.full_clean()
    instance.save()
    audit_record(
        by=by,
        event_type=event_type,
        obj=instance,
        organisation=organisation,
        before=before,
        after=snapshot(instance),
    )


def organisation_save(*, organisation: Organisation, by: policy.Principal) -> Organisation:
    with transaction.atomic():
        event = "organisations.organisation_changed" if organisation.pk else "organisations.organisation_created"
        _save_audited(organisation, by=by, event_type=event, organisation=organisation)
    return organisation


def unit_save(*, unit: Unit, by: policy.Principal) -> Unit:
    with transaction.atomic():
        event = "organisations.unit_changed" if unit.pk else "organisations.unit_created"
        _save_audited(unit, by=by, event_type=event, organisation=unit.organisation)
    return unit


def membership_save(*, membership: Membership, by: policy.Principal) -> Membership:
    with transaction.atomic():
        event = "organisations.membership_changed" if membership.pk else "organisations.membership_created"
        _save_audited(membership, by=by, event_type=event, organisation=membership.organisation)
    return membership


def membership_delete(*, membership: Membership, by: policy.Principal) -> None:
    with transaction.atomic():
        before = snapshot(membership)
        audit_record(
            by=by,
            event_type="organisations.membership_removed",
            obj=membership,
            organisation=membership.organisation,
            before=before,
        )
        membership.delete()
