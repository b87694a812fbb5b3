"""Extreme input is the client's error, never a server error (issue 17, finding 5): dates in year 1
or 9999, ids above 2⁶³, a lone surrogate or a NUL character, text longer than the model holds,
values that are not among the choices, a batch above its documented size. The API answers each
with JSON and a 4xx status naming the field; the pages with a form error, 400 or 404. Tests run
with DEBUG off, as in production."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory

from samverkan import errors
from samverkan.accounts.services import api_key_create
from samverkan.capacity.api import MAX_REPORTS_PER_CALL
from samverkan.capacity.models import CapacityReport
from samverkan.flow.api import MAX_EPISODES_PER_CALL
from samverkan.flow.models import Episode, Source
from samverkan.organisations import policy
from samverkan.placements.models import PlaceRequest
from samverkan.testing import login

pytestmark = pytest.mark.django_db

BEYOND_KEYS = 2**63  # one above the largest 64-bit key
RANGE = "Ange ett datum mellan 1900-01-01 och 2199-12-31."  # the interface and the API answer in Swedish


@pytest.fixture
def api(world):
    """Callers with API keys: the region's (flow, statistics) and Falun's (its unit Lunden)."""
    keys = {
        "region": api_key_create(organisation=world.region, name="r", role="region_coordinator", by=policy.SYSTEM)[1],
        "falun": api_key_create(organisation=world.falun, name="f", role="municipal_coordinator", by=policy.SYSTEM)[1],
    }

    def call(method: str, path: str, body=None, *, who: str = "falun", raw: bytes | None = None):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {keys[who]}")
        if method == "get":
            return client.get(path)
        data = raw if raw is not None else json.dumps(body)
        return client.post(path, data, content_type="application/json")

    return call


@pytest.fixture
def admin(client, world):
    return login(client, world.admin)


def report(world, **changes) -> dict:
    return {"unit": world.lunden.pk, "physical": 20, "staffed": 16, "occupied": 12, **changes}


def place_request(world, **changes) -> dict:
    return {"from_organisation": world.falun.pk, "places": 1, "wanted_from": "2030-01-07", "to_county": True, **changes}


def episode(**changes) -> dict:
    return {
        "source_id": "E1",
        "home_municipality": "2080",
        "care_type": "somatic",
        "admitted_at": "2026-10-01T08:00",
    } | (changes)


def episodes(*rows: dict) -> dict:
    return {"source": "Cosmic", "county": "20", "episodes": list(rows)}


def field_errors(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content
    return response.json()["detail"]


def nothing_stored():
    return not (CapacityReport.objects.exists() or PlaceRequest.objects.exists() or Episode.objects.exists())


STATISTICS = "/api/v1/flow/statistics?county=20&granularity={granularity}&from={start}&to={end}"


# --- Year 1 and 9999 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "granularity", "field"),
    [
        ("0001-01-01", "0001-01-31", "week", "from"),
        ("0001-01-01", "0001-01-01", "month", "from"),
        ("9999-12-01", "9999-12-31", "day", "from"),
        ("2025-01-01", "9999-12-31", "month", "to"),
    ],
)
def test_api_statistics_for_year_1_or_9999_is_a_422(api, start, end, granularity, field):
    response = api("get", STATISTICS.format(start=start, end=end, granularity=granularity), who="region")
    assert response.status_code == 422
    detail = field_errors(response)
    assert detail[field] == [RANGE] and set(detail) <= {"from", "to"}


@pytest.mark.parametrize(
    ("path", "make", "field"),
    [
        pytest.param("/api/v1/capacity/reports", lambda w: report(w, reported_at="0001-01-01T00:00"), "reported_at"),
        pytest.param(
            "/api/v1/capacity/reports", lambda w: report(w, reported_at="9999-12-31T23:59-10:00"), "reported_at"
        ),
        pytest.param(
            "/api/v1/placements/requests", lambda w: place_request(w, wanted_from="9999-12-31"), "wanted_from"
        ),
        pytest.param(
            "/api/v1/placements/requests", lambda w: place_request(w, wanted_until="0001-01-01"), "wanted_until"
        ),
    ],
)
def test_api_dates_in_year_1_or_9999_are_a_422_naming_the_field(api, world, path, make, field):
    response = api("post", path, make(world))
    assert response.status_code == 422
    assert field_errors(response) == {field: [RANGE]}
    assert nothing_stored()


@pytest.mark.parametrize(
    "changes",
    [
        {"admitted_at": "0001-01-01T00:00"},
        {"admitted_at": "0001-01-01T00:00+14:00"},
        {"estimated_discharge_date": "9999-12-31"},
    ],
)
def test_an_episode_in_year_1_or_9999_is_refused_by_row_and_column(api, changes):
    response = api("post", "/api/v1/flow/episodes", episodes(episode(**changes)), who="region")
    assert response.status_code == 422
    [column] = changes
    assert response.json()["errors"] == [{"row": 1, "column": column, "message": RANGE}]
    assert nothing_stored()


@pytest.mark.parametrize(
    "path",
    [
        "/flode/?county=20&from=9999-12-01&to=9999-12-31",
        "/flode/?county=20&from=9999-12-01&to=9999-12-31&granularity=month",
        "/flode/?county=20&to=0001-01-05",
        "/flode/vardtillfallen/?county=20&reason=uppfoljning&admitted_from=0001-01-01&admitted_to=9999-12-31",
        "/granskning/?since=0001-01-01&until=9999-12-31",
    ],
)
def test_pages_show_a_date_in_year_1_or_9999_as_a_form_error(admin, path):
    response = admin.get(path)
    assert response.status_code == 200
    assert RANGE in response.content.decode()


def test_an_export_for_year_9999_is_a_400(admin):
    assert admin.get("/flode/statistik.csv?county=20&from=9999-12-01&to=9999-12-31").status_code == 400


@pytest.mark.parametrize("month", ["9999-12", "0001-01", f"{BEYOND_KEYS}-1", "2026-13"])
def test_the_settlement_of_a_month_out_of_range_shows_this_month(admin, month):
    assert admin.get(f"/platser/avrakning/?county=20&month={month}").status_code == 200


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/platser/ny/?county=20",
            {"places": "1", "wanted_from": "9999-12-31", "urgency": "normal", "target": "county"},
        ),
        ("/kapacitet/enheter/{lunden}/planerat/", {"effective_from": "9999-12-31", "staffed_change": "1"}),
    ],
)
def test_forms_refuse_a_date_in_year_9999(client, world, path, data):
    login(client, world.falun_coordinator)
    data = {"from_organisation": world.falun.pk, "physical_change": "0", "description": "Tio nya", **data}
    response = client.post(path.format(lunden=world.lunden.pk), data, follow=True)
    assert response.status_code == 200  # the form again, or the unit's page, with the error
    assert RANGE in response.content.decode()
    assert not PlaceRequest.objects.exists() and not world.lunden.planned_changes.exists()


# --- Ids above 2⁶³ -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", f"/api/v1/units?organisation={BEYOND_KEYS}", None, "organisation"),
        ("get", f"/api/v1/capacity/units/{BEYOND_KEYS}/history", None, "unit_id"),
        ("get", f"/api/v1/placements/requests/{BEYOND_KEYS}", None, "request_id"),
        ("post", f"/api/v1/placements/offers/{BEYOND_KEYS}/accept", None, "offer_id"),
        (
            "get",
            STATISTICS.format(start="2025-01-01", end="2025-01-31", granularity="week")
            + "&hospital_unit="
            + str(BEYOND_KEYS),
            None,
            "hospital_unit",
        ),  # fmt: skip
        ("post", "/api/v1/capacity/reports", {"unit": BEYOND_KEYS}, "unit"),
        ("post", "/api/v1/capacity/reports", {"corrects": BEYOND_KEYS}, "corrects"),
        ("post", "/api/v1/placements/requests", {"to_unit": BEYOND_KEYS}, "to_unit"),
    ],
)
def test_api_ids_above_the_largest_key_are_a_422_naming_the_field(api, world, method, path, body, field):
    if body is not None:
        body = (report if "capacity" in path else place_request)(world, **body)
    response = api(method, path, body, who="region")
    assert response.status_code == 422
    assert list(field_errors(response)) == [field]
    assert nothing_stored()


@pytest.mark.parametrize(
    "path",
    [
        f"/platser/{BEYOND_KEYS}/",
        "/kapacitet/enheter/{lunden}/rapportera/?corrects=" + str(BEYOND_KEYS),
        "/kapacitet/enheter/{lunden}/rapportera/?corrects=abc",
    ],
)
def test_pages_answer_an_id_above_the_largest_key_with_404(admin, world, path):
    assert admin.get(path.format(lunden=world.lunden.pk)).status_code == 404


@pytest.mark.parametrize("page", [str(BEYOND_KEYS), "-5", "abc"])
@pytest.mark.parametrize("path", ["/flode/vardtillfallen/?county=20&reason=uppfoljning&page=", "/granskning/?page="])
def test_a_page_number_out_of_range_shows_a_page(admin, path, page):
    assert admin.get(path + page).status_code == 200


# --- A lone surrogate, a NUL character ---------------------------------------------------------

LONE_SURROGATE = "\\ud800"  # as JSON writes it: half of a UTF-16 pair, no text on its own


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/capacity/reports", f'{{"unit": 1, "physical": 1, "staffed": 1, "occupied": 1, "comment": "{LONE_SURROGATE}"}}'),
        ("/api/v1/capacity/reports", f'{{"unit": 1, "physical": 1, "staffed": 1, "occupied": 1, "categories": {{"{LONE_SURROGATE}": {{}}}}}}'),
        ("/api/v1/placements/requests", f'{{"from_organisation": 1, "places": 1, "wanted_from": "2030-01-07", "needs": ["{LONE_SURROGATE}"]}}'),
        ("/api/v1/flow/episodes", f'{{"source": "{LONE_SURROGATE}", "county": "20", "episodes": []}}'),
        ("/api/v1/flow/episodes", '{"source": "C", "county": "20", "episodes": [{"source_id": "E\\u0000"}]}'),
    ],
)  # fmt: skip
def test_api_bodies_with_a_lone_surrogate_or_a_nul_are_a_400(api, path, body):
    response = api("post", path, raw=body.encode(), who="region")
    assert response.status_code == 400
    assert "JSON-text" in field_errors(response) or "NUL-tecken" in field_errors(response)
    assert nothing_stored()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/units?municipality=%00",
        "/api/v1/placements/requests?county=%00",
        "/api/v1/capacity/overview?county=20&category=%00",
        "/api/v1/escalation?county=%00",
    ],
)
def test_api_queries_with_a_nul_are_a_400_in_json(api, path):
    response = api("get", path, who="region")
    assert response.status_code == 400
    assert "NUL-tecken" in field_errors(response)


@pytest.mark.parametrize(
    "path", ["/platser/?county=%00", "/kapacitet/?county=20&kind=%00", "/organisationer/%00/", "/flode/?county=%00"]
)
def test_pages_with_a_nul_in_the_address_are_a_400(admin, path):
    response = admin.get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_lone_surrogate_in_a_query_is_replaced_not_a_server_error(api, admin):
    # Django decodes a query's invalid UTF-8 (%ED%A0%80 is the surrogate's bytes) as U+FFFD.
    assert api("get", "/api/v1/capacity/overview?county=%ED%A0%80").status_code == 422  # three characters
    assert admin.get("/flode/vardtillfallen/?county=20&reason=%ED%A0%80").status_code == 200


# --- Text longer than the model holds ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "make", "field"),
    [
        ("/api/v1/capacity/reports", lambda w: report(w, comment="x" * 501), "comment"),
        ("/api/v1/capacity/reports", lambda w: report(w, categories={"x" * 41: {"staffed": 1, "occupied": 1}}), None),
        ("/api/v1/placements/requests", lambda w: place_request(w, note="x" * 501), "note"),
        ("/api/v1/placements/requests", lambda w: place_request(w, needs=["x" * 41]), "needs.0"),
        ("/api/v1/flow/episodes", lambda w: {**episodes(episode()), "source": "x" * 101}, "source"),
        ("/api/v1/flow/episodes", lambda w: episodes(episode(source_id="x" * 65)), "episodes.0.source_id"),
    ],
)
def test_api_text_longer_than_the_model_holds_is_a_422_naming_the_field(api, world, path, make, field):
    response = api("post", path, make(world), who="region" if "flow" in path else "falun")
    assert response.status_code == 422
    detail = field_errors(response)
    assert [key for key in detail if field is None or key == field], detail
    assert nothing_stored() and not Source.objects.exists()


def test_an_offer_comment_and_a_decline_reason_longer_than_the_model_holds_are_a_422(api, world):
    long = "x" * 301
    assert (
        api("post", "/api/v1/placements/requests/1/offers", {"unit": 1, "places": 1, "comment": long}).status_code
        == 422
    )
    response = api("post", "/api/v1/placements/offers/1/decline", {"reason": long})
    assert (response.status_code, list(field_errors(response))) == (422, ["reason"])


# --- Values that are not among the choices -----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "make", "field"),
    [
        ("post", "/api/v1/capacity/reports", lambda w: report(w, open_for_admission=False, closure_reason="nonsense"), "closure_reason"),
        ("post", "/api/v1/placements/requests", lambda w: place_request(w, urgency="whenever"), "urgency"),
        ("get", "/api/v1/units?kind=castle", None, "kind"),
        ("get", "/api/v1/organisations?kind=guild", None, "kind"),
        ("get", "/api/v1/placements/requests?status=lost", None, "status"),
        ("get", "/api/v1/placements/requests?box=sideways", None, "box"),
        ("get", "/api/v1/capacity/overview?county=20&kind=castle", None, "kind"),
        ("get", STATISTICS.format(start="2025-01-01", end="2025-01-31", granularity="week") + "&care_type=kirurgi", None, "care_type"),
    ],
)  # fmt: skip
def test_api_values_that_are_not_choices_are_a_422_naming_the_field(api, world, method, path, make, field):
    response = api(method, path, make(world) if make else None, who="region" if "flow" in path else "falun")
    assert response.status_code == 422
    assert list(field_errors(response)) == [field]
    assert nothing_stored()


# --- Batches above their documented size -------------------------------------------------------


def test_more_reports_than_a_call_takes_are_a_422_and_none_is_stored(api, world):
    response = api("post", "/api/v1/capacity/reports", [report(world)] * (MAX_REPORTS_PER_CALL + 1))
    assert response.status_code == 422
    assert field_errors(response) == {
        "body": [
            f"Högst {MAX_REPORTS_PER_CALL} poster per anrop, inte {MAX_REPORTS_PER_CALL + 1}: "
            "skicka resten i fler anrop."
        ]
    }
    assert nothing_stored()
    assert api("post", "/api/v1/capacity/reports", [report(world)] * MAX_REPORTS_PER_CALL).status_code == 201


def test_more_episodes_than_a_call_takes_are_a_422_and_none_is_imported(api):
    rows = [episode(source_id=f"E{n}") for n in range(MAX_EPISODES_PER_CALL + 1)]
    response = api("post", "/api/v1/flow/episodes", episodes(*rows), who="region")
    assert response.status_code == 422
    assert list(field_errors(response)) == ["episodes"]
    assert nothing_stored()


def test_a_full_call_of_complete_episodes_fits_the_body_the_server_reads(api, settings):
    """The documented batch fits the request size limit with every column filled in."""
    complete = episode(
        source_id="Cosmic-VT-0000000001",
        personnummer="19470318-4863",
        birth_year="1947",
        sex="F",
        hospital_unit="FALU-MED-AVD-12",
        admission_notice_at="2026-10-01T09:00:00+02:00",
        estimated_discharge_date="2026-10-09",
        ready_at="2026-10-08T12:00:00+02:00",
        sip_called_at="2026-10-08T13:00:00+02:00",
        discharged_at="2026-10-09T10:00:00+02:00",
        destination="nursing_home",
        covid="false",
    )
    body = json.dumps(episodes(*[complete] * MAX_EPISODES_PER_CALL))
    assert len(body.encode()) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_a_body_larger_than_the_server_reads_is_a_413_in_json(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api("post", "/api/v1/flow/episodes", episodes(*[episode()] * 20), who="region")
    assert response.status_code == 413
    assert "skicka färre poster per anrop" in field_errors(response)


# --- Every API error is JSON, also with DEBUG off ----------------------------------------------


def test_an_unknown_api_path_is_a_404_in_json(api):
    response = api("get", "/api/v1/no/such/thing")
    assert response.status_code == 404
    assert field_errors(response) == "Not found, or not visible to you."


def test_a_body_that_is_not_json_is_a_400_in_json(api):
    response = api("post", "/api/v1/capacity/reports", raw=b"unit=1&physical=2")
    assert response.status_code == 400
    assert field_errors(response).startswith("Innehållet är inte giltig JSON-text")


def test_an_unexpected_error_in_the_api_is_a_logged_500_in_json(world, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("samverkan.organisations.selectors.municipality_list", broken)
    client = login(Client(raise_request_exception=False), world.viewer)
    response = client.get("/api/v1/municipalities")
    assert response.status_code == 500
    assert "loggat" in field_errors(response)
    assert "a bug" not in response.content.decode()
    assert any(record.exc_info and "a bug" in str(record.exc_info[1]) for record in caplog.records)


@pytest.mark.parametrize(
    ("handler", "status"), [(errors.error_400, 400), (errors.error_404, 404), (errors.error_500, 500)]
)
def test_djangos_own_error_answers_are_json_under_the_api_and_pages_elsewhere(handler, status):
    factory = RequestFactory()
    args = () if status == 500 else (None,)
    api_answer = handler(factory.get("/api/v1/units"), *args)
    assert (api_answer.status_code, api_answer["Content-Type"]) == (status, "application/json; charset=utf-8")
    assert json.loads(api_answer.content)["detail"]
    page = handler(factory.get("/kapacitet/"), *args)
    assert (page.status_code, page["Content-Type"]) == (status, "text/html; charset=utf-8")
