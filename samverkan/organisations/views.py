from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from samverkan.organisations import policy, selectors
from samverkan.organisations.models import Membership, Organisation
from samverkan.organisations.roles import OrganisationKind


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "organisations.view")
    county = request.GET.get("county") or None
    kind = request.GET.get("kind") if request.GET.get("kind") in OrganisationKind.values else None
    organisations = selectors.organisation_list(request.user, county=county, kind=kind)
    return render(
        request,
        "organisations/organisation_list.html",
        {
            "organisations": organisations,
            "counties": selectors.county_list(request.user),
            "kinds": OrganisationKind.choices,
            "selected_county": county or "",
            "selected_kind": kind or "",
        },
    )


@login_required
def organisation_detail(request: HttpRequest, code: str) -> HttpResponse:
    organisation = (
        Organisation.objects.visible_to(request.user, "organisations.view")
        .select_related("county")
        .get_or_404(code=code)
    )
    units = selectors.unit_list(request.user, organisation=organisation.pk)
    members = None
    if policy.can(request.user, "organisations.view_members", policy.Place.of_organisation(organisation)):
        members = Membership.objects.filter(organisation=organisation).select_related("user", "unit")
    return render(
        request,
        "organisations/organisation_detail.html",
        {"organisation": organisation, "units": units, "members": members},
    )
