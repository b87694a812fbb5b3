"""Login: password rules, second factor for coordinators and admins, lock-out, session expiry."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError

from samverkan.audit.models import AuditEvent
from samverkan.testing import PASSWORD, current_code, login, totp_device

pytestmark = pytest.mark.django_db


def _password_step(client, user, password=PASSWORD):
    return client.post("/konto/login/", {"username": user.email, "password": password})


def test_viewer_logs_in_with_password_alone(client, world):
    response = _password_step(client, world.viewer)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(event_type="accounts.login", actor=world.viewer).exists()


@pytest.mark.parametrize("persona", ["admin", "region_coordinator", "falun_coordinator"])
def test_coordinators_and_admins_need_the_second_factor(client, world, persona):
    user = world.users[persona]
    device = totp_device(user)
    response = _password_step(client, user)
    assert response["Location"].startswith("/konto/login/code/")
    # Not logged in yet: the home page still asks for login.
    assert client.get("/")["Location"].startswith("/konto/login/")
    response = client.post("/konto/login/code/", {"token": current_code(device)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_wrong_code_is_refused_with_a_message(client, world):
    device = totp_device(world.falun_coordinator)
    _password_step(client, world.falun_coordinator)
    wrong = f"{(int(current_code(device)) + 1) % 1000000:06d}"
    response = client.post("/konto/login/code/", {"token": wrong})
    assert response.status_code == 200
    assert "code" in response.content.decode().lower()
    assert client.get("/").status_code == 302


def test_a_session_without_second_factor_is_ended(client, world):
    client.force_login(world.region_coordinator)  # a session that never gave the code
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/login/")
    assert "_auth_user_id" not in client.session


def test_wrong_password_gives_one_message_without_telling_which_part(client, world):
    response = _password_step(client, world.viewer, password="Fel-lösenord-99")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_out(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(client, world.viewer, password="Fel-lösenord-99")
    response = _password_step(client, world.viewer)  # even the right password is refused now
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sessions_expire_after_inactivity(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE <= 60 * 60


@pytest.mark.parametrize(
    "password",
    ["kort1!A", "alllowercaseletters", "123456789012345", "password12345"],
)
def test_weak_passwords_are_rejected(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_strong_password_is_accepted():
    validate_password("Korttid-Lunden-2026")


def test_password_reset_sends_a_link(client, world):
    response = client.post("/konto/password/reset/", {"email": world.viewer.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/konto/password/reset/" in mail.outbox[0].body


def test_logout_needs_post(client, world):
    login(client, world.viewer)
    assert client.get("/konto/logout/").status_code == 405
    assert client.post("/konto/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_account_page_lists_memberships(client, world):
    body = login(client, world.lunden_staff).get("/konto/").content.decode()
    assert "Lunden korttidsboende" in body
    assert "Falun" in body


def test_next_parameter_cannot_send_users_to_another_site(client, world):
    response = client.post(
        "/konto/login/?next=https://evil.example/", {"username": world.viewer.email, "password": PASSWORD}
    )
    assert response["Location"] == "/"


def test_the_right_code_right_after_a_wrong_one_is_told_to_wait_not_wrong(client, world, time_machine, settings):
    """django-otp refuses any code for a second after a wrong one (issue 16, part 8)."""
    settings.LANGUAGE_CODE = "sv"
    time_machine.move_to("2026-03-05 08:00:00+01:00", tick=False)
    device = totp_device(world.falun_coordinator)
    _password_step(client, world.falun_coordinator)
    right = current_code(device)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    body = client.post("/konto/login/code/", {"token": wrong}).content.decode()
    assert "Koden är fel" in body
    body = client.post("/konto/login/code/", {"token": right}).content.decode()
    assert "Vänta 1 sekund" in body
    assert "Koden är fel" not in body
    assert client.get("/").status_code == 302  # not logged in yet
    time_machine.move_to("2026-03-05 08:00:01+01:00", tick=False)
    response = client.post("/konto/login/code/", {"token": current_code(device)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
