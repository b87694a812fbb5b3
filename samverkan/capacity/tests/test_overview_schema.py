"""The overview's OpenAPI schema is what the overview sends: every answer validates against the
schema as published at /api/v1/openapi.json, with no property the schema does not name, and an
answer that would not fit is refused on the server instead of reaching a client."""

from __future__ import annotations

import copy

import jsonschema_rs
import pytest

from samverkan.capacity import api as capacity_api
from samverkan.capacity import selectors
from samverkan.capacity.models import ClosureReason, UnitCapacity
from samverkan.capacity.tests.helpers import at, local, report
from samverkan.organisations.models import Unit, UnitKind
from samverkan.testing import login

pytestmark = pytest.mark.django_db
NOW = local(2026, 3, 4, 9, 30)  # Wednesday


def _strict(schema: dict) -> dict:
    """The schema with every object closed: a property it does not name fails validation too."""
    schema = copy.deepcopy(schema)

    def close(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


def _validator(client, path: str):
    published = client.get("/api/v1/openapi.json").json()
    answer = published["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    root = _strict({**answer, "components": published["components"]})
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


@pytest.fixture
def county(world):
    """Units in every state the overview shows: current, stale and over-occupied, closed, never reported."""
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 4, 8), physical=20, staffed=16, occupied=12, surge=2)
    report(world.avesta_unit, world.avesta_coordinator, when=local(2026, 3, 2, 8), staffed=10, occupied=12)
    UnitCapacity.objects.filter(unit=world.lunden).update(reserved=3)
    closed = Unit.objects.create(
        code="t-closed",
        name="Stängt boende",
        kind=UnitKind.SHORT_TERM,
        organisation=world.falun,
        municipality_id="2080",
    )
    report(closed, world.falun_coordinator, when=local(2026, 3, 4, 7), open_for_admission=False,
           closure_reason=ClosureReason.OUTBREAK)  # fmt: skip
    Unit.objects.create(
        code="t-new", name="Nytt boende", kind=UnitKind.SHORT_TERM, organisation=world.falun, municipality_id="2080"
    )


def test_the_overview_answers_exactly_its_published_schema(client, world, county):
    login(client, world.region_coordinator)
    validator = _validator(client, "/api/v1/capacity/overview")
    with at(NOW):
        body = client.get("/api/v1/capacity/overview?county=20").json()
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == []
    rows = {row["unit_name"]: row for row in body["units"]}
    assert rows["Nytt boende"]["staffed"] is None and rows["Nytt boende"]["reported_at"] is None
    assert rows["Stängt boende"]["open_for_admission"] is False
    assert rows["Stängt boende"]["closure_reason"] == "outbreak"
    assert rows["Avesta korttidsboende"]["stale"] is True
    assert body["totals"]["occupancy_rate"] == pytest.approx(body["totals"]["occupied"] / body["totals"]["staffed"])


def test_the_strict_schema_would_catch_a_property_it_does_not_name(client, world, county):
    """The check above can fail: an undocumented property, or a figure of the wrong type, is refused."""
    login(client, world.region_coordinator)
    validator = _validator(client, "/api/v1/capacity/overview")
    with at(NOW):
        body = client.get("/api/v1/capacity/overview?county=20").json()
    body["units"][0]["secret"] = 1
    assert not validator.is_valid(body)
    del body["units"][0]["secret"]
    body["totals"]["free"] = "many"
    assert not validator.is_valid(body)


def test_a_row_that_does_not_fit_the_schema_is_refused_on_the_server(world, county):
    """The answer is produced through the schema: a figure of the wrong type never leaves."""
    with at(NOW):
        overview = selectors.county_overview(world.region_coordinator, "20")
    overview.rows[0].unit_name = None  # a bug upstream: the schema says text
    with pytest.raises(ValueError, match="unit_name"):
        capacity_api._overview_response(overview)
