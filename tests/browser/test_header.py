"""The header at 1 366 px: one line, menus grouped in disclosures that open by keyboard (issue 16,
part 11)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("persona", ["admin", "region_coordinator", "falun_coordinator"])
def test_the_header_is_one_line_at_1366_px(world, open_page, csp_errors, persona):
    page = open_page(world.users[persona], viewport={"width": 1366, "height": 800})
    page.goto("/")
    brand = page.locator(".brand").bounding_box()
    logout = page.locator(".user-tools .button--link").bounding_box()
    nav = page.locator(".main-nav").bounding_box()
    assert brand and logout and nav
    # Brand, menu and the user's tools share one row: their tops are within a line of each other.
    tops = [brand["y"], nav["y"], logout["y"]]
    assert max(tops) - min(tops) < 20, tops
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert csp_errors == []


def test_a_menu_group_opens_and_is_followed_by_keyboard(world, open_page, live_server):
    page = open_page(world.region_coordinator, viewport={"width": 1366, "height": 800})
    page.goto("/")
    places = page.locator(".nav-group summary", has_text="Platser")
    capacity = page.locator(".nav-group a[href='/kapacitet/']")
    expect(capacity).to_be_hidden()
    places.focus()
    page.keyboard.press("Enter")
    expect(capacity).to_be_visible()
    page.keyboard.press("Tab")
    expect(capacity).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/kapacitet/"
