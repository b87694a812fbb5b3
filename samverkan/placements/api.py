from __future__ import annotations

import datetime
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from ninja import Body, Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import BaseModel

from samverkan.apischema import BODY, CountyCode, Date, Id, MunicipalityCode, choice, count, responses, text
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation, Unit
from samverkan.placements import escalation, selectors, services
from samverkan.placements.models import PlacementNeed, PlaceOffer, PlaceRequest, Urgency

router = Router(tags=["placements"])
MAX_NEEDS = 50  # a county lists a handful of needs

NeedCode = Annotated[str, text(PlacementNeed, "code")]


class RequestIn(Schema):
    from_organisation: Id
    places: Annotated[int, count(PlaceRequest, "places")]
    needs: list[NeedCode] = Field(
        default_factory=list, max_length=MAX_NEEDS, description="Need codes of the county's list."
    )
    wanted_from: Date
    wanted_until: Date | None = None
    urgency: Annotated[str, choice(PlaceRequest, "urgency")] = Urgency.NORMAL.value
    note: Annotated[str, text(PlaceRequest, "note")] = Field("", description="No patient identity.")
    to_unit: Id | None = None
    to_municipality: Id | None = Field(None, description="Organisation id of the municipality.")
    to_county: bool = False
    draft: bool = False


class OfferIn(Schema):
    unit: Id
    places: Annotated[int, count(PlaceOffer, "places")]
    comment: Annotated[str, text(PlaceOffer, "comment")] = ""


class DeclineIn(BaseModel):
    """A plain pydantic model: a ninja Schema would take any value (a list, a number) as an object
    whose fields all have their defaults."""

    reason: Annotated[str, text(PlaceOffer, "decline_reason")] = ""


class OfferOut(Schema):
    id: int
    unit: int
    unit_name: str
    places: int
    status: str

    @staticmethod
    def resolve_unit(obj) -> int:
        return obj.unit_id

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name


class RequestOut(Schema):
    id: int
    county: str
    from_organisation: int
    places: int
    needs: list[str]
    wanted_from: datetime.date
    wanted_until: datetime.date | None
    urgency: str
    note: str
    to_unit: int | None
    to_municipality: int | None
    to_county: bool
    status: str
    sent_at: datetime.datetime | None
    expires_at: datetime.datetime | None
    offers: list[OfferOut]

    @staticmethod
    def resolve_county(obj) -> str:
        return obj.county_id

    @staticmethod
    def resolve_from_organisation(obj) -> int:
        return obj.from_organisation_id

    @staticmethod
    def resolve_needs(obj) -> list[str]:
        return [n.code for n in obj.needs.all()]

    @staticmethod
    def resolve_to_unit(obj) -> int | None:
        return obj.to_unit_id

    @staticmethod
    def resolve_to_municipality(obj) -> int | None:
        return obj.to_municipality_id

    @staticmethod
    def resolve_offers(obj) -> list:
        return list(obj.offers.select_related("unit"))


class ReservationOut(Schema):
    id: int
    unit: int
    places: int
    request: int

    @staticmethod
    def resolve_unit(obj) -> int:
        return obj.unit_id

    @staticmethod
    def resolve_request(obj) -> int:
        return obj.request_id


class FreeUnitOut(Schema):
    unit: int
    unit_name: str
    municipality: str
    free: int
    stale: bool
    reported_at: datetime.datetime | None


class EscalationOut(Schema):
    county: str
    current_step: int
    current_name: str
    actions: list[str]
    suggested_step: int
    suggested_name: str
    reasons: list[str]
    figures: dict


def _conflict_or_invalid(call):
    try:
        return None, call()
    except services.Conflict as conflict:
        return Status(409, {"detail": str(conflict)}), None
    except ValidationError as error:
        return Status(
            422, {"detail": error.message_dict if hasattr(error, "error_dict") else " ".join(error.messages)}
        ), None


@router.post(
    "/placements/requests",
    url_name="placements_requests_create",
    response=responses({201: RequestOut}, *BODY, 404, 409),
)
def create_request(request, payload: RequestIn):
    who = policy.principal_of(request)
    organisation = Organisation.objects.visible_to(who, "organisations.view").get_or_404(pk=payload.from_organisation)
    needs = list(PlacementNeed.objects.filter(county_id=organisation.county_id, code__in=payload.needs))
    unknown = sorted(set(payload.needs) - {n.code for n in needs})
    if unknown:
        return Status(422, {"detail": {"needs": [f"Unknown need(s): {', '.join(unknown)}."]}})
    to_unit = (
        Unit.objects.visible_to(who, "organisations.view").get_or_404(pk=payload.to_unit) if payload.to_unit else None
    )
    to_municipality = (
        Organisation.objects.visible_to(who, "organisations.view").get_or_404(pk=payload.to_municipality)
        if payload.to_municipality
        else None
    )
    error, created = _conflict_or_invalid(
        lambda: services.request_create(
            by=policy.actor_of(request),
            from_organisation=organisation,
            places=payload.places,
            wanted_from=payload.wanted_from,
            wanted_until=payload.wanted_until,
            urgency=payload.urgency,
            note=payload.note,
            needs=needs,
            to_unit=to_unit,
            to_municipality=to_municipality,
            to_county=payload.to_county,
            send=not payload.draft,
        )
    )
    return error or Status(201, created)


@router.get("/placements/requests", url_name="placements_requests", response=responses({200: list[RequestOut]}))
def list_requests(
    request,
    status: Annotated[str, choice(PlaceRequest, "status")] | None = None,
    county: CountyCode | None = None,
    box: Literal["all", "incoming", "outgoing", "awaiting"] = "all",
):
    return list(selectors.request_list(policy.principal_of(request), county_code=county, status=status, box=box)[:500])


@router.get(
    "/placements/requests/{request_id}", url_name="placements_request", response=responses({200: RequestOut}, 404)
)
def get_request(request, request_id: Id):
    return selectors.request_detail(policy.principal_of(request), request_id)


@router.post(
    "/placements/requests/{request_id}/offers",
    url_name="placements_offers_create",
    response=responses({201: OfferOut}, *BODY, 404, 409),
)
def create_offer(request, request_id: Id, payload: OfferIn):
    who = policy.principal_of(request)
    place_request = selectors.request_detail(policy.principal_of(request), request_id)
    unit = Unit.objects.visible_to(who, "organisations.view").select_related("organisation").get_or_404(pk=payload.unit)
    error, offer = _conflict_or_invalid(
        lambda: services.offer_create(
            request=place_request,
            unit=unit,
            places=payload.places,
            by=policy.actor_of(request),
            comment=payload.comment,
        )
    )
    return error or Status(201, offer)


@router.post(
    "/placements/offers/{offer_id}/accept",
    url_name="placements_offer_accept",
    response=responses({201: ReservationOut}, 404, 409),
)
def accept_offer(request, offer_id: Id):
    offer = selectors.offer_detail(policy.principal_of(request), offer_id)
    error, reservation = _conflict_or_invalid(lambda: services.offer_accept(offer=offer, by=policy.actor_of(request)))
    return error or Status(201, reservation)


@router.post(
    "/placements/offers/{offer_id}/decline",
    url_name="placements_offer_decline",
    response=responses({200: OfferOut}, *BODY, 404, 409),
)
def decline_offer(request, offer_id: Id, payload: Body[DeclineIn | None] = None):
    """Optional JSON body: {"reason": "…"}."""
    offer = selectors.offer_detail(policy.principal_of(request), offer_id)
    reason = payload.reason if payload is not None else ""
    error, declined = _conflict_or_invalid(
        lambda: services.offer_decline(offer=offer, by=policy.actor_of(request), reason=reason)
    )
    return error or Status(200, declined)


@router.get("/placements/free", url_name="placements_free", response=responses({200: list[FreeUnitOut]}))
def free(
    request,
    county: CountyCode,
    need: Annotated[list[NeedCode] | None, Query(max_length=MAX_NEEDS)] = None,
    municipality: MunicipalityCode | None = None,
):
    """`need` may be repeated (?need=syrgas&need=demens). Without Query() django-ninja would
    read a list parameter from the request body, and a GET's filter would be ignored."""
    _, units = selectors.free_places(policy.principal_of(request), county, needs=need or [], municipality=municipality)
    return [
        {
            "unit": f.row.unit_id,
            "unit_name": f.row.unit_name,
            "municipality": f.row.municipality_code,
            "free": f.row.free,
            "stale": f.row.stale,
            "reported_at": f.row.reported_at,
        }
        for f in units
    ]


@router.get("/escalation", url_name="escalation", response=responses({200: EscalationOut}, 404))
def escalation_state(request, county: CountyCode):
    view = escalation.escalation_view(policy.principal_of(request), county)
    return {
        "county": county,
        "current_step": view.current.order,
        "current_name": view.current.name,
        "actions": view.current.action_list,
        "suggested_step": view.suggestion.step.order,
        "suggested_name": view.suggestion.step.name,
        "reasons": view.suggestion.reasons,
        "figures": view.figures.as_dict(),
    }
