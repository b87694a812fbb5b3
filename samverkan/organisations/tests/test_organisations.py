"""Organisations, units and memberships as users and systems see them."""

import pytest
from django.core.exceptions import ValidationError

from samverkan.organisations import policy, services
from samverkan.organisations.models import Membership, Organisation, Unit
from samverkan.organisations.roles import Role
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def test_a_user_sees_the_organisations_of_their_county_only(world):
    visible = Organisation.objects.visible_to(world.falun_coordinator, "organisations.view")
    assert set(visible.values_list("county_id", flat=True)) == {"20"}
    assert Organisation.objects.visible_to(world.admin, "organisations.view").count() == Organisation.objects.count()
    assert not Organisation.objects.visible_to(None, "organisations.view").exists()


def test_units_follow_the_owning_organisations_county(world):
    assert world.lunden in Unit.objects.visible_to(world.avesta_coordinator, "organisations.view")
    assert world.lunden not in Unit.objects.visible_to(world.outsider, "organisations.view")


def test_members_are_visible_to_their_own_organisations_coordinators(world):
    falun_members = Membership.objects.visible_to(world.falun_coordinator, "organisations.view_members")
    assert falun_members.filter(user=world.lunden_staff).exists()
    assert (
        not Membership.objects.visible_to(world.avesta_coordinator, "organisations.view_members")
        .filter(user=world.lunden_staff)
        .exists()
    )
    # Everyone sees their own memberships.
    assert Membership.objects.visible_to(world.viewer, "organisations.view_members").filter(user=world.viewer).exists()


def test_unit_staff_membership_must_name_its_unit(world):
    with pytest.raises(ValidationError):
        services.membership_save(
            membership=Membership(user=world.viewer, organisation=world.falun, role=Role.UNIT_STAFF),
            by=world.admin,
        )


def test_policy_answers_per_county(world):
    assert policy.can(world.region_coordinator, "audit.review", policy.Place(county="20"))
    assert not policy.can(world.region_coordinator, "audit.review", policy.Place(county="18"))
    assert not policy.can(world.viewer, "audit.review")
    assert policy.can(world.admin, "audit.review", policy.Place(county="18"))
    assert not policy.can(None, "organisations.view")


def test_second_factor_is_required_for_admins_and_coordinators_only(world):
    assert policy.requires_second_factor(world.admin)
    assert policy.requires_second_factor(world.region_coordinator)
    assert policy.requires_second_factor(world.falun_coordinator)
    for persona in ("lunden_staff", "forum_secretary", "viewer"):
        assert not policy.requires_second_factor(world.users[persona])


def test_organisation_page_lists_units_and_members_for_coordinators(client, world):
    body = login(client, world.falun_coordinator).get("/organisationer/2080/").content.decode()
    assert "Lunden korttidsboende" in body
    assert world.lunden_staff.email in body


def test_organisation_page_hides_members_from_other_organisations(client, world):
    body = login(client, world.avesta_coordinator).get("/organisationer/2080/").content.decode()
    assert "Lunden korttidsboende" in body
    assert world.lunden_staff.email not in body


def test_organisation_list_filters_by_kind(client, world):
    body = login(client, world.viewer).get("/organisationer/?kind=region").content.decode()
    assert "Region Dalarna" in body
    assert "Avesta</a>" not in body


def test_organisation_list_answers_in_constant_queries(client, world, django_assert_max_num_queries):
    login(client, world.region_coordinator)
    with django_assert_max_num_queries(12):
        client.get("/organisationer/")


def test_api_lists_municipalities_of_a_county(client, world):
    rows = login(client, world.viewer).get("/api/v1/municipalities?county=20").json()
    assert len(rows) == 15
    assert {"code": "2080", "name": "Falun", "county": "20", "population": 57685, "population_year": 2016} in rows


def test_api_lists_units_of_a_municipality(client, world):
    rows = login(client, world.viewer).get("/api/v1/units?municipality=2080").json()
    assert {row["code"] for row in rows} >= {"t-lunden", "t-falu-med"}


def test_api_documents_itself(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/units" in schema["paths"]
    assert "ApiKeyAuth" in schema["components"]["securitySchemes"]
