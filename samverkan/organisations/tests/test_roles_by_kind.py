"""Which roles an organisation of each kind can hold (issue 17, finding 1): a municipality holds
no region role, a region no municipal one, a private provider neither. Written out by hand here
from the README's table, not read from the policy."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from samverkan.accounts.models import User
from samverkan.organisations import policy, services
from samverkan.organisations.models import Membership, Organisation, Unit, UnitKind
from samverkan.organisations.roles import OrganisationKind, Role
from samverkan.testing import login

pytestmark = pytest.mark.django_db

FITTING = {
    OrganisationKind.REGION: {Role.ADMIN, Role.REGION_COORDINATOR, Role.UNIT_STAFF, Role.FORUM_SECRETARY, Role.VIEWER},
    OrganisationKind.MUNICIPALITY: {Role.MUNICIPAL_COORDINATOR, Role.UNIT_STAFF, Role.FORUM_SECRETARY, Role.VIEWER},
    OrganisationKind.PROVIDER: {Role.UNIT_STAFF, Role.VIEWER},
}


@pytest.fixture
def provider(world) -> Organisation:
    return Organisation.objects.create(
        code="P-vardbolaget", name="Vårdbolaget", kind=OrganisationKind.PROVIDER, county_id="20"
    )


def _organisation_and_unit(world, provider, kind: str) -> tuple[Organisation, Unit]:
    if kind == OrganisationKind.REGION:
        return world.region, world.falun_ward
    if kind == OrganisationKind.MUNICIPALITY:
        return world.falun, world.lunden
    unit = Unit.objects.create(
        code="t-vardbolaget",
        name="Vårdbolagets korttid",
        kind=UnitKind.SHORT_TERM,
        organisation=provider,
        municipality_id="2080",
    )
    return provider, unit


@pytest.mark.parametrize("kind", OrganisationKind.values)
def test_memberships_take_only_the_roles_their_organisations_kind_can_hold(world, provider, kind):
    organisation, unit = _organisation_and_unit(world, provider, kind)
    user = User.objects.create_user("ny@test.samverkan.se", "Testlösen-2026!")
    for role in Role.values:
        membership = Membership(
            user=user, organisation=organisation, role=role, unit=unit if role == Role.UNIT_STAFF else None
        )
        if role in FITTING[kind]:
            services.membership_save(membership=membership, by=world.admin)
        else:
            with pytest.raises(ValidationError) as error:
                services.membership_save(membership=membership, by=world.admin)
            assert "role" in error.value.message_dict, (kind, role)
    assert set(Membership.objects.filter(user=user).values_list("role", flat=True)) == FITTING[kind]


def test_a_membership_saved_directly_must_fit_too(world):
    with pytest.raises(ValidationError):
        Membership.objects.create(user=world.viewer, organisation=world.falun, role=Role.REGION_COORDINATOR)
    assert not Membership.objects.filter(user=world.viewer, organisation=world.falun).exists()


def test_the_admin_pages_refuse_a_region_role_in_a_municipality(client, world):
    login(client, world.admin)
    response = client.post(
        "/admin/organisations/membership/add/",
        {"user": world.viewer.pk, "organisation": world.falun.pk, "role": Role.REGION_COORDINATOR},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["role"]
    assert not Membership.objects.filter(user=world.viewer, organisation=world.falun).exists()


def test_a_membership_that_does_not_fit_gives_no_rights(world):
    """One already in the database (from before the rule, or written around it) is ignored."""
    user = User.objects.create_user("gammal@test.samverkan.se", "Testlösen-2026!")
    Membership.objects.bulk_create([Membership(user=user, organisation=world.falun, role=Role.REGION_COORDINATOR)])
    scope = policy.scope_of(user)
    assert scope.grants == ()
    assert not policy.can(user, "flow.import", policy.Place(county="20"))
    assert not policy.can(user, "flow.view_episodes")
    # Its fitting memberships still count.
    Membership.objects.create(user=user, organisation=world.falun, role=Role.MUNICIPAL_COORDINATOR)
    policy.forget_scope(user)
    assert policy.scope_of(user).roles == {Role.MUNICIPAL_COORDINATOR}
