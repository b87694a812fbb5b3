"""Every audit event type the code writes has a human label (issue 16, part 9).

An event type is any text `<app label>.<snake_case>` in the code of samverkan/ (tests,
migrations and the policy's action names aside), and the f-string event types of the state
tables (`placements.request_<action>`, `resources.loan_<action>`) expanded over their actions.
A new app, or a new event type, adds its label to `<app>/events.py` (`LABELS`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import translation

from samverkan.audit.events import event_label, labels_of
from samverkan.audit.services import audit_record
from samverkan.organisations import policy
from samverkan.placements import states as placement_states
from samverkan.resources import states as resource_states
from samverkan.testing import login

ROOT = Path(__file__).resolve().parent.parent / "samverkan"
# f-string event types: their fixed start and the values of the one placeholder.
EXPANSIONS = {
    "placements.request_": list(placement_states.TRANSITIONS),
    "resources.loan_": list(resource_states.TRANSITIONS),
}
# The admin site's own events, named by the model (tested below).
GENERIC = {ROOT / "audit" / "admin.py"}


def _app_labels() -> list[str]:
    return [config.label for config in apps.get_app_configs() if config.name.startswith("samverkan.")]


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        if {"tests", "migrations"} & set(path.parts) or path.name == "policy.py":
            continue
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def written_event_types() -> set[str]:
    shape = re.compile(r"^(" + "|".join(_app_labels()) + r")\.[a-z][a-z0-9_]*$")
    found: set[str] = set()
    for path, tree in _sources():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and shape.match(node.value)
                and node.value not in policy.RULES  # the policy's actions
                and not node.value.endswith("_")  # the start of an f-string
            ):
                found.add(node.value)
            if isinstance(node, ast.keyword) and node.arg == "event_type" and isinstance(node.value, ast.JoinedStr):
                if path in GENERIC:
                    continue
                parts = node.value.values
                start = parts[0].value if parts and isinstance(parts[0], ast.Constant) else ""
                assert start in EXPANSIONS and len(parts) == 2, (
                    f"{path.relative_to(ROOT)}: event type f-string starting {start!r}: list its values in "
                    "EXPANSIONS here and give each a label"
                )
                found.update(start + value for value in EXPANSIONS[start])
    return found


def test_the_scan_finds_the_event_types_of_every_writing_app():
    found = written_event_types()
    assert {"placements.offer_created", "capacity.report_created", "placements.request_withdraw"} <= found
    assert {t.split(".")[0] for t in found} >= {"accounts", "capacity", "flow", "placements", "meetings", "situation"}


def test_every_written_event_type_has_a_label():
    missing = sorted(t for t in written_event_types() if t not in labels_of(t.split(".")[0]))
    assert missing == [], f"add labels to <app>/events.py for: {missing}"


def test_labels_are_swedish():
    with translation.override("sv"):
        assert event_label("placements.offer_created") == "Platser erbjudna"
        assert event_label("organisations.unit_changed") == "Enhet ändrad"
        assert event_label("capacity.capacityreport_changed") == "Ändrad i administrationen: kapacitetsrapport"
        assert event_label("no.such_thing") == "no.such_thing"
    types = sorted(written_event_types())
    with translation.override("en"):
        english = [event_label(t) for t in types]
    with translation.override("sv"):
        untranslated = [t for t, label in zip(types, english, strict=True) if event_label(t) == label]
    assert untranslated == [], f"no Swedish in samverkan/locale/sv for the labels of {untranslated}"


@pytest.mark.django_db
def test_home_and_review_pages_show_the_label_not_the_code(world, client):
    with transaction.atomic():
        audit_record(by=policy.SYSTEM, event_type="placements.offer_created", organisation=world.falun)
    client = login(client, world.region_coordinator)
    for page in ("/", "/granskning/"):
        body = client.get(page).content.decode()
        assert ">Platser erbjudna</td>" in body, page
        assert ">placements.offer_created</td>" not in body, page
    form = client.get("/granskning/").content.decode()
    assert '<option value="placements.offer_created">Platser erbjudna</option>' in form
