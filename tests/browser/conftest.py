"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

One browser for all the browser tests (a package-scoped fixture: it closes after the last of them,
so the rest of the suite runs without Playwright's event loop), a fresh context (cookies, storage)
for every page a test opens. Never downloads a browser: without /usr/bin/chromium the tests are skipped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from samverkan import testing
from samverkan.organisations.models import County, Municipality, Organisation

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Transactional tests flush the database after each test. Loading the reference data through
# the management command takes seconds, so the first load is kept and later tests re-insert it.
_REFERENCE_ROWS: list[list] = []


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install chromium) to run browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread while the browser is open;
    # Django would otherwise refuse the tests' own database queries as "called from an async context".
    # Set in os.environ only while the browser is open: child processes other tests start (manage.py
    # check --deploy) inherit the environment and rightly reject this variable.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def world(browser, live_server, transactional_db) -> testing.World:
    """The personas, in the live server's (transactional) database."""
    if _REFERENCE_ROWS and not Municipality.objects.exists():
        for rows in _REFERENCE_ROWS:
            type(rows[0]).objects.bulk_create(rows)
    testing.ensure_reference_data()
    if not _REFERENCE_ROWS:
        _REFERENCE_ROWS.extend(list(model.objects.all()) for model in (County, Municipality, Organisation))
    return testing.build_world()


@pytest.fixture
def csp_errors() -> list[str]:
    """Console errors about the Content-Security-Policy, from every page the test opened."""
    return []


@pytest.fixture
def open_page(browser, live_server, csp_errors) -> Iterator[Callable]:
    """open_page(user=None, bypass_csp=False, viewport=1280x900) -> a page in a new browser context.

    With a user, the context carries a session logged in with a verified second factor
    (the real login forms are tested in test_login.py). Swedish is the browser's language."""
    contexts = []

    def _open(user=None, *, bypass_csp: bool = False, viewport: dict | None = None):
        context = browser.new_context(
            base_url=live_server.url,
            bypass_csp=bypass_csp,
            viewport=viewport or {"width": 1280, "height": 900},
            locale="sv-SE",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        if user is not None:
            client = testing.login(Client(), user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                csp_errors.append(f"{page.url}: {message.text}")
                if message.type == "error" and "content security policy" in message.text.lower()
                else None
            ),
        )
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def enter_password() -> Callable:
    """enter_password(page, email, password): the first login step, by keyboard, on a fresh page."""

    def _enter(page, email: str, password: str = testing.PASSWORD) -> None:
        page.goto("/konto/login/")
        page.wait_for_function("document.activeElement && document.activeElement.id === 'id_username'")
        page.keyboard.type(email)
        page.keyboard.press("Tab")
        page.keyboard.type(password)
        with page.expect_navigation():
            page.keyboard.press("Enter")

    return _enter
