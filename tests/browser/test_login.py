"""Logging in through the real forms, switching language and skipping to the content, in a real browser."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from samverkan.testing import current_code, enrolment_links, totp_device

pytestmark = pytest.mark.browser


def swedish(message: str, **values) -> str:
    """The text the server renders in Swedish (msgid itself while the catalogue lacks it)."""
    with translation.override("sv"):
        return translation.gettext(message) % values if values else translation.gettext(message)


def english(message: str, **values) -> str:
    with translation.override("en"):
        return translation.gettext(message) % values if values else translation.gettext(message)


def test_municipal_coordinator_logs_in_with_password_and_code_by_keyboard(
    world, open_page, enter_password, live_server, csp_errors
):
    user = world.falun_coordinator
    device = totp_device(user)
    page = open_page()

    enter_password(page, user.email)

    expect(page).to_have_url(re.compile(r"/konto/login/code/"))
    expect(page.locator("#id_token")).to_be_focused()
    page.keyboard.type(current_code(device))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("h1")).to_have_text(swedish("Welcome, %(name)s", name=user.get_short_name()))
    expect(page.locator(".main-nav a[aria-current='page']")).to_have_attribute("href", "/")
    assert csp_errors == []


def test_first_login_sets_up_the_authenticator_through_the_e_mailed_link(
    world, open_page, enter_password, live_server, csp_errors
):
    user = world.avesta_coordinator  # a coordinator without an authenticator yet
    page = open_page()
    enter_password(page, user.email)

    expect(page).to_have_url(re.compile(r"/konto/login/code/"))
    expect(page.locator("h1")).to_have_text(swedish("Set up your authenticator app"))
    expect(page.locator(".qr svg")).to_have_count(0)  # the password alone shows no secret
    expect(page.locator("main")).to_contain_text(user.email)

    page.goto(enrolment_links(user)[-1])  # the link from the e-mail, in the same browser
    expect(page).to_have_url(re.compile(r"/konto/login/code/$"))
    expect(page.locator(".qr svg")).to_be_visible()
    expect(page.locator("#id_token")).to_be_focused()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.keyboard.type(current_code(device))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("h1")).to_have_text(swedish("Welcome, %(name)s", name=user.get_short_name()))
    assert csp_errors == []


def test_wrong_code_keeps_the_user_on_the_code_page(world, open_page, enter_password, csp_errors):
    user = world.falun_coordinator
    device = totp_device(user)
    page = open_page()
    enter_password(page, user.email)

    wrong = f"{(int(current_code(device)) + 500_000) % 1_000_000:06d}"
    page.locator("#id_token").fill(wrong)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/konto/login/code/"))
    expect(page.locator("#id_token_error")).to_be_visible()
    expect(page.locator("h1")).to_have_text(swedish("Enter your code"))
    assert csp_errors == []


def test_language_switch_turns_the_page_to_english_and_back(world, open_page, csp_errors):
    user = world.falun_coordinator
    page = open_page(user)
    page.goto("/")
    html, heading = page.locator("html"), page.locator("h1")
    name = user.get_short_name()
    expect(html).to_have_attribute("lang", "sv")
    expect(heading).to_have_text(swedish("Welcome, %(name)s", name=name))

    page.locator("#language-select").select_option("en")
    with page.expect_navigation():
        page.locator(".language-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(html).to_have_attribute("lang", "en")
    expect(heading).to_have_text(english("Welcome, %(name)s", name=name))
    expect(page.locator("#language-select")).to_have_value("en")
    expect(page.locator(".skip-link")).to_have_text("Skip to main content")

    page.locator("#language-select").select_option("sv")
    with page.expect_navigation():
        page.locator(".language-form button[type=submit]").click()

    expect(html).to_have_attribute("lang", "sv")
    expect(heading).to_have_text(swedish("Welcome, %(name)s", name=name))
    expect(page.locator(".skip-link")).to_have_text(swedish("Skip to main content"))
    assert csp_errors == []


@pytest.mark.parametrize("persona, path", [(None, "/tillganglighet/"), ("region_coordinator", "/")])
def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(world, open_page, csp_errors, persona, path):
    page = open_page(world.users[persona] if persona else None)
    page.goto(path)

    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_attribute("href", "#main")
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, f"the focused skip link is off screen: {box}"

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab stop comes after the header: inside main or after it, never back in the navigation.
    page.keyboard.press("Tab")
    assert page.evaluate(
        """() => {
            const main = document.getElementById('main');
            const active = document.activeElement;
            return main.contains(active) || !!(main.compareDocumentPosition(active) & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    ), "after the skip link the next Tab stop went back into the header"
    assert csp_errors == []
