"""The episode list offers only what its reader may see, and says "no access" rather than "0
episodes"; the ready-for-discharge list shows days waiting, not discharge columns that are
always empty (issue 16, part 5)."""

from __future__ import annotations

import re

import pytest

from samverkan.audit.models import AccessLogEntry
from samverkan.capacity.tests.helpers import at, local
from samverkan.flow.imports import source_for
from samverkan.flow.tests.helpers import csv_bytes, row, run_import
from samverkan.testing import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def _options(body: str) -> list[str]:
    select = body.split('name="municipality"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"', select)


def test_a_municipal_coordinator_is_offered_only_their_own_municipality(client, world):
    body = login(client, world.falun_coordinator).get("/flode/vardtillfallen/?county=20").content.decode()
    assert _options(body) == ["", "2080"]
    client.logout()
    region = login(client, world.region_coordinator).get("/flode/vardtillfallen/?county=20").content.decode()
    assert len(_options(region)) == 1 + 15  # all of Dalarna's municipalities


def test_choosing_a_municipality_out_of_scope_says_no_access_not_no_episodes(client, world):
    run_import(source_for("20", "Cosmic"), csv_bytes(row(source_id="A1", home_municipality="2084")))
    body = (
        login(client, world.falun_coordinator)
        .get("/flode/vardtillfallen/", {"county": "20", "municipality": "2084", "reason": "Planering"})
        .content.decode()
    )
    assert "You have no access to the episodes of residents of Avesta." in body
    assert "0 episodes" not in body
    assert not AccessLogEntry.objects.exists()  # nothing was read


def test_the_ready_for_discharge_list_shows_days_waiting_and_no_discharge_columns(client, world):
    run_import(
        source_for("20", "Cosmic"),
        csv_bytes(row(source_id="W1", ready_at="2026-09-02T10:00"), row(source_id="W2", ready_at="2026-09-05T23:00")),
    )
    login(client, world.falun_coordinator)
    with at(local(2026, 9, 7, 9)):
        body = client.get("/flode/vardtillfallen/", {"county": "20", "status": "waiting", "reason": "Planering"})
        everyone = client.get("/flode/vardtillfallen/", {"county": "20", "reason": "Planering"}).content.decode()
    html = body.content.decode()
    header = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert "Days waiting" in header
    assert "Discharged" not in header and "Destination" not in header
    rows = re.findall(r'<th scope="row">(W\d)</th>.*?<td class="num">(\d+)</td>', html)
    assert rows == [("W1", "5"), ("W2", "2")]  # 2 → 7 September, 5 → 7 September (local dates)
    assert "Discharged" in everyone.split("<thead>", 1)[1].split("</thead>", 1)[0]
