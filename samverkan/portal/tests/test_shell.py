"""The interface shell: security headers, error pages, language, navigation by role."""

import pytest

from samverkan.testing import login

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/konto/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_pages_have_no_inline_script_or_style(client, world):
    login(client, world.region_coordinator)
    for url in ["/", "/konto/", "/organisationer/", "/granskning/", "/tillganglighet/"]:
        body = client.get(url).content.decode()
        assert "<script>" not in body and "style=" not in body and "<style" not in body, url


def test_swedish_is_the_default_language(client):
    body = client.get("/konto/login/").content.decode()
    assert 'lang="sv"' in body
    assert "Logga in" in body


def test_the_language_switch_turns_english_on(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/konto/login/"})
    body = client.get("/konto/login/").content.decode()
    assert 'lang="en"' in body
    assert "Log in to Samverkan" in body


def test_404_page_is_in_the_sites_style(client):
    response = client.get("/finns-inte/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "skip-link" in body and "Samverkan" in body


def test_403_page_is_in_the_sites_style(client, world):
    response = login(client, world.viewer).get("/granskning/")
    assert response.status_code == 403
    assert "skip-link" in response.content.decode()


def test_navigation_follows_the_role(client, world):
    viewer_page = login(client, world.viewer).get("/").content.decode()
    assert "/granskning/" not in viewer_page
    client.logout()
    coordinator_page = login(client, world.region_coordinator).get("/").content.decode()
    assert "/granskning/" in coordinator_page


def test_accessibility_statement_is_public(client):
    response = client.get("/tillganglighet/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "WCAG" in body and "2.1" in body


def test_home_page_tells_an_admin_about_users_without_second_factor(client, world):
    client.cookies["django_language"] = "en"
    body = login(client, world.admin).get("/").content.decode()
    # Of the personas who need a second factor, only the admin has one (login() gave it).
    assert "5 users who need a second factor have not enrolled one yet." in body


def test_home_page_asks_users_without_roles_to_get_access(client, db):
    from samverkan.accounts.models import User

    user = User.objects.create_user("ny@test.samverkan.se", "Lösenord-som-duger-1")
    body = login(client, user).get("/").content.decode()
    assert "administratör" in body.lower()


def test_500_page_renders_without_context(rf):
    from samverkan.errors import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert "Något gick fel" in response.content.decode()


def test_a_browser_asking_for_english_still_gets_swedish(client):
    body = client.get("/konto/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="sv"' in body


def test_home_page_asks_unit_staff_to_report_when_their_report_is_stale(client, world):
    client.cookies["django_language"] = "en"
    body = login(client, world.lunden_staff).get("/").content.decode()
    assert "Lunden korttidsboende has no current capacity report" in body
    assert f"/kapacitet/enheter/{world.lunden.pk}/rapportera/" in body
    assert "Avesta korttidsboende has no current" not in body


def test_home_page_tells_the_region_how_many_units_are_overdue(client, world):
    client.cookies["django_language"] = "en"
    body = login(client, world.region_coordinator).get("/").content.decode()
    assert "units in Dalarnas län have not reported their places." in body
