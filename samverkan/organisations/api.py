from __future__ import annotations

from ninja import Router, Schema

from samverkan.organisations import policy, selectors

router = Router(tags=["reference data"])


class MunicipalityOut(Schema):
    code: str
    name: str
    county: str
    population: int
    population_year: int

    @staticmethod
    def resolve_county(obj) -> str:
        return obj.county_id


class OrganisationOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    county: str
    municipality: str | None

    @staticmethod
    def resolve_county(obj) -> str:
        return obj.county_id

    @staticmethod
    def resolve_municipality(obj) -> str | None:
        return obj.municipality_id


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    organisation: int
    municipality: str
    is_active: bool

    @staticmethod
    def resolve_organisation(obj) -> int:
        return obj.organisation_id

    @staticmethod
    def resolve_municipality(obj) -> str:
        return obj.municipality_id


@router.get("/municipalities", response=list[MunicipalityOut], summary="Municipalities, optionally of one county")
def municipalities(request, county: str | None = None):
    return list(selectors.municipality_list(policy.principal_of(request), county=county))


@router.get("/organisations", response=list[OrganisationOut], summary="Organisations visible to you")
def organisations(request, county: str | None = None, kind: str | None = None):
    return list(selectors.organisation_list(policy.principal_of(request), county=county, kind=kind))


@router.get("/units", response=list[UnitOut], summary="Units visible to you, optionally of one municipality")
def units(request, municipality: str | None = None, organisation: int | None = None, kind: str | None = None):
    return list(
        selectors.unit_list(
            policy.principal_of(request), municipality=municipality, organisation=organisation, kind=kind
        )
    )
