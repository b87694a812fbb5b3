"""API keys: created once, stored hashed, scoped to their organisation, revocable."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from samverkan.accounts import services
from samverkan.accounts.models import ApiKey, ApiKeyRole
from samverkan.audit.models import AuditEvent
from samverkan.organisations import policy
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def _bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_command_prints_the_key_once_and_stores_only_its_hash(world):
    out = io.StringIO()
    call_command("create_api_key", "--organisation", "2080", "--name", "Lifecare SP", stdout=out)
    raw = next(line for line in out.getvalue().splitlines() if line.startswith("sv_"))
    key = ApiKey.objects.get(name="Lifecare SP")
    assert key.organisation == world.falun
    assert key.role == ApiKeyRole.MUNICIPAL_COORDINATOR
    assert raw not in str(list(ApiKey.objects.values()))
    assert key.key_hash == services.hash_api_key(raw)
    assert AuditEvent.objects.filter(event_type="accounts.api_key_created", object_id=str(key.pk)).exists()


def test_command_finds_regions_by_organisation_code(world):
    out = io.StringIO()
    call_command("create_api_key", "--organisation", "R20", "--name", "Cosmic", stdout=out)
    assert ApiKey.objects.get(name="Cosmic").role == ApiKeyRole.REGION_COORDINATOR


def test_command_rejects_unknown_organisations(world):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("create_api_key", "--organisation", "9999", "--name", "x")


def test_a_key_acts_within_its_own_county(client, world):
    _, raw = services.api_key_create(
        organisation=world.falun, name="t", role=ApiKeyRole.MUNICIPAL_COORDINATOR, by=policy.SYSTEM
    )
    response = client.get("/api/v1/organisations", **_bearer(raw))
    assert response.status_code == 200
    counties = {row["county"] for row in response.json()}
    assert counties == {"20"}


def test_a_revoked_key_is_refused(client, world):
    key, raw = services.api_key_create(
        organisation=world.falun, name="t", role=ApiKeyRole.MUNICIPAL_COORDINATOR, by=policy.SYSTEM
    )
    assert client.get("/api/v1/units", **_bearer(raw)).status_code == 200
    services.api_key_revoke(api_key=key, by=world.falun_coordinator)
    response = client.get("/api/v1/units", **_bearer(raw))
    assert response.status_code == 401
    assert "detail" in response.json()


def test_unknown_keys_get_a_clear_401(client, world):
    response = client.get("/api/v1/units", **_bearer("sv_nope_nope"))
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_key_page_creates_and_revokes(client, world):
    login(client, world.falun_coordinator)
    response = client.post(
        "/konto/api-keys/", {"organisation": world.falun.pk, "name": "Prator", "role": "municipal_coordinator"}
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="Prator")
    assert "sv_" + key.prefix in response.content.decode()
    client.post(f"/konto/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_a_coordinator_cannot_create_keys_for_another_organisation(client, world):
    login(client, world.falun_coordinator)
    client.post("/konto/api-keys/", {"organisation": world.avesta.pk, "name": "x", "role": "municipal_coordinator"})
    assert not ApiKey.objects.filter(name="x").exists()


def test_a_coordinator_cannot_revoke_another_organisations_key(client, world):
    key, _ = services.api_key_create(
        organisation=world.avesta, name="t", role=ApiKeyRole.MUNICIPAL_COORDINATOR, by=policy.SYSTEM
    )
    response = login(client, world.falun_coordinator).post(f"/konto/api-keys/{key.pk}/revoke/")
    assert response.status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_revoke_command(world):
    key, _ = services.api_key_create(organisation=world.region, name="t", role="region_coordinator", by=policy.SYSTEM)
    call_command("revoke_api_key", key.prefix, stdout=io.StringIO())
    key.refresh_from_db()
    assert key.revoked_at is not None
