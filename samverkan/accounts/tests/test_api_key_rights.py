"""An API key never carries more rights than the person who made it holds in its organisation,
and never a role its organisation's kind cannot hold (issue 17, finding 1).

The probe: Falun's municipal coordinator was offered "Region coordinator" on the key page, and a
key made with it rewrote an Avesta resident's episode to discharged and deceased."""

from __future__ import annotations

import importlib
import io
import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from samverkan.accounts import services
from samverkan.accounts.models import ApiKey, ApiKeyRole
from samverkan.audit.models import AuditEvent
from samverkan.flow.models import Episode
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation
from samverkan.organisations.roles import OrganisationKind
from samverkan.testing import PERSONAS, login

pytestmark = pytest.mark.django_db

PAGE = "/konto/api-keys/"
AVESTA_RESIDENT = {
    "source_id": "A1",
    "home_municipality": "2084",
    "care_type": "somatic",
    "admitted_at": "2026-10-01T08:00",
}


def _episodes(client, raw_key: str, episode: dict):
    return client.post(
        "/api/v1/flow/episodes",
        {"source": "Cosmic", "county": "20", "episodes": [episode]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )


def _offered_roles(html: str) -> set[str]:
    select = re.search(r'<select name="role".*?</select>', html, re.S).group(0)
    return set(re.findall(r'<option value="([^"]+)"', select))


def test_the_key_page_offers_falun_only_the_role_its_coordinator_holds(client, world):
    html = login(client, world.falun_coordinator).get(PAGE).content.decode()
    assert _offered_roles(html) == {ApiKeyRole.MUNICIPAL_COORDINATOR}


def test_the_key_page_refuses_a_region_role_for_falun(client, world):
    login(client, world.falun_coordinator)
    response = client.post(PAGE, {"organisation": world.falun.pk, "name": "Eskalering", "role": "region_coordinator"})
    assert response.status_code == 200
    assert not ApiKey.objects.filter(name="Eskalering").exists()
    assert response.context["form"].errors["role"]
    assert not AuditEvent.objects.filter(event_type="accounts.api_key_created").exists()


def test_the_service_refuses_a_region_role_for_falun_whoever_asks(world):
    for by in (world.falun_coordinator, world.admin, None):
        with pytest.raises(ValidationError) as error:
            services.api_key_create(organisation=world.falun, name="x", role="region_coordinator", by=by)
        assert "role" in error.value.message_dict
    assert not ApiKey.objects.exists()


def test_the_service_refuses_a_role_the_creator_does_not_hold_in_that_organisation(world):
    # Falun's coordinator holds no role in Region Dalarna; the region's coordinator none in Falun.
    with pytest.raises(ValidationError):
        services.api_key_create(
            organisation=world.region, name="x", role="region_coordinator", by=world.falun_coordinator
        )
    with pytest.raises(ValidationError):
        services.api_key_create(
            organisation=world.falun, name="x", role="municipal_coordinator", by=world.region_coordinator
        )
    assert not ApiKey.objects.exists()


def test_a_region_role_key_of_falun_already_in_the_database_cannot_rewrite_avesta_episodes(client, world):
    _, region_key = services.api_key_create(
        organisation=world.region, name="Cosmic", role="region_coordinator", by=policy.SYSTEM
    )
    assert _episodes(client, region_key, AVESTA_RESIDENT).status_code == 201
    # A key made before the fix: Falun's, acting as region coordinator.
    forged, forged_raw = services.api_key_create(
        organisation=world.falun, name="Eskalering", role="municipal_coordinator", by=policy.SYSTEM
    )
    ApiKey.objects.filter(pk=forged.pk).update(role=ApiKeyRole.REGION_COORDINATOR)
    deceased = {**AVESTA_RESIDENT, "discharged_at": "2026-10-03T10:00", "destination": "deceased"}
    response = _episodes(client, forged_raw, deceased)
    assert response.status_code == 403
    episode = Episode.objects.get(record_id="A1")
    assert (episode.discharged_at, episode.destination) == (None, "")
    assert policy.scope_of(ApiKey.objects.get(pk=forged.pk)).grants == ()


def test_no_key_carries_more_rights_than_its_creator(client, world):
    """Every key-managing persona tries every key role for every organisation the page lets it
    choose; whatever key comes out may do nothing, in any county, that its creator may not."""
    made = 0
    for persona in PERSONAS:
        creator = world.users[persona]
        if not policy.can(creator, "accounts.manage_api_keys"):
            continue
        login(client, creator)
        choices = client.get(PAGE).context["form"].fields["organisation"].queryset
        for organisation in choices.filter(code__in=["R20", "2080", "2084", "R18", "1880"]):
            for role in ApiKeyRole.values:
                client.post(PAGE, {"organisation": organisation.pk, "name": f"{persona}-{role}", "role": role})
                key = ApiKey.objects.filter(name=f"{persona}-{role}", organisation=organisation).first()
                if key is None:
                    continue
                made += 1
                for action in policy.RULES:
                    for county in ("20", "18"):
                        if policy.can(key, action, policy.Place(county=county)):
                            assert policy.can(creator, action, policy.Place(county=county)), (
                                persona,
                                organisation,
                                role,
                            )
                for unit in world.lunden, world.avesta_unit, world.falun_ward, world.orebro_unit:
                    if policy.can(key, "capacity.report", unit):
                        assert policy.can(creator, "capacity.report", unit), (persona, organisation, role, unit)
    assert made >= 5  # each coordinator its own role; the administrator a fitting role for each


def test_the_command_refuses_a_role_that_does_not_fit_the_organisations_kind(world):
    with pytest.raises(CommandError, match="Falun"):
        call_command(
            "create_api_key",
            "--organisation",
            "2080",
            "--name",
            "x",
            "--role",
            "region_coordinator",
            stdout=io.StringIO(),
        )
    with pytest.raises(CommandError, match="Region Dalarna"):
        call_command(
            "create_api_key",
            "--organisation",
            "R20",
            "--name",
            "x",
            "--role",
            "municipal_coordinator",
            stdout=io.StringIO(),
        )
    assert not ApiKey.objects.exists()


def test_the_command_makes_no_key_for_a_private_provider(world):
    provider = Organisation.objects.create(
        code="P-lifecare", name="Lifecare", kind=OrganisationKind.PROVIDER, county_id="20"
    )
    for role in ([], ["--role", "municipal_coordinator"], ["--role", "region_coordinator"]):
        with pytest.raises(CommandError):
            call_command("create_api_key", "--organisation", provider.code, "--name", "x", *role, stdout=io.StringIO())
    assert not ApiKey.objects.exists()


def test_keys_whose_role_does_not_fit_are_revoked_by_the_migration_and_audited(world):
    fitting, _ = services.api_key_create(
        organisation=world.avesta, name="ok", role="municipal_coordinator", by=policy.SYSTEM
    )
    forged, _ = services.api_key_create(
        organisation=world.falun, name="forged", role="municipal_coordinator", by=policy.SYSTEM
    )
    ApiKey.objects.filter(pk=forged.pk).update(role=ApiKeyRole.REGION_COORDINATOR)
    migration = importlib.import_module("samverkan.accounts.migrations.0004_revoke_keys_with_unfitting_roles")
    migration.revoke_unfitting_keys(apps, None)
    forged.refresh_from_db()
    fitting.refresh_from_db()
    assert forged.revoked_at is not None
    assert fitting.revoked_at is None
    event = AuditEvent.objects.get(event_type="accounts.api_key_revoked", object_id=str(forged.pk))
    assert event.organisation_id == world.falun.pk
    assert event.after["reason"]
    assert not AuditEvent.objects.filter(event_type="accounts.api_key_revoked", object_id=str(fitting.pk)).exists()
