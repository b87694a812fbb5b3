from __future__ import annotations

from typing import Annotated

from ninja import Router, Schema

from samverkan.apischema import CountyCode, Id, MunicipalityCode, choice, responses
from samverkan.organisations import policy, selectors
from samverkan.organisations.models import Organisation, Unit

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


@router.get(
    "/municipalities",
    response=responses({200: list[MunicipalityOut]}),
    summary="Municipalities, optionally of one county",
)
def municipalities(request, county: CountyCode | None = None):
    return list(selectors.municipality_list(policy.principal_of(request), county=county))


@router.get("/organisations", response=responses({200: list[OrganisationOut]}), summary="Organisations visible to you")
def organisations(
    request, county: CountyCode | None = None, kind: Annotated[str, choice(Organisation, "kind")] | None = None
):
    return list(selectors.organisation_list(policy.principal_of(request), county=county, kind=kind))


@router.get(
    "/units", response=responses({200: list[UnitOut]}), summary="Units visible to you, optionally of one municipality"
)
def units(
    request,
    municipality: MunicipalityCode | None = None,
    organisation: Id | None = None,
    kind: Annotated[str, choice(Unit, "kind")] | None = None,
):
    return list(
        selectors.unit_list(
            policy.principal_of(request), municipality=municipality, organisation=organisation, kind=kind
        )
    )
