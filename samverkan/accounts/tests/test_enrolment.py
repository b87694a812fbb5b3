"""Setting up the authenticator app of a user whose role needs a second factor: after the password
the secret is not shown; a link is e-mailed instead (at login, or by an administrator), which
shows it only in the session that has just passed the password step, once, for a short time, and
never after an authenticator is set up. A mailbox alone (which can also reset the password) is
never enough."""

import re

import pytest
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.audit.models import AuditEvent
from samverkan.testing import PASSWORD, current_code, enrolment_links, login, totp_device

pytestmark = pytest.mark.django_db

CODE_PAGE = "/konto/login/code/"


def _password(client: Client, user, password: str = PASSWORD, next_url: str = ""):
    path = f"/konto/login/?next={next_url}" if next_url else "/konto/login/"
    return client.post(path, {"username": user.email, "password": password})


def _enrol(client: Client, user) -> None:
    """Open the code page (after the link) and give the code of the device whose secret it shows."""
    page = client.get(CODE_PAGE)
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(CODE_PAGE, {"token": current_code(device)})
    assert response.status_code == 302, response.content.decode()


def test_the_password_alone_shows_no_secret_but_sends_a_link(client, world):
    user = world.avesta_coordinator
    response = _password(client, user)
    assert response["Location"].startswith(CODE_PAGE)
    page = client.get(CODE_PAGE)
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" not in body and "otpauth" not in body
    assert not TOTPDevice.objects.filter(user=user).exists()  # no secret exists yet, let alone shown
    assert len(enrolment_links(user)) == 1
    assert user.email in body
    assert AuditEvent.objects.filter(event_type="accounts.enrolment_link_sent", actor=user).exists()
    assert client.get("/")["Location"].startswith("/konto/login/")  # not logged in


def test_the_link_in_the_password_session_shows_the_secret_and_enrols(client, world):
    user = world.avesta_coordinator
    _password(client, user)
    (link,) = enrolment_links(user)
    response = client.get(link)
    assert response["Location"].startswith(CODE_PAGE)  # the token leaves the address bar at once
    page = client.get(CODE_PAGE).content.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    assert "<svg" in page
    _enrol(client, user)
    assert client.get("/").status_code == 200
    assert TOTPDevice.objects.get(user=user, confirmed=True).config_url.count(secret) == 1
    for event in ["accounts.enrolment_link_opened", "accounts.second_factor_enrolled"]:
        assert AuditEvent.objects.filter(event_type=event, actor=user).exists(), event


def test_the_link_alone_shows_nothing_and_is_not_used_up(client, world):
    user = world.avesta_coordinator
    _password(client, user)
    (link,) = enrolment_links(user)
    thief = Client()  # someone who reads the mailbox but has not given the password
    page = thief.get(link)
    assert page.status_code == 200
    assert b"<svg" not in page.content and b"secret" not in page.content
    assert thief.get(CODE_PAGE)["Location"] == "/konto/login/"
    # The user's own session can still use it.
    client.get(link)
    _enrol(client, user)


def test_the_link_works_once(client, world):
    user = world.avesta_coordinator
    _password(client, user)
    (link,) = enrolment_links(user)
    client.get(link)
    assert client.get(link)["Location"].startswith(CODE_PAGE)  # a reload in the same session
    other = Client()
    _password(other, user, next_url=link)  # another browser with the password: the link is used up
    response = other.get(link)
    assert response.status_code == 410
    assert b"<svg" not in other.get(CODE_PAGE).content


def test_after_the_password_the_user_is_sent_back_to_a_link_opened_first(world):
    """The link opened on another device: log in there, and the link works there."""
    user = world.avesta_coordinator
    _password(Client(), user)
    (link,) = enrolment_links(user)
    phone = Client()
    page = phone.get(link).content.decode()
    login_url = re.search(r'href="(/konto/login/\?next=[^"]+)"', page).group(1).replace("&amp;", "&")
    response = phone.post(login_url, {"username": user.email, "password": PASSWORD})
    assert response["Location"] == link
    assert phone.get(link)["Location"].startswith(CODE_PAGE)
    _enrol(phone, user)
    assert len(enrolment_links(user)) == 1  # no second e-mail on the way


def test_the_link_expires(client, world, settings, time_machine):
    settings.ENROLMENT_LINK_MINUTES = 30
    user = world.avesta_coordinator
    time_machine.move_to("2026-03-05 08:00:00+01:00", tick=False)
    _password(client, user)
    (link,) = enrolment_links(user)
    time_machine.move_to("2026-03-05 08:31:00+01:00", tick=False)
    _password(client, user)  # (the session itself would have expired too)
    assert client.get(link).status_code == 410
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert len(enrolment_links(user)) == 2  # the login sent a new one


def test_the_link_belongs_to_its_user(client, world):
    avesta = world.avesta_coordinator
    _password(Client(), avesta)
    (link,) = enrolment_links(avesta)
    _password(client, world.falun_coordinator)  # another coordinator without an authenticator
    assert client.get(link).status_code == 410
    assert not TOTPDevice.objects.filter(user=avesta).exists()


def test_no_link_works_once_an_authenticator_is_set_up(world):
    user = world.avesta_coordinator
    first = Client()
    _password(first, user)
    first.post(CODE_PAGE, {"send_link": "1"})  # a second link, then the first is replaced
    old, new = enrolment_links(user)
    second = Client()
    _password(second, user)
    assert second.get(old).status_code == 410  # replaced by the newer link
    second.get(new)
    _enrol(second, user)
    third = Client()
    _password(third, user)
    assert third.get(new).status_code == 410
    assert len(enrolment_links(user)) == 2  # an enrolled user gets no more links


def test_new_links_on_request_are_rate_limited(client, world, settings):
    settings.ENROLMENT_LINKS_PER_HOUR = 3
    user = world.avesta_coordinator
    _password(client, user)
    for _ in range(5):
        client.post(CODE_PAGE, {"send_link": "1"})
    assert len(enrolment_links(user)) == 3
    page = client.get(CODE_PAGE).content.decode()
    assert "<svg" not in page


def test_a_mailbox_alone_cannot_reset_the_password_and_then_enrol(client, world):
    user = world.avesta_coordinator
    client.post("/konto/password/reset/", {"email": user.email})
    reset = re.search(r"/konto/password/reset/[^\s]+/", mail.outbox[-1].body).group(0)
    form = client.get(reset, follow=True)
    new_password = "Nytt-lösenord-2026!"
    client.post(form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert AuditEvent.objects.filter(event_type="accounts.password_reset", actor=user).exists()
    mail.outbox.clear()
    _password(client, user, password=new_password)
    assert enrolment_links(user) == []  # no link at login: it must come from an administrator
    page = client.get(CODE_PAGE).content.decode()
    assert "administrator" in page.lower() or "administratör" in page.lower()
    client.post(CODE_PAGE, {"send_link": "1"})
    assert enrolment_links(user) == []


def test_a_reset_deletes_an_open_link(client, world):
    user = world.avesta_coordinator
    _password(Client(), user)
    (link,) = enrolment_links(user)
    client.post("/konto/password/reset/", {"email": user.email})
    reset = re.search(r"/konto/password/reset/[^\s]+/", mail.outbox[-1].body).group(0)
    form = client.get(reset, follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": "Nytt-lösenord-2026!", "new_password2": "Nytt-lösenord-2026!"}
    )
    other = Client()
    _password(other, user, password="Nytt-lösenord-2026!")
    assert other.get(link).status_code == 410


def _admin_sends(client: Client, world, *users):
    login(client, world.admin)
    return client.post(
        "/admin/accounts/user/",
        {"action": "send_enrolment_link", "_selected_action": [u.pk for u in users]},
        follow=True,
    )


def test_an_administrator_sends_a_link_audited(client, world):
    user = world.avesta_coordinator
    page = _admin_sends(client, world, user, world.falun_coordinator, world.viewer)
    totp_device(world.falun_coordinator)  # (after the action: the Falun coordinator had none)
    assert page.status_code == 200
    assert len(enrolment_links(user)) == 1
    assert enrolment_links(world.viewer) == []  # no role that needs a second factor
    event = AuditEvent.objects.get(event_type="accounts.enrolment_link_sent", object_id=str(user.pk))
    assert event.actor == world.admin
    assert event.after["by_administrator"] is True
    # The user still logs in with the password, then the link works.
    own = Client()
    _password(own, user)
    assert len(enrolment_links(user)) == 1  # the administrator's link is still open: no new one
    own.get(enrolment_links(user)[0])
    _enrol(own, user)


def test_an_administrator_skips_users_who_have_an_authenticator(client, world):
    totp_device(world.falun_coordinator)
    page = _admin_sends(client, world, world.falun_coordinator)
    assert enrolment_links(world.falun_coordinator) == []
    assert "skipped" in page.content.decode() or "hoppades" in page.content.decode()


def test_after_a_reset_an_administrators_link_lets_the_user_enrol(client, world):
    user = world.avesta_coordinator
    user.enrolment_by_admin_only = True
    user.save()
    _admin_sends(Client(), world, user)
    user.refresh_from_db()
    assert user.enrolment_by_admin_only is False
    _password(client, user)
    client.get(enrolment_links(user)[0])
    _enrol(client, user)
