"""The API's rate limits (samverkan/apiauth.py): per API key (or the browser's user) and per client
address, answered 429 with Retry-After and a JSON message; the rates come from the environment
(API_RATE_PER_KEY, API_RATE_PER_IP). The tests set low rates; the defaults are generous."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from samverkan.accounts import ratelimits
from samverkan.accounts.models import RateLimitHit
from samverkan.accounts.services import api_key_create
from samverkan.api import api
from samverkan.env import env_rate
from samverkan.organisations import policy
from samverkan.testing import login

URL = "/api/v1/municipalities?county=20"
GENEROUS = (1000, 60)


def _bearer(world, name: str) -> dict[str, str]:
    _key, raw = api_key_create(organisation=world.region, name=name, role="region_coordinator", by=policy.SYSTEM)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _get(client, headers: dict[str, str], remote: str = "192.0.2.10", **extra: str):
    return client.get(URL, REMOTE_ADDR=remote, **headers, **extra)


def _assert_throttled(response, *, at_most: int) -> int:
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= at_most
    assert response.json() == {"detail": f"För många anrop: försök igen om {seconds} sekunder."}  # Swedish first
    return seconds


def test_a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_go_on(client, world, settings):
    settings.API_RATE_PER_KEY, settings.API_RATE_PER_IP = (3, 60), GENEROUS
    first, second = _bearer(world, "first"), _bearer(world, "second")
    assert [_get(client, first).status_code for _ in range(3)] == [200, 200, 200]
    seconds = _assert_throttled(_get(client, first), at_most=60)
    assert seconds >= 59  # the first of the three was counted a moment ago
    assert _get(client, first, remote="198.51.100.7").status_code == 429  # another address: still this key
    assert _get(client, second).status_code == 200


def test_retry_after_says_when_the_oldest_request_leaves_the_window(client, world, settings):
    settings.API_RATE_PER_KEY, settings.API_RATE_PER_IP = (2, 60), GENEROUS
    key = _bearer(world, "key")
    assert [_get(client, key).status_code for _ in range(2)] == [200, 200]
    RateLimitHit.objects.filter(scope="api.key").update(
        at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=50)
    )
    _assert_throttled(_get(client, key), at_most=10)
    # A refused request is not counted: once the window has passed, the key may ask again.
    RateLimitHit.objects.filter(scope="api.key").update(
        at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=61)
    )
    assert [_get(client, key).status_code for _ in range(2)] == [200, 200]
    assert _get(client, key).status_code == 429


def test_an_address_over_its_rate_gets_429_whatever_key_it_uses(client, world, settings):
    settings.API_RATE_PER_KEY, settings.API_RATE_PER_IP = GENEROUS, (4, 3600)
    keys = [_bearer(world, f"key {n}") for n in range(5)]
    assert [_get(client, key).status_code for key in keys[:4]] == [200] * 4
    _assert_throttled(_get(client, keys[4]), at_most=3600)
    assert _get(client, keys[4], remote="198.51.100.7").status_code == 200


def test_behind_a_proxy_the_client_address_counts_not_the_balancer_nor_what_the_client_wrote(client, world, settings):
    settings.API_RATE_PER_KEY, settings.API_RATE_PER_IP = GENEROUS, (2, 60)
    settings.TRUSTED_PROXY_COUNT = 1
    keys = [_bearer(world, f"key {n}") for n in range(4)]
    balancer = "10.0.0.2"

    def via(key, forwarded: str):
        return _get(client, key, remote=balancer, HTTP_X_FORWARDED_FOR=forwarded)

    # The client writes a different address in front each time; the balancer's entry is the one read.
    assert [via(keys[n], f"203.0.113.{n}, 192.0.2.50").status_code for n in range(2)] == [200, 200]
    assert via(keys[2], "203.0.113.9, 192.0.2.50").status_code == 429
    # Another client behind the same balancer has its own count.
    assert via(keys[3], "192.0.2.51").status_code == 200


def test_refused_keys_count_against_the_address(client, world, settings):
    settings.API_RATE_PER_KEY, settings.API_RATE_PER_IP = GENEROUS, (3, 60)
    wrong = {"HTTP_AUTHORIZATION": "Bearer not-a-key"}
    assert [_get(client, wrong).status_code for _ in range(3)] == [401, 401, 401]
    _assert_throttled(_get(client, wrong), at_most=60)
    assert _get(client, _bearer(world, "right")).status_code == 429  # the address is over its rate
    assert _get(client, wrong, remote="198.51.100.7").status_code == 401


def test_the_browser_session_counts_per_user(client, world, settings):
    settings.API_RATE_PER_KEY, settings.API_RATE_PER_IP = (2, 60), GENEROUS
    login(client, world.region_coordinator)
    assert [_get(client, {}).status_code for _ in range(2)] == [200, 200]
    _assert_throttled(_get(client, {}), at_most=60)
    login(client, world.falun_coordinator)
    assert _get(client, {}).status_code == 200


def test_the_limits_are_off_the_api(client, world, settings):
    """Pages are not API requests: a user over the API's rate still gets pages."""
    settings.API_RATE_PER_KEY, settings.API_RATE_PER_IP = (1, 60), (1, 60)
    login(client, world.region_coordinator)
    assert _get(client, {}).status_code == 200
    assert _get(client, {}).status_code == 429
    assert client.get("/kapacitet/", REMOTE_ADDR="192.0.2.10").status_code == 200


def test_every_operation_documents_429():
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert operations and all("429" in {str(status) for status in op["responses"]} for op in operations)


@pytest.mark.parametrize(
    ("raw", "rate"),
    [("1200/min", (1200, 60)), ("5/s", (5, 1)), ("10/5min", (10, 300)), ("100/hour", (100, 3600)), ("7/d", (7, 86400))],
)
def test_rates_are_read_from_the_environment(monkeypatch, raw, rate):
    monkeypatch.setenv("API_RATE_PER_KEY", raw)
    assert env_rate("API_RATE_PER_KEY", "1/s") == rate


def test_without_the_variable_the_default_holds(monkeypatch):
    monkeypatch.delenv("API_RATE_PER_KEY", raising=False)
    assert env_rate("API_RATE_PER_KEY", "1200/min") == (1200, 60)


@pytest.mark.parametrize("raw", ["1200", "abc/min", "0/min", "10/week", "10/0min", "-1/s", "1.5/s"])
def test_a_malformed_rate_stops_the_process_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("API_RATE_PER_IP", raw)
    with pytest.raises(ImproperlyConfigured, match="API_RATE_PER_IP"):
        env_rate("API_RATE_PER_IP", "1/s")


def test_rows_that_left_the_window_are_deleted_now_and_then(client, world, settings, monkeypatch):
    settings.API_RATE_PER_KEY, settings.API_RATE_PER_IP = (5, 60), GENEROUS
    key = _bearer(world, "key")
    assert _get(client, key).status_code == 200
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=61)
    RateLimitHit.objects.update(at=old)
    monkeypatch.setattr(ratelimits, "PURGE_EVERY", 1)  # every counted request purges
    assert _get(client, key).status_code == 200
    assert not RateLimitHit.objects.filter(at=old).exists()
    assert RateLimitHit.objects.filter(scope="api.key").count() == 1
