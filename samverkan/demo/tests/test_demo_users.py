"""The demo's users as `make demo` prints them and the README lists them: who needs an
authenticator code, who sees exact counts (issue 16, part 13)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.db import transaction

from samverkan.demo.management.commands import demo_data
from samverkan.organisations import policy

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def demo_users(db):
    command = demo_data.Command()
    with transaction.atomic():
        command._units()
        return command._users()


def _readme_row(email: str) -> list[str]:
    rows = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if f"| `{email}` |" in line]
    assert len(rows) == 1, f"README lists {email} once in the demo users' table"
    return [cell.strip() for cell in rows[0].strip("|").split("|")]


def test_the_readme_and_the_printed_table_say_who_needs_a_code_and_who_sees_exact_counts(demo_users, settings):
    settings.SITE_URL = "http://127.0.0.1:8010"
    printed = demo_data.users_table(demo_users)
    assert "http://127.0.0.1:8010/konto/login/" in printed[1]
    assert len(demo_users) == len(demo_data.DEMO_USERS)
    for user, membership in demo_users:
        code = policy.requires_second_factor(user)
        exact = policy.can(user, "flow.exact_counts", policy.Place(county=membership.organisation.county_id))
        _email, _role, _organisation, readme_code, readme_counts, _sees = _readme_row(user.email)
        assert readme_code == ("yes" if code else "no"), user.email
        assert readme_counts == ("exact" if exact else "rounded"), user.email
        line = next(line for line in printed if line.strip().startswith(user.email))
        assert line.split()[-3:-1] == ["yes" if code else "no", "exact" if exact else "rounded"], line
    by_email = {user.email: (user, membership) for user, membership in demo_users}
    analyst, _membership = by_email["analytiker@demo.samverkan.se"]
    assert not policy.requires_second_factor(analyst)
    assert not policy.can(analyst, "flow.view_episodes")  # read-only: no episode lists


def test_make_demo_gives_the_demo_its_own_port_in_links():
    dry_run = subprocess.run(
        ["make", "-n", "demo", "PORT=8123"],  # noqa: S607 - make from the PATH, as a newcomer runs it
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commands = [line for line in dry_run.splitlines() if "manage.py demo_data" in line or "runserver" in line]
    assert len(commands) == 2
    assert all("SITE_URL=http://127.0.0.1:8123" in line for line in commands)
