"""The capacity API: reports in (one or a list, all or nothing), overview, history and FHIR out."""

from __future__ import annotations

import datetime
import json

import pytest
from fhir.resources.R4B.measurereport import MeasureReport

from samverkan.accounts.services import api_key_create
from samverkan.audit.models import AuditEvent
from samverkan.capacity.models import BedCategory, CapacityReport, UnitCapacity
from samverkan.capacity.tests.helpers import at, database_state, local, report, utc
from samverkan.organisations import policy
from samverkan.testing import login

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/capacity/reports"
NOW = local(2026, 3, 4, 9, 30)  # Wednesday


@pytest.fixture
def frozen():
    with at(NOW):
        yield NOW


@pytest.fixture
def falun_key(world):
    key, raw = api_key_create(organisation=world.falun, name="Lifecare", role="municipal_coordinator", by=policy.SYSTEM)
    return key, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _item(unit, **changes) -> dict:
    return {"unit": unit.pk, "physical": 20, "staffed": 16, "occupied": 12, **changes}


def _post(client, payload, **headers):
    return client.post(REPORTS, json.dumps(payload, default=str), content_type="application/json", **headers)


# --- Sending reports -----------------------------------------------------------------------


def test_one_report_is_stored_and_returned_with_201(client, world, frozen):
    login(client, world.lunden_staff)
    response = _post(client, _item(world.lunden, surge=2, comment="Lugnt"))
    assert response.status_code == 201, response.content
    (body,) = response.json()
    saved = CapacityReport.objects.get()
    assert body["id"] == saved.pk
    assert (body["unit"], body["physical"], body["staffed"], body["occupied"], body["surge"]) == (
        world.lunden.pk,
        20,
        16,
        12,
        2,
    )
    assert body["corrects"] is None
    assert datetime.datetime.fromisoformat(body["reported_at"]) == NOW
    assert saved.reported_by == world.lunden_staff
    assert saved.comment == "Lugnt"
    assert UnitCapacity.objects.get(unit=world.lunden).latest_report == saved


def test_a_list_of_reports_is_stored_together(client, world, frozen):
    login(client, world.admin)
    payload = [_item(world.lunden), _item(world.avesta_unit, occupied=3), _item(world.falun_ward, physical=40)]
    response = _post(client, payload)
    assert response.status_code == 201, response.content
    assert [r["unit"] for r in response.json()] == [world.lunden.pk, world.avesta_unit.pk, world.falun_ward.pk]
    assert CapacityReport.objects.count() == 3
    assert AuditEvent.objects.filter(event_type="capacity.report_created").count() == 3


def test_a_list_with_one_bad_report_stores_nothing_and_names_the_item(client, world, frozen):
    login(client, world.admin)
    before = database_state()
    payload = [_item(world.lunden), _item(world.avesta_unit, occupied=25), _item(world.falun_ward, staffed=21)]
    response = _post(client, payload)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert set(detail) == {"1.occupied", "2.staffed"}
    assert "cannot be more than physical places (20)" in detail["1.occupied"][0]
    assert "cannot be more than physical places (20)" in detail["2.staffed"][0]
    assert database_state() == before
    # A negative figure does not fit the schema: refused before any report is looked at.
    response = _post(client, [*payload[:2], _item(world.falun_ward, staffed=-1)])
    assert (response.status_code, response.json()["detail"]) == (
        422,
        {"2.staffed": ["Input should be greater than or equal to 0"]},
    )
    assert database_state() == before


def test_an_unknown_unit_is_a_422(client, world, frozen):
    login(client, world.lunden_staff)
    response = _post(client, {**_item(world.lunden), "unit": 999_999})
    assert response.status_code == 422
    assert list(response.json()["detail"]) == ["unit"]
    response = _post(client, [_item(world.lunden), {**_item(world.lunden), "unit": 999_999}])
    assert response.status_code == 422
    assert list(response.json()["detail"]) == ["1.unit"]
    assert not CapacityReport.objects.exists()


def test_a_unit_in_another_county_is_unknown(client, world, frozen):
    login(client, world.outsider)
    response = _post(client, _item(world.lunden))
    assert response.status_code == 422
    assert "unit" in response.json()["detail"]
    assert not CapacityReport.objects.exists()


API_REJECTIONS = [
    pytest.param({"occupied": 21}, "occupied", id="occupied-above-physical"),
    pytest.param({"staffed": 21}, "staffed", id="staffed-above-physical"),
    pytest.param({"occupied": -1}, "occupied", id="negative"),
    pytest.param({"surge": -1}, "surge", id="negative-surge"),
    pytest.param({"physical": 5001}, "physical", id="absurd"),
    pytest.param({"open_for_admission": False}, "closure_reason", id="closed-without-reason"),
    pytest.param({"closure_reason": "outbreak"}, "closure_reason", id="open-with-reason"),
    pytest.param({"reported_at": "2026-03-04T09:45:00+01:00"}, "reported_at", id="future"),
    pytest.param({"reported_at": "2026-02-01T09:00:00+01:00"}, "reported_at", id="backdated"),
    pytest.param({"categories": {"covid": {"staffed": 1, "occupied": 0}}}, "categories", id="unknown-category"),
    pytest.param({"categories": {"palliativ": {"staffed": 17, "occupied": 0}}}, "categories", id="categories-above"),
]


@pytest.mark.parametrize(("changes", "field"), API_REJECTIONS)
def test_the_api_rejects_invalid_figures_with_the_field_named(client, world, frozen, changes, field):
    BedCategory.objects.create(county_id="20", code="palliativ", name="Palliativ vård")
    login(client, world.lunden_staff)
    before = database_state()
    response = _post(client, _item(world.lunden, **changes))
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert list(detail) == [field]
    assert detail[field] and all(isinstance(m, str) for m in detail[field])
    assert database_state() == before


def test_the_api_accepts_surge_while_closed(client, world, frozen):
    login(client, world.lunden_staff)
    response = _post(client, _item(world.lunden, surge=2, open_for_admission=False, closure_reason="renovation"))
    assert response.status_code == 201
    assert CapacityReport.objects.get().surge_while_closed


def test_a_malformed_body_is_a_422(client, world, frozen):
    login(client, world.lunden_staff)
    response = _post(client, {"unit": world.lunden.pk, "physical": "many"})
    assert response.status_code == 422
    assert not CapacityReport.objects.exists()


def test_a_time_without_offset_is_stockholm_local_time(client, world, frozen):
    login(client, world.lunden_staff)
    response = _post(client, _item(world.lunden, reported_at="2026-03-04T08:15:00"))
    assert response.status_code == 201, response.content
    saved = CapacityReport.objects.get()
    assert saved.reported_at == utc(2026, 3, 4, 7, 15)  # CET = UTC+1
    assert datetime.datetime.fromisoformat(response.json()[0]["reported_at"]) == utc(2026, 3, 4, 7, 15)


def test_a_naive_summer_time_is_stockholm_summer_time(client, world):
    login(client, world.lunden_staff)
    with at(local(2026, 6, 10, 12)):
        response = _post(client, _item(world.lunden, reported_at="2026-06-10T08:00:00"))
    assert response.status_code == 201, response.content
    assert CapacityReport.objects.get().reported_at == utc(2026, 6, 10, 6)  # CEST = UTC+2


def test_a_time_with_an_offset_is_kept(client, world, frozen):
    login(client, world.lunden_staff)
    response = _post(client, _item(world.lunden, reported_at="2026-03-04T07:00:00Z"))
    assert response.status_code == 201
    assert CapacityReport.objects.get().reported_at == utc(2026, 3, 4, 7)


def test_category_figures_are_stored(client, world, frozen):
    BedCategory.objects.create(county_id="20", code="palliativ", name="Palliativ vård")
    login(client, world.lunden_staff)
    response = _post(client, _item(world.lunden, categories={"palliativ": {"staffed": 4, "occupied": 3}}))
    assert response.status_code == 201
    figures = CapacityReport.objects.get().categories.get()
    assert (figures.category.code, figures.staffed, figures.occupied) == ("palliativ", 4, 3)


# --- Who may send ---------------------------------------------------------------------------


def test_an_api_key_reports_for_its_municipalitys_units(client, world, frozen, falun_key):
    key, auth = falun_key
    response = _post(client, _item(world.lunden), **auth)
    assert response.status_code == 201, response.content
    saved = CapacityReport.objects.get()
    assert saved.reported_by is None
    assert saved.reported_via == f"Lifecare ({key.prefix})"
    event = AuditEvent.objects.get(event_type="capacity.report_created")
    assert event.actor is None
    assert event.api_key == key
    assert event.organisation == world.falun


def test_an_api_key_cannot_report_for_another_municipalitys_units(client, world, frozen, falun_key):
    _, auth = falun_key
    before = database_state()
    assert _post(client, _item(world.avesta_unit), **auth).status_code == 403
    assert _post(client, _item(world.falun_ward), **auth).status_code == 403  # the region's ward
    # All or nothing: one forbidden unit stops the whole list.
    assert _post(client, [_item(world.lunden), _item(world.avesta_unit)], **auth).status_code == 403
    assert database_state() == before


def test_a_coordinator_cannot_report_for_another_municipality_through_the_api(client, world, frozen):
    login(client, world.avesta_coordinator)
    response = _post(client, _item(world.lunden))
    assert response.status_code == 403
    assert not CapacityReport.objects.exists()
    login(client, world.viewer)
    assert _post(client, _item(world.lunden)).status_code == 403
    assert not CapacityReport.objects.exists()


def test_without_credentials_the_api_answers_401(client, world):
    assert _post(client, _item(world.lunden)).status_code == 401
    assert client.get("/api/v1/capacity/overview?county=20").status_code == 401
    assert _post(client, _item(world.lunden), HTTP_AUTHORIZATION="Bearer sv_nope_nope").status_code == 401


# --- Overview, history ----------------------------------------------------------------------

ROW_FIELDS = {
    "unit",
    "unit_name",
    "municipality",
    "staffed",
    "occupied",
    "reserved",
    "free",
    "surge",
    "open_for_admission",
    "reported_at",
    "stale",
}
FIGURES = ("physical", "staffed", "occupied", "reserved", "free", "surge")


@pytest.fixture
def reported(world):
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 4, 8), physical=20, staffed=16, occupied=12, surge=2)
    report(world.avesta_unit, world.avesta_coordinator, when=local(2026, 3, 2, 8), staffed=10, occupied=12)
    UnitCapacity.objects.filter(unit=world.lunden).update(reserved=3)


def test_the_overview_lists_units_with_their_figures_and_totals(client, world, reported, frozen):
    login(client, world.region_coordinator)
    response = client.get("/api/v1/capacity/overview?county=20")
    assert response.status_code == 200
    body = response.json()
    assert body["county"] == "20"
    units = {u["unit_name"]: u for u in body["units"]}
    assert set(units) == {"Lunden korttidsboende", "Avesta korttidsboende"}
    for unit in units.values():
        assert set(unit) >= ROW_FIELDS
    lunden = units["Lunden korttidsboende"]
    assert lunden["unit"] == world.lunden.pk
    assert lunden["municipality"] == "2080"
    assert (lunden["staffed"], lunden["occupied"], lunden["reserved"], lunden["free"], lunden["surge"]) == (
        16,
        12,
        3,
        1,
        2,
    )
    assert lunden["open_for_admission"] is True
    assert datetime.datetime.fromisoformat(lunden["reported_at"]) == local(2026, 3, 4, 8)
    assert lunden["stale"] is False
    avesta = units["Avesta korttidsboende"]
    assert avesta["free"] == 0  # over-occupied: 10 staffed, 12 occupied
    assert avesta["stale"] is True  # Monday's report; Tuesday's due time has passed
    totals = body["totals"]
    for figure in FIGURES:
        assert totals[figure] == sum(u[figure] for u in body["units"] if u["staffed"] is not None), figure
        assert totals[figure] == sum(m["totals"][figure] for m in body["municipalities"]), figure
    assert (totals["staffed"], totals["occupied"], totals["free"]) == (26, 24, 1)
    assert {m["code"] for m in body["municipalities"]} == {"2080", "2084"}


def test_the_overview_of_another_county_is_forbidden(client, world, reported):
    login(client, world.outsider)
    assert client.get("/api/v1/capacity/overview?county=20").status_code == 403
    assert client.get("/api/v1/capacity/overview.fhir?county=20").status_code == 403
    assert client.get("/api/v1/capacity/overview?county=18").status_code == 200


def test_an_api_key_reads_its_countys_overview(client, world, reported, falun_key, frozen):
    _, auth = falun_key
    response = client.get("/api/v1/capacity/overview?county=20", **auth)
    assert response.status_code == 200
    assert len(response.json()["units"]) == 2
    assert client.get("/api/v1/capacity/overview?county=18", **auth).status_code == 403


def test_the_history_lists_a_units_reports_newest_first(client, world):
    first = report(world.lunden, world.lunden_staff, when=local(2026, 3, 2, 9), occupied=15)
    second = report(world.lunden, world.lunden_staff, when=local(2026, 3, 3, 9), occupied=11)
    with at(local(2026, 3, 3, 9, 5)):
        from samverkan.capacity import services

        correction = services.capacity_report_create(
            data=services.ReportInput(
                unit=world.lunden, physical=20, staffed=16, occupied=10, reported_at=second.reported_at, corrects=second
            ),
            by=world.lunden_staff,
        )
    report(world.avesta_unit, world.avesta_coordinator, when=local(2026, 3, 3, 9))
    login(client, world.viewer)
    with at(local(2026, 3, 4, 12)):
        response = client.get(f"/api/v1/capacity/units/{world.lunden.pk}/history")
        assert response.status_code == 200
        body = response.json()
        assert [r["id"] for r in body] == [correction.pk, second.pk, first.pk]
        assert body[0]["corrects"] == second.pk
        assert [r["occupied"] for r in body] == [10, 11, 15]
        assert {r["unit"] for r in body} == {world.lunden.pk}
        # `days` limits how far back (from now: 2 days back is Monday noon).
        recent = client.get(f"/api/v1/capacity/units/{world.lunden.pk}/history?days=2").json()
        assert [r["id"] for r in recent] == [correction.pk, second.pk]


def test_the_history_of_a_unit_in_another_county_is_not_found(client, world):
    report(world.lunden, world.lunden_staff)
    login(client, world.outsider)
    assert client.get(f"/api/v1/capacity/units/{world.lunden.pk}/history").status_code == 404
    assert client.get("/api/v1/capacity/units/999999/history").status_code == 404


# --- FHIR ---------------------------------------------------------------------------------

CODES = {"numTotBeds": "physical", "numbeds": "staffed", "numBedsOcc": "occupied", "free": "free"}
CODES |= {"reserved": "reserved", "surge": "surge"}


def test_the_fhir_measure_report_is_valid_and_matches_the_overview(client, world, reported, frozen):
    login(client, world.region_coordinator)
    overview = client.get("/api/v1/capacity/overview?county=20").json()
    response = client.get("/api/v1/capacity/overview.fhir?county=20")
    assert response.status_code == 200
    resource = response.json()
    measure_report = MeasureReport.model_validate(resource)
    assert measure_report.status == "complete"
    assert measure_report.type == "summary"
    assert measure_report.subject.identifier.value == "20"
    (group,) = resource["group"]
    counts = {p["code"]["coding"][0]["code"]: p["count"] for p in group["population"]}
    assert counts == {code: overview["totals"][figure] for code, figure in CODES.items()}
    assert counts["free"] == 1
    municipalities = {m["code"]: m["totals"] for m in overview["municipalities"]}
    assert len(group["stratifier"]) == len(CODES)
    for stratifier in group["stratifier"]:
        figure = CODES[stratifier["code"][0]["coding"][0]["code"]]
        strata = {s["value"]["coding"][0]["code"]: s["population"][0]["count"] for s in stratifier["stratum"]}
        assert strata == {code: totals[figure] for code, totals in municipalities.items()}, figure
        assert sum(strata.values()) == counts[stratifier["code"][0]["coding"][0]["code"]]


def test_the_fhir_period_is_the_local_day(client, world, reported):
    login(client, world.region_coordinator)
    with at(local(2026, 3, 5, 0, 30)):  # 23:30 UTC on the 4th
        resource = client.get("/api/v1/capacity/overview.fhir?county=20").json()
    assert resource["period"] == {"start": "2026-03-05", "end": "2026-03-05"}
    MeasureReport.model_validate(resource)


def test_the_fhir_measure_report_is_valid_for_a_county_without_units(client, world):
    login(client, world.admin)
    response = client.get("/api/v1/capacity/overview.fhir?county=01")
    assert response.status_code == 200
    MeasureReport.model_validate(response.json())


def test_api_sends_a_correction_referencing_the_corrected_report(client, world):
    from samverkan.capacity.tests.helpers import report as make_report

    first = make_report(world.lunden, world.lunden_staff, occupied=12)
    login(client, world.falun_coordinator)
    body = {"unit": world.lunden.pk, "physical": 20, "staffed": 16, "occupied": 11, "corrects": first.pk}
    response = client.post("/api/v1/capacity/reports", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()[0]["corrects"] == first.pk


def test_api_rejects_a_correction_of_an_unknown_report(client, world):
    login(client, world.falun_coordinator)
    body = {"unit": world.lunden.pk, "physical": 20, "staffed": 16, "occupied": 11, "corrects": 999999}
    response = client.post("/api/v1/capacity/reports", body, content_type="application/json")
    assert response.status_code == 422
    assert "corrects" in response.json()["detail"]
