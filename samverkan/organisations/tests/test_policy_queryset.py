"""The visible row or 404: `Model.objects.visible_to(principal, action).get_or_404(...)`
(docs/architecture.md, "Authorisation")."""

import pytest
from django.http import Http404

from samverkan.accounts.services import api_key_create
from samverkan.organisations import policy
from samverkan.organisations.models import Unit
from samverkan.resources.tests.helpers import make_items, make_request

pytestmark = pytest.mark.django_db


def test_the_row_when_the_principal_may_see_it(world):
    found = Unit.objects.visible_to(world.avesta_coordinator, "organisations.view").get_or_404(pk=world.lunden.pk)
    assert found == world.lunden


def test_a_row_that_may_not_be_seen_is_not_found_like_one_that_does_not_exist(world):
    with pytest.raises(Http404):
        Unit.objects.visible_to(world.outsider, "organisations.view").get_or_404(pk=world.lunden.pk)
    missing = Unit.objects.order_by("-pk").first().pk + 1
    with pytest.raises(Http404):
        Unit.objects.visible_to(world.admin, "organisations.view").get_or_404(pk=missing)
    # Anyone else's lookups (a code, not a key) work the same way.
    assert Unit.objects.visible_to(world.admin, "organisations.view").get_or_404(code=world.lunden.code) == world.lunden


def _bearer(organisation, role):
    _, raw = api_key_create(organisation=organisation, name="Matrix", role=role, by=policy.SYSTEM)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_the_api_answers_another_countys_row_exactly_as_a_missing_one(world, client):
    make_items(world, 2, county="20")
    dalarna = make_request(world, unit=world.avesta_unit)
    orebro = _bearer(world.orebro_region, "region_coordinator")
    hidden = client.get(f"/api/v1/resources/loan-requests/{dalarna.pk}", **orebro)
    missing = client.get(f"/api/v1/resources/loan-requests/{dalarna.pk + 1000}", **orebro)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"detail": "Not found, or not visible to you."}
    own = client.get(f"/api/v1/resources/loan-requests/{dalarna.pk}", **_bearer(world.region, "region_coordinator"))
    assert own.status_code == 200
    assert own.json()["id"] == dalarna.pk
