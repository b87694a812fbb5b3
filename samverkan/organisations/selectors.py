"""Reads for organisations, always narrowed to what the principal may see."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet

from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality, Organisation, Unit
from samverkan.organisations.roles import OrganisationKind


def county_list(principal: policy.Asker, action: str = "organisations.view") -> QuerySet[County]:
    """The counties in which the principal may take `action` (every county for an administrator)."""
    allowed = policy.counties(principal, action)
    counties = County.objects.all()
    return counties if allowed is None else counties.filter(code__in=allowed)


def county_of_page(principal: policy.Asker, wanted: str | None, action: str = "capacity.view") -> str:
    """The county a page is about: `wanted` if the principal may take `action` there, else its
    first such county (an administrator without memberships: the first of all)."""
    chosen = policy.county_in_scope(principal, wanted, action)
    if chosen is None:
        chosen = County.objects.order_by("code").values_list("code", flat=True).first()
    if chosen is None:
        raise PermissionDenied("no county")
    return chosen


def municipality_list(principal, *, county: str | None = None) -> QuerySet[Municipality]:
    # Municipality names, codes and populations are public reference data; every member may read them all.
    municipalities = Municipality.objects.select_related("county")
    if county:
        municipalities = municipalities.filter(county_id=county)
    return municipalities


def organisation_list(principal, *, county: str | None = None, kind: str | None = None) -> QuerySet[Organisation]:
    organisations = Organisation.objects.visible_to(principal, "organisations.view").select_related(
        "county", "municipality"
    )
    if county:
        organisations = organisations.filter(county_id=county)
    if kind:
        organisations = organisations.filter(kind=kind)
    return organisations.annotate(unit_count=Count("units", filter=Q(units__is_active=True)))


def unit_list(
    principal, *, municipality: str | None = None, organisation: int | None = None, kind: str | None = None
) -> QuerySet[Unit]:
    units = Unit.objects.visible_to(principal, "organisations.view").select_related("organisation", "municipality")
    if municipality:
        units = units.filter(municipality_id=municipality)
    if organisation:
        units = units.filter(organisation_id=organisation)
    if kind:
        units = units.filter(kind=kind)
    return units


def acting_organisation(principal: policy.Asker, action: str, county_code: str) -> Organisation | None:
    """The organisation to record as acting when the principal takes `action` in a county: the
    organisation of the membership that allows it there, else (an administrator without one, the
    system) the county's region, the care provider that reviews the county's reads of patient data."""
    organisation_id = policy.acting_organisation_id(principal, action, policy.Place(county=county_code))
    if organisation_id is not None:
        return Organisation.objects.get(pk=organisation_id)
    return Organisation.objects.filter(county_id=county_code, kind=OrganisationKind.REGION).order_by("pk").first()
