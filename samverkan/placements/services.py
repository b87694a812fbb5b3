"""Writes for placements. Every transition checks the state table (states.py), is atomic, writes
the request's visible history and an audit event, and notifies the other side.

Reservations never overbook: accepting an offer locks the unit's capacity row (SELECT … FOR
UPDATE on PostgreSQL; SQLite's write transaction serialises the same section) and re-checks the
free places inside that lock."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from samverkan.accounts.models import User
from samverkan.accounts.services import notify
from samverkan.audit.services import audit_record, snapshot
from samverkan.capacity import services as capacity
from samverkan.flow.pseudonyms import PERSONNUMMER_LIKE
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation, Unit
from samverkan.organisations.roles import OrganisationKind, Role
from samverkan.placements import escalation, states
from samverkan.placements.models import (
    OfferStatus,
    PlacementNeed,
    PlacementSettings,
    PlaceOffer,
    PlaceRequest,
    RequestEvent,
    RequestStatus,
    Reservation,
    ShortageOutlook,
)

S = RequestStatus


class Conflict(Exception):
    """The request cannot be done as the world stands now (e.g. the places were taken meanwhile)."""


def _label(principal: policy.Principal) -> str:
    if isinstance(principal, User):
        return principal.get_full_name()
    return str(getattr(principal, "name", None) or principal)


def _actor_organisation(principal: policy.Principal, request: PlaceRequest) -> Organisation | None:
    """The organisation the principal acted for: the requesting one if it is among its own."""
    own = [place.organisation for place in policy.places(principal, "placements.view") if place.organisation]
    if request.from_organisation_id in own:
        return request.from_organisation
    return Organisation.objects.filter(pk=own[0]).first() if own else None


def _event(request: PlaceRequest, action: str, by: policy.Principal, text: str = "") -> None:
    RequestEvent.objects.create(
        request=request,
        action=action,
        status_after=request.status,
        text=text,
        actor_label=_label(by),
        organisation=_actor_organisation(by, request),
    )


def _require(by: policy.Principal, request: PlaceRequest, action: str) -> None:
    if not states.allowed(by, request, action):
        if request.status not in states.TRANSITIONS[action].sources:
            raise Conflict(
                _("The request is %(status)s; that can no longer be done.")
                % {"status": request.get_status_display().lower()}
            )
        raise PermissionDenied(action)


def _coordinators_of(organisation_ids: Iterable[int]) -> list[User]:
    return list(
        User.objects.filter(
            memberships__organisation_id__in=organisation_ids,
            memberships__role=Role.MUNICIPAL_COORDINATOR,
            is_active=True,
        ).distinct()
    )


def _requester_users(request: PlaceRequest) -> list[User]:
    users = User.objects.filter(
        memberships__organisation_id=request.from_organisation_id,
        memberships__role__in=policy.COORDINATORS,
        is_active=True,
    )
    return list(users.distinct())


def _unit_people(unit_ids: Iterable[int], organisation_ids: Iterable[int]) -> list[User]:
    """The staff of these units and the municipal coordinators of these organisations."""
    staff = User.objects.filter(memberships__unit_id__in=unit_ids, is_active=True)
    return list({*staff, *_coordinators_of(organisation_ids)})


def _receiver_users(request: PlaceRequest) -> list[User]:
    if request.to_unit is not None:
        return _unit_people([request.to_unit.pk], [request.to_unit.organisation_id])
    if request.to_municipality_id:
        return _coordinators_of([request.to_municipality_id])
    others = Organisation.objects.filter(county_id=request.county_id, kind=OrganisationKind.MUNICIPALITY).exclude(
        pk=request.from_organisation_id
    )
    return _coordinators_of(others.values_list("pk", flat=True))


def _provider_users(request: PlaceRequest) -> list[User]:
    units = request.offers.filter(status=OfferStatus.ACCEPTED).values_list("unit_id", "unit__organisation_id")
    return _unit_people([unit for unit, _ in units], [organisation for _, organisation in units])


def _side_users(request: PlaceRequest, side: str) -> list[User]:
    users = {states.REQUESTER: _requester_users, states.RECEIVER: _receiver_users, states.PROVIDER: _provider_users}
    return users[side](request)


def _url(request: PlaceRequest) -> str:
    return reverse("placements:detail", kwargs={"request_id": request.pk})


def _lock(request: PlaceRequest) -> PlaceRequest:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins, and
    # only the request's row is to be locked.
    return (
        PlaceRequest.objects.select_for_update(of=("self",))
        .select_related("from_organisation", "to_unit", "to_municipality", "county")
        .get(pk=request.pk)
    )


def _check_note(note: str, field: str = "note") -> None:
    """Free text must not identify a patient: refuse anything that looks like a personnummer."""
    if PERSONNUMMER_LIKE.search(note or ""):
        raise ValidationError(
            {field: [_("The text looks like it contains a personal identity number. Leave patient identity out.")]}
        )


def request_create(
    *,
    by: policy.Principal,
    from_organisation: Organisation,
    places: int,
    wanted_from: datetime.date,
    wanted_until: datetime.date | None = None,
    urgency: str = "normal",
    note: str = "",
    needs: list[PlacementNeed] | None = None,
    to_unit: Unit | None = None,
    to_municipality: Organisation | None = None,
    to_county: bool = False,
    from_unit: Unit | None = None,
    send: bool = True,
) -> PlaceRequest:
    """A new request (a draft, or sent at once). The sender must coordinate `from_organisation`
    (or be staff of the hospital ward `from_unit`)."""
    request = PlaceRequest(
        county_id=from_organisation.county_id,
        from_organisation=from_organisation,
        from_unit=from_unit,
        places=places,
        wanted_from=wanted_from,
        wanted_until=wanted_until,
        urgency=urgency,
        note=note,
        to_unit=to_unit,
        to_municipality=to_municipality,
        to_county=to_county,
        created_by=by if isinstance(by, User) else None,
    )
    if states.REQUESTER not in states.sides_of(by, request):
        raise PermissionDenied("request_create")
    errors: dict[str, list[str]] = {}
    try:
        _check_note(note)
    except ValidationError as error:
        errors.update(error.message_dict)
    if wanted_until and wanted_until < wanted_from:
        errors.setdefault("wanted_until", []).append(_("The end date is before the start date."))
    if places is None or places < 1 or places > 100:
        errors.setdefault("places", []).append(_("Ask for between 1 and 100 places."))
    targets = [to_unit is not None, to_municipality is not None, bool(to_county)]
    if sum(targets) != 1:
        errors.setdefault("to", []).append(_("Address the request to one unit, one municipality or the whole county."))
    for target_county in [
        to_unit.organisation.county_id if to_unit else None,
        to_municipality.county_id if to_municipality else None,
    ]:
        if target_county and target_county != from_organisation.county_id:
            errors.setdefault("to", []).append(_("Requests go to units and municipalities of your own county."))
    if to_municipality is not None and to_municipality.kind != OrganisationKind.MUNICIPALITY:
        errors.setdefault("to_municipality", []).append(_("Choose a municipality."))
    if to_municipality is not None and to_municipality.pk == from_organisation.pk:
        errors.setdefault("to_municipality", []).append(_("A municipality does not send requests to itself."))
    needs = list(needs or [])
    if any(n.county_id != from_organisation.county_id for n in needs):
        errors.setdefault("needs", []).append(_("Unknown need for this county."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request.save()
        request.needs.set(needs)
        _event(request, "create", by, note)
        audit_record(
            by=by,
            event_type="placements.request_created",
            obj=request,
            organisation=from_organisation,
            after={
                **snapshot(
                    request,
                    ["places", "wanted_from", "wanted_until", "urgency", "to_unit", "to_municipality", "to_county"],
                ),
                "needs": [n.code for n in needs],
            },
        )
        if send:
            _send(request, by)
    return request


def _send(request: PlaceRequest, by: policy.Principal) -> None:
    settings_row = PlacementSettings.objects.filter(county_id=request.county_id).first()
    hours = settings_row.expiry_hours if settings_row else 48
    now = timezone.now()
    request.status, request.sent_at, request.expires_at = S.SENT, now, now + datetime.timedelta(hours=hours)
    request.save(update_fields=["status", "sent_at", "expires_at"])
    _event(request, "send", by)
    audit_record(
        by=by,
        event_type="placements.request_sent",
        obj=request,
        organisation=request.from_organisation,
        after={"status": request.status, "expires_at": request.expires_at},
    )
    notify(
        users=_receiver_users(request),
        text=ngettext(
            "%(org)s asks for %(n)d place from %(date)s.",
            "%(org)s asks for %(n)d places from %(date)s.",
            request.places,
        )
        % {"org": request.from_organisation.name, "n": request.places, "date": request.wanted_from.isoformat()},
        url=_url(request),
        by=by,
    )


def request_send(*, request: PlaceRequest, by: policy.Principal) -> PlaceRequest:
    with transaction.atomic():
        request = _lock(request)
        _require(by, request, "send")
        _send(request, by)
    return request


def _transition(
    request: PlaceRequest, action: str, by: policy.Principal, *, text: str = "", notify_side: str | None = None
) -> None:
    before = request.status
    target = states.TRANSITIONS[action].target
    if target is None:
        raise ValueError(f"{action}: the state table leaves the status to the service")
    request.status = target
    request.save(update_fields=["status", "decline_reason"] if action == "decline" else ["status"])
    _event(request, action, by, text)
    audit_record(
        by=by,
        event_type=f"placements.request_{action}",
        obj=request,
        organisation=request.from_organisation,
        before={"status": before},
        after={"status": request.status, **({"text": text} if text else {})},
    )
    if notify_side:
        notify(
            users=_side_users(request, notify_side),
            text=_("Request #%(id)d from %(org)s: %(status)s.")
            % {"id": request.pk, "org": request.from_organisation.name, "status": request.get_status_display().lower()},
            url=_url(request),
            by=by,
        )


def _release_reservations(
    request: PlaceRequest, by: policy.Principal, *, arrived_on: datetime.date | None = None
) -> None:
    """Give back the places held for the request's patients who have not arrived: on arrival
    (`arrived_on`) they become the unit's occupied places, otherwise they are free again."""
    now = timezone.now()
    for reservation in request.reservations.select_related("unit__organisation").filter(
        arrived_on__isnull=True, released_at__isnull=True
    ):
        capacity.places_release(
            unit=reservation.unit,
            count=reservation.places,
            by=by,
            reason=f"request {request.pk}: " + ("arrived" if arrived_on else "released"),
        )
        if arrived_on:
            reservation.arrived_on = arrived_on
        else:
            reservation.released_at = now
        reservation.save(update_fields=["arrived_on", "released_at"])


def request_withdraw(*, request: PlaceRequest, by: policy.Principal, reason: str = "") -> PlaceRequest:
    with transaction.atomic():
        request = _lock(request)
        _require(by, request, "withdraw")
        _check_note(reason, "reason")
        _release_reservations(request, by)
        request.offers.filter(status=OfferStatus.OPEN).update(status=OfferStatus.LAPSED, answered_at=timezone.now())
        _transition(request, "withdraw", by, text=reason, notify_side=states.RECEIVER)
    return request


def request_decline(*, request: PlaceRequest, by: policy.Principal, reason: str) -> PlaceRequest:
    with transaction.atomic():
        request = _lock(request)
        _require(by, request, "decline")
        if not reason.strip():
            raise ValidationError({"reason": [_("Say why the request is declined.")]})
        _check_note(reason, "reason")
        request.decline_reason = reason
        request.offers.filter(status=OfferStatus.OPEN).update(status=OfferStatus.LAPSED, answered_at=timezone.now())
        _transition(request, "decline", by, text=reason, notify_side=states.REQUESTER)
    return request


def offer_create(
    *, request: PlaceRequest, unit: Unit, places: int, by: policy.Principal, comment: str = ""
) -> PlaceOffer:
    """Offer places at `unit`, which must be one of the addressed units that `by` reports for."""
    with transaction.atomic():
        request = _lock(request)
        _require(by, request, "offer")
        if not policy.can(by, "capacity.report", unit) or not states.addressed_to(request, unit):
            raise PermissionDenied("offer for this unit")
        _check_note(comment, "comment")
        accepted = sum(o.places for o in request.offers.filter(status=OfferStatus.ACCEPTED))
        wanted = request.places - accepted
        if wanted < 1:
            raise Conflict(_("Every place the request asks for is already accepted."))
        if places is None or places < 1 or places > wanted:
            raise ValidationError({"places": [_("Offer between 1 and %(n)d places.") % {"n": wanted}]})
        offer = PlaceOffer.objects.create(
            request=request, unit=unit, places=places, comment=comment, offered_by=by if isinstance(by, User) else None
        )
        if request.status != S.ACCEPTED:
            request.status = S.OFFERED
            request.save(update_fields=["status"])
        _event(
            request,
            "offer",
            by,
            ngettext("%(unit)s offers %(n)d place.", "%(unit)s offers %(n)d places.", places)
            % {"unit": unit.name, "n": places},
        )
        audit_record(
            by=by,
            event_type="placements.offer_created",
            obj=offer,
            organisation=unit.organisation,
            after=snapshot(offer, ["request", "unit", "places", "comment"]),
        )
        notify(
            users=_requester_users(request),
            text=ngettext(
                "%(unit)s offers %(n)d place for request #%(id)d.",
                "%(unit)s offers %(n)d places for request #%(id)d.",
                places,
            )
            % {"unit": unit.name, "n": places, "id": request.pk},
            url=_url(request),
            by=by,
        )
    return offer


def offer_accept(*, offer: PlaceOffer, by: policy.Principal) -> Reservation:
    """Accept an offer: reserve its places at the unit. Raises Conflict when the unit no longer
    has that many free places (free = staffed − occupied − reserved, from its latest report)."""
    with transaction.atomic():
        request = _lock(offer.request)
        offer = PlaceOffer.objects.select_for_update(of=("self",)).select_related("unit__organisation").get(pk=offer.pk)
        _require(by, request, "accept")
        if offer.status != OfferStatus.OPEN:
            raise Conflict(_("The offer is no longer open."))
        accepted = sum(o.places for o in request.offers.filter(status=OfferStatus.ACCEPTED))
        if accepted + offer.places > request.places:
            raise Conflict(_("Accepting this offer would give more places than the request asks for."))
        try:
            figures = capacity.places_reserve(
                unit=offer.unit, count=offer.places, by=by, reason=f"request {request.pk}, offer {offer.pk}"
            )
        except capacity.NotEnoughPlaces as short:
            raise Conflict(
                _("%(unit)s has %(free)d free places now; the offer of %(n)d can no longer be accepted.")
                % {"unit": offer.unit.name, "free": short.free, "n": offer.places}
            ) from short
        reservation = Reservation.objects.create(offer=offer, request=request, unit=offer.unit, places=offer.places)
        offer.status, offer.answered_at = OfferStatus.ACCEPTED, timezone.now()
        offer.save(update_fields=["status", "answered_at"])
        if accepted + offer.places == request.places:
            request.offers.filter(status=OfferStatus.OPEN).update(status=OfferStatus.LAPSED, answered_at=timezone.now())
        _transition(
            request,
            "accept",
            by,
            text=ngettext("Accepted %(n)d place at %(unit)s.", "Accepted %(n)d places at %(unit)s.", offer.places)
            % {"n": offer.places, "unit": offer.unit.name},
        )
        audit_record(
            by=by,
            event_type="placements.reservation_created",
            obj=reservation,
            organisation=offer.unit.organisation,
            after={"unit": offer.unit_id, "places": offer.places, "reserved_after": figures.reserved},
        )
        notify(
            users=_unit_people([offer.unit_id], [offer.unit.organisation_id]),
            text=ngettext(
                "Request #%(id)d: %(org)s accepted %(n)d place at %(unit)s.",
                "Request #%(id)d: %(org)s accepted %(n)d places at %(unit)s.",
                offer.places,
            )
            % {"id": request.pk, "org": request.from_organisation.name, "n": offer.places, "unit": offer.unit.name},
            url=_url(request),
            by=by,
        )
    return reservation


def offer_decline(*, offer: PlaceOffer, by: policy.Principal, reason: str = "") -> PlaceOffer:
    with transaction.atomic():
        request = _lock(offer.request)
        offer = PlaceOffer.objects.select_for_update(of=("self",)).select_related("unit__organisation").get(pk=offer.pk)
        _require(by, request, "decline_offer")
        _check_note(reason, "reason")
        if offer.status != OfferStatus.OPEN:
            raise Conflict(_("The offer is no longer open."))
        offer.status, offer.answered_at, offer.decline_reason = OfferStatus.DECLINED, timezone.now(), reason
        offer.save(update_fields=["status", "answered_at", "decline_reason"])
        if request.status == S.OFFERED and not request.offers.filter(status=OfferStatus.OPEN).exists():
            request.status = S.SENT
            request.save(update_fields=["status"])
        _event(
            request,
            "decline_offer",
            by,
            _("Declined the offer from %(unit)s. %(reason)s") % {"unit": offer.unit.name, "reason": reason},
        )
        audit_record(
            by=by,
            event_type="placements.offer_declined",
            obj=offer,
            organisation=offer.unit.organisation,
            after={"status": offer.status, "reason": reason},
        )
        notify(
            users=_coordinators_of([offer.unit.organisation_id]),
            text=_("Request #%(id)d: your offer was declined.") % {"id": request.pk},
            url=_url(request),
            by=by,
        )
    return offer


def request_arrive(*, request: PlaceRequest, by: policy.Principal, on: datetime.date | None = None) -> PlaceRequest:
    """The patients are in place: the held places become the units' occupied places."""
    on = on or timezone.localdate()
    with transaction.atomic():
        request = _lock(request)
        _require(by, request, "arrive")
        _release_reservations(request, by, arrived_on=on)
        request.offers.filter(status=OfferStatus.OPEN).update(status=OfferStatus.LAPSED, answered_at=timezone.now())
        _transition(
            request,
            "arrive",
            by,
            notify_side=states.PROVIDER if states.REQUESTER in states.sides_of(by, request) else states.REQUESTER,
        )
    return request


def request_end(*, request: PlaceRequest, by: policy.Principal, on: datetime.date | None = None) -> PlaceRequest:
    on = on or timezone.localdate()
    with transaction.atomic():
        request = _lock(request)
        _require(by, request, "end")
        stays = request.reservations.filter(arrived_on__isnull=False, left_on__isnull=True)
        if any(r.arrived_on is not None and on < r.arrived_on for r in stays):
            raise ValidationError({"on": [_("A stay cannot end before it starts.")]})
        stays.update(left_on=on)
        _transition(
            request,
            "end",
            by,
            notify_side=states.PROVIDER if states.REQUESTER in states.sides_of(by, request) else states.REQUESTER,
        )
    return request


def requests_expire(*, now: datetime.datetime | None = None) -> int:
    """Expire sent or offered requests whose answer time has passed without an accepted offer."""
    now = now or timezone.now()
    count = 0
    for request in PlaceRequest.objects.filter(status__in=[S.SENT, S.OFFERED], expires_at__lte=now):
        with transaction.atomic():
            locked = _lock(request)
            if locked.status not in (S.SENT, S.OFFERED) or locked.expires_at is None or locked.expires_at > now:
                continue
            locked.offers.filter(status=OfferStatus.OPEN).update(status=OfferStatus.LAPSED, answered_at=now)
            _transition(locked, "expire", policy.SYSTEM, notify_side=states.REQUESTER)
            count += 1
    return count


def shortage_outlook_record(
    *, county_code: str, probability: Decimal, data_until: datetime.date | None, by: policy.Principal
) -> ShortageOutlook:
    """Record the county's latest probability (%) of a shortage of short-term places within 7
    days (the forecasts call this after each run), audited; the escalation suggestion is checked
    again after the transaction."""
    policy.require(by, "placements.record_shortage_outlook", policy.Place(county=county_code))
    with transaction.atomic():
        before = ShortageOutlook.objects.select_for_update().filter(county_id=county_code).first()
        outlook, _created = ShortageOutlook.objects.update_or_create(
            county_id=county_code,
            defaults={"probability": probability, "computed_at": timezone.now(), "data_until": data_until},
        )
        audit_record(
            by=by,
            event_type="placements.shortage_outlook_recorded",
            obj=outlook,
            organisation=Organisation.objects.filter(county_id=county_code, kind=OrganisationKind.REGION).first(),
            before={"probability": str(before.probability)} if before else None,
            after={"probability": str(probability), "data_until": data_until.isoformat() if data_until else None},
        )
        transaction.on_commit(lambda: escalation.escalation_check(county_code))
    return outlook
