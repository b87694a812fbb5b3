"""POST /api/v1/flow/episodes: the same rules as the files, for systems."""

from __future__ import annotations

import pytest

from samverkan.accounts.services import api_key_create
from samverkan.flow.models import Episode
from samverkan.organisations import policy

pytestmark = pytest.mark.django_db

EPISODE = {"source_id": "X1", "home_municipality": "2080", "care_type": "somatic", "admitted_at": "2026-10-01T08:00"}


def _post(client, body, key):
    return client.post(
        "/api/v1/flow/episodes", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )


def test_a_region_key_imports_episodes_and_a_second_call_changes_nothing(client, world):
    _, key = api_key_create(organisation=world.region, name="Cosmic", role="region_coordinator", by=policy.SYSTEM)
    body = {"source": "Cosmic", "county": "20", "episodes": [EPISODE, {**EPISODE, "source_id": "X2", "covid": True}]}
    first = _post(client, body, key)
    assert first.status_code == 201, first.content
    assert first.json() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "dry_run": False}
    assert _post(client, body, key).json()["unchanged"] == 2
    assert Episode.objects.filter(covid=True).count() == 1


def test_a_bad_episode_rejects_the_whole_call_with_row_and_column(client, world):
    _, key = api_key_create(organisation=world.region, name="Cosmic", role="region_coordinator", by=policy.SYSTEM)
    body = {
        "source": "Cosmic",
        "county": "20",
        "episodes": [EPISODE, {**EPISODE, "source_id": "X2", "care_type": "kirurgi"}],
    }
    response = _post(client, body, key)
    assert response.status_code == 422
    # In Swedish, the API's language as everywhere else.
    assert response.json()["errors"] == [
        {"row": 2, "column": "care_type", "message": "Använd somatic eller psychiatric, inte 'kirurgi'."}
    ]
    assert not Episode.objects.exists()


def test_a_municipal_key_may_not_import(client, world):
    _, key = api_key_create(organisation=world.falun, name="x", role="municipal_coordinator", by=policy.SYSTEM)
    assert _post(client, {"source": "C", "county": "20", "episodes": [EPISODE]}, key).status_code == 403
