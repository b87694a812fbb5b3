"""What a coordinator sees first (issue 16, part 11): a header of grouped menus with the situation
report in it, and a heat table of free places and waits for discharge per municipality."""

from __future__ import annotations

import re

import pytest

from samverkan.capacity.tests.helpers import at, local, report
from samverkan.flow.imports import source_for
from samverkan.flow.tests.helpers import csv_bytes, row, run_import
from samverkan.testing import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def _nav(body: str) -> str:
    return body.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]


def test_the_menu_is_grouped_and_names_the_situation_report(client, world):
    nav = _nav(login(client, world.region_coordinator).get("/").content.decode())
    top_level = re.findall(r"^          <li", nav, flags=re.MULTILINE)
    assert len(top_level) <= 6  # Home, Places, Patient flow, Situation report, Forums, More
    assert '<a href="/lagesbild/">Situation report</a>' in nav
    groups = re.findall(r"<details><summary>([^<]+)</summary>", nav)
    assert groups == ["Places", "Patient flow", "More"]
    for link in ("/kapacitet/", "/platser/", "/flode/", "/granskning/"):
        assert f'href="{link}"' in nav


def test_the_group_of_the_current_page_is_marked(client, world):
    nav = _nav(login(client, world.region_coordinator).get("/kapacitet/").content.decode())
    assert '<li class="nav-group is-current"><details><summary>Places</summary>' in nav
    assert '<a href="/kapacitet/" aria-current="page">' in nav


def test_the_home_page_shows_free_places_and_waits_per_municipality(client, world):
    run_import(
        source_for("20", "Cosmic"),
        csv_bytes(
            row(source_id="W1", ready_at="2026-09-01T10:00"),
            row(source_id="W2", ready_at="2026-09-04T10:00"),
            row(source_id="W3", home_municipality="2084", ready_at="2026-09-06T10:00"),
        ),
    )
    with at(local(2026, 9, 7, 9)):
        report(world.lunden, world.lunden_staff, staffed=16, occupied=16)  # Falun: none free, red
        body = login(client, world.region_coordinator).get("/").content.decode()
        falun_view = login(client, world.falun_coordinator).get("/").content.decode()
    table = body.split('<table class="heat">', 1)[1].split("</table>", 1)[0]
    falun = re.search(
        r'<tr class="rag rag--red"><th scope="row">Falun<span class="visually-hidden"> \(Red\)</span></th>(.*?)</tr>',
        table,
        flags=re.S,
    )
    assert falun is not None
    cells = re.findall(r'<td class="num[^"]*">(.*?)</td>', falun.group(1), flags=re.S)
    assert [c.strip() for c in cells] == ["0", "100 %", "2", "6"]
    avesta = re.search(r'<th scope="row">Avesta(?:<span[^>]*>[^<]*</span>)?</th>(.*?)</tr>', table, flags=re.S).group(1)
    assert re.findall(r'<td class="num[^"]*">(.*?)</td>', avesta)[2:] == ["1", "1"]
    # A municipal coordinator sees the waits of their own residents only.
    theirs = falun_view.split('<table class="heat">', 1)[1].split("</table>", 1)[0]
    avesta_theirs = re.search(
        r'<th scope="row">Avesta(?:<span[^>]*>[^<]*</span>)?</th>(.*?)</tr>', theirs, flags=re.S
    ).group(1)
    assert re.findall(r'<td class="num[^"]*">(.*?)</td>', avesta_theirs)[2:] == ["–", "–"]
