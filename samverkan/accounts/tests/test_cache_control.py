"""Pages and API answers that carry secrets (a new API key, the key list, the authenticator's
secret, login and password forms) tell browsers and proxies not to keep them: `no-store`."""

import pytest

from samverkan.accounts import services
from samverkan.accounts.models import ApiKeyRole
from samverkan.organisations import policy
from samverkan.testing import PASSWORD, login

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    "path", ["/konto/login/", "/konto/password/reset/", "/konto/password/reset/sent/", "/konto/password/reset/done/"]
)
def test_login_and_password_pages_are_not_stored(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert _no_store(response)


def test_the_code_page_after_the_password_is_not_stored(client, world):
    client.post("/konto/login/", {"username": world.falun_coordinator.email, "password": PASSWORD})
    response = client.get("/konto/login/code/")
    assert response.status_code == 200
    assert _no_store(response)


def test_the_new_key_and_the_key_list_are_not_stored(client, world):
    login(client, world.region_coordinator)
    assert _no_store(client.get("/konto/api-keys/"))
    response = client.post(
        "/konto/api-keys/",
        {"organisation": world.region.pk, "name": "Cosmic", "role": ApiKeyRole.REGION_COORDINATOR},
    )
    assert "sv_" in response.content.decode()  # the raw key, shown once
    assert _no_store(response)


def test_api_answers_to_a_key_are_not_stored(client, world):
    _, raw = services.api_key_create(
        organisation=world.falun, name="t", role=ApiKeyRole.MUNICIPAL_COORDINATOR, by=policy.SYSTEM
    )
    response = client.get("/api/v1/organisations", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert _no_store(response)
    refused = client.get("/api/v1/organisations", HTTP_AUTHORIZATION="Bearer sv_wrong")
    assert refused.status_code == 401
    assert _no_store(refused)
