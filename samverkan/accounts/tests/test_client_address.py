"""Behind TRUSTED_PROXY_COUNT proxies the client's address is the one the outermost trusted proxy
saw (the N-th entry of X-Forwarded-For from the right), never the balancer's own address and
never an entry the client wrote itself: lock-out counts failures per address and e-mail."""

import pytest
from django.test import Client, RequestFactory

from samverkan.clientip import client_ip
from samverkan.testing import PASSWORD

pytestmark = pytest.mark.django_db

BALANCER = "10.0.0.1"
CLIENT_A = "198.51.100.7"
CLIENT_B = "203.0.113.9"


def _request(forwarded: str | None, remote: str = BALANCER):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    "proxies, forwarded, expected",
    [
        (0, f"{CLIENT_B}, {CLIENT_A}", BALANCER),  # no trusted proxy: the header is not read at all
        (1, CLIENT_A, CLIENT_A),
        (1, f"{CLIENT_B}, {CLIENT_A}", CLIENT_A),  # the left-most entry is the client's own claim
        (2, f"{CLIENT_B}, {CLIENT_A}, 10.0.0.9", CLIENT_A),  # a CDN in front of the balancer
        (2, CLIENT_A, CLIENT_A),  # came in through the inner proxy only
        (1, f"{CLIENT_A}:51234", CLIENT_A),  # some proxies add the port
        (1, "[2001:db8::5]:443", "2001:db8::5"),
        (1, "not-an-address", BALANCER),
        (1, None, BALANCER),
        (1, "", BALANCER),
    ],
)
def test_the_client_address_is_the_trusted_proxys_entry(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request(forwarded)) == expected


def _login(client: Client, user, password: str, forwarded: str):
    return client.post(
        "/konto/login/",
        {"username": user.email, "password": password},
        REMOTE_ADDR=BALANCER,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_a_user_locked_out_from_one_client_can_still_log_in_from_another(settings, world):
    settings.TRUSTED_PROXY_COUNT = 1
    user = world.viewer
    attacker, owner = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, user, "Fel-lösenord-99", CLIENT_A)
    assert _login(attacker, user, PASSWORD, CLIENT_A).status_code == 429
    # The same balancer address, another client behind it: not locked out.
    response = _login(owner, user, PASSWORD, CLIENT_B)
    assert response.status_code == 302
    assert "_auth_user_id" in owner.session


def test_a_forged_left_most_entry_does_not_escape_the_lock_out(settings, world):
    settings.TRUSTED_PROXY_COUNT = 1
    user = world.viewer
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, user, "Fel-lösenord-99", CLIENT_A)
    # The attacker claims to be client B; the balancer appends the address it really saw.
    assert _login(attacker, user, PASSWORD, f"{CLIENT_B}, {CLIENT_A}").status_code == 429
