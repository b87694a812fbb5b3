"""Password reset is rate-limited per e-mail address and per client address, counted in the
database (shared by every app process), and the answer is the same whether a request was sent,
limited, or for no account at all (no account enumeration)."""

import pytest
from django.core import mail
from django.test import Client

from samverkan.accounts.models import RateLimitHit

pytestmark = pytest.mark.django_db

RESET = "/konto/password/reset/"


def _reset(email: str, address: str = "198.51.100.7", client: Client | None = None):
    return (client or Client()).post(RESET, {"email": email}, REMOTE_ADDR=address)


def _answer(response) -> tuple[int, str]:
    return response.status_code, response["Location"]


def test_fifteen_requests_for_one_address_send_only_a_few_mails(settings, world):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 3
    answers = {_answer(_reset(world.viewer.email, address=f"198.51.100.{i}")) for i in range(15)}
    assert len(mail.outbox) == 3
    assert answers == {(302, "/konto/password/reset/sent/")}  # limited or not, the same answer


def test_the_address_counts_however_it_is_written(settings, world):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 2
    for email in [world.viewer.email, world.viewer.email.upper(), f" {world.viewer.email} "]:
        _reset(email)
    assert len(mail.outbox) == 2


def test_one_client_address_cannot_mail_every_user(settings, world):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 4
    users = list(world.users.values())
    answers = {_answer(_reset(user.email, address="203.0.113.9")) for user in users}
    assert len(mail.outbox) == 4
    assert len(answers) == 1
    # Another client is not held back by the first one's requests.
    _reset(world.viewer.email, address="198.51.100.20")
    assert len(mail.outbox) == 5


def test_unknown_addresses_get_the_same_answer_and_count_towards_the_client_limit(settings, world):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 2
    unknown = _answer(_reset("nobody@example.se", address="203.0.113.9"))
    _reset("noone@example.se", address="203.0.113.9")
    assert unknown == _answer(_reset(world.viewer.email, address="203.0.113.9"))
    assert mail.outbox == []


def test_the_limits_are_shared_by_every_process_and_keep_no_address_in_clear(settings, world):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 1
    _reset(world.viewer.email, client=Client())
    _reset(world.viewer.email, client=Client())  # another session, as on another app process
    assert len(mail.outbox) == 1
    stored = str(list(RateLimitHit.objects.values()))
    assert world.viewer.email not in stored and "198.51.100.7" not in stored


def test_the_limit_lifts_after_an_hour(settings, world, time_machine):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 1
    time_machine.move_to("2026-03-05 08:00:00+01:00", tick=False)
    _reset(world.viewer.email)
    _reset(world.viewer.email)
    time_machine.move_to("2026-03-05 09:01:00+01:00", tick=False)
    _reset(world.viewer.email)
    assert len(mail.outbox) == 2
