"""Reporting places: validation, who may report for which unit, append-only history and audit."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import escape

from samverkan.audit.models import AuditEvent
from samverkan.capacity import selectors, services
from samverkan.capacity.models import BedCategory, CapacityReport, PlannedChange, ReportingSchedule, UnitCapacity
from samverkan.capacity.tests.helpers import at, database_state, local, report
from samverkan.testing import login

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 4, 9, 0)  # a Wednesday morning


@pytest.fixture
def frozen():
    with at(NOW):
        yield NOW


@pytest.fixture
def palliative(db) -> BedCategory:
    return BedCategory.objects.create(county_id="20", code="palliativ", name="Palliativ vård")


def _report_url(unit) -> str:
    return f"/kapacitet/enheter/{unit.pk}/rapportera/"


def _form(**changes) -> dict:
    data = {"occupied": "12", "staffed": "16", "physical": "20", "surge": "0", "open_for_admission": "1"}
    data.update({key: str(value) for key, value in changes.items()})
    return data


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Validation in the service -------------------------------------------------------------

SERVICE_REJECTIONS = [
    pytest.param(
        {"occupied": 21}, "occupied", "cannot be more than physical places (20)", id="occupied-above-physical"
    ),
    pytest.param({"staffed": 21}, "staffed", "cannot be more than physical places (20)", id="staffed-above-physical"),
    pytest.param({"occupied": -1}, "occupied", "Cannot be negative.", id="negative-occupied"),
    pytest.param({"staffed": -3}, "staffed", "Cannot be negative.", id="negative-staffed"),
    pytest.param({"physical": -1}, "physical", "Cannot be negative.", id="negative-physical"),
    pytest.param({"surge": -2}, "surge", "Cannot be negative.", id="negative-surge"),
    pytest.param({"physical": 5001}, "physical", "5001 is more places than any unit has", id="absurd-physical"),
    pytest.param(
        {"physical": 9000, "staffed": 9000, "occupied": 9000}, "occupied", "more places than any unit", id="absurd-all"
    ),
    pytest.param({"surge": 5001}, "surge", "more places than any unit has", id="absurd-surge"),
    pytest.param(
        {"open_for_admission": False}, "closure_reason", "Say why the unit is closed", id="closed-without-reason"
    ),
    pytest.param(
        {"open_for_admission": False, "closure_reason": "holiday"},
        "closure_reason",
        "Say why the unit is closed",
        id="closed-with-unknown-reason",
    ),
    pytest.param({"closure_reason": "outbreak"}, "closure_reason", "An open unit has no reason", id="open-with-reason"),
    pytest.param(
        {"reported_at": NOW + datetime.timedelta(minutes=11)}, "reported_at", "in the future", id="future-time"
    ),
    pytest.param(
        {"reported_at": NOW - datetime.timedelta(days=31, minutes=1)},
        "reported_at",
        "back-dated at most 31 days",
        id="backdated-over-31-days",
    ),
    pytest.param(
        {"categories": {"covid": (1, 1)}}, "categories", "Unknown bed category 'covid'", id="unknown-category"
    ),
]


@pytest.mark.parametrize(("figures", "field", "message"), SERVICE_REJECTIONS)
def test_the_service_rejects_invalid_figures_and_stores_nothing(world, frozen, figures, field, message):
    before = database_state()
    with pytest.raises(ValidationError) as caught:
        report(world.lunden, world.lunden_staff, **figures)
    errors = caught.value.message_dict
    assert field in errors, errors
    assert any(message in text for text in errors[field]), errors
    assert database_state() == before


def test_it_rejects_categories_summing_above_the_totals(world, frozen, palliative):
    BedCategory.objects.create(county_id="20", code="demens", name="Demens")
    before = database_state()
    with pytest.raises(ValidationError) as caught:
        # 10 + 7 staffed > 16 staffed in total
        report(world.lunden, world.lunden_staff, categories={"palliativ": (10, 5), "demens": (7, 5)})
    assert caught.value.message_dict == {
        "categories": ["The categories add up to more places than the report's totals."]
    }
    with pytest.raises(ValidationError) as caught:
        # 13 occupied in one category > 12 occupied in total
        report(world.lunden, world.lunden_staff, categories={"palliativ": (14, 13)})
    assert "categories" in caught.value.message_dict
    assert database_state() == before


def test_it_rejects_negative_category_figures(world, frozen, palliative):
    before = database_state()
    with pytest.raises(ValidationError) as caught:
        report(world.lunden, world.lunden_staff, categories={"palliativ": (-1, 0)})
    assert caught.value.message_dict["categories"] == ["Category palliativ: figures cannot be negative."]
    assert database_state() == before


def test_it_rejects_a_bed_category_of_another_county(world, frozen):
    BedCategory.objects.create(county_id="18", code="palliativ", name="Palliativ (Örebro)")
    with pytest.raises(ValidationError) as caught:
        report(world.lunden, world.lunden_staff, categories={"palliativ": (1, 1)})
    assert "Unknown bed category 'palliativ'" in caught.value.message_dict["categories"][0]


def test_it_rejects_a_correction_of_another_units_report(world, frozen):
    avesta_report = report(world.avesta_unit, world.avesta_coordinator)
    before = database_state()
    data = services.ReportInput(unit=world.lunden, physical=20, staffed=16, occupied=12, corrects=avesta_report)
    with pytest.raises(ValidationError) as caught:
        services.capacity_report_create(data=data, by=world.lunden_staff)
    assert caught.value.message_dict == {"corrects": ["A correction must concern the same unit."]}
    assert database_state() == before


def test_it_reports_every_invalid_field_at_once(world, frozen):
    with pytest.raises(ValidationError) as caught:
        report(world.lunden, world.lunden_staff, staffed=25, occupied=30, open_for_admission=False)
    assert set(caught.value.message_dict) == {"occupied", "staffed", "closure_reason"}


def test_it_accepts_the_boundaries(world, frozen):
    big = report(world.lunden, world.lunden_staff, physical=5000, staffed=5000, occupied=5000, surge=5000)
    assert (big.physical, big.staffed, big.occupied) == (5000, 5000, 5000)
    empty = report(world.lunden, world.lunden_staff, physical=0, staffed=0, occupied=0)
    assert empty.staffed == 0
    soon = report(world.lunden, world.lunden_staff, reported_at=NOW + datetime.timedelta(minutes=10))
    assert soon.reported_at == NOW + datetime.timedelta(minutes=10)
    month_ago = report(world.lunden, world.lunden_staff, reported_at=NOW - datetime.timedelta(days=31))
    assert month_ago.reported_at == NOW - datetime.timedelta(days=31)


def test_it_allows_occupied_above_staffed_as_over_occupancy(world, frozen):
    saved = report(world.lunden, world.lunden_staff, physical=20, staffed=10, occupied=14)
    assert saved.over_occupied
    assert not report(world.lunden, world.lunden_staff).over_occupied


def test_it_allows_surge_places_while_closed_but_flags_them(world, frozen):
    saved = report(world.lunden, world.lunden_staff, surge=4, open_for_admission=False, closure_reason="outbreak")
    assert saved.pk is not None
    assert saved.surge_while_closed
    assert saved.closure_reason == "outbreak"
    assert not report(world.lunden, world.lunden_staff, surge=4).surge_while_closed


def test_category_figures_within_the_totals_are_stored(world, frozen, palliative):
    saved = report(world.lunden, world.lunden_staff, categories={"palliativ": (16, 12)})
    (figures,) = saved.categories.all()
    assert (figures.category, figures.staffed, figures.occupied) == (palliative, 16, 12)


def test_the_report_time_defaults_to_now(world, frozen):
    saved = report(world.lunden, world.lunden_staff)
    assert saved.reported_at == NOW
    assert saved.created_at == NOW
    assert saved.reported_by == world.lunden_staff


# --- Validation in the quick-report form ---------------------------------------------------

FORM_REJECTIONS = [
    pytest.param(
        {"occupied": 21}, "occupied", "cannot be more than physical places (20)", id="occupied-above-physical"
    ),
    pytest.param({"staffed": 21}, "staffed", "cannot be more than physical places (20)", id="staffed-above-physical"),
    pytest.param({"occupied": -1}, "occupied", "Cannot be negative.", id="negative-occupied"),
    pytest.param({"surge": -1}, "surge", "Cannot be negative.", id="negative-surge"),
    pytest.param({"physical": 5001}, "physical", "5001 is more places than any unit has", id="absurd-physical"),
    pytest.param({"open_for_admission": 0}, "closure_reason", "Say why the unit is closed", id="closed-without-reason"),
    pytest.param({"occupied": "tolv"}, "occupied", "Enter a whole number.", id="not-a-number"),
    pytest.param({"physical": ""}, "physical", "required", id="missing-figure"),
]


@pytest.mark.parametrize(("changes", "field", "message"), FORM_REJECTIONS)
def test_the_form_rejects_invalid_figures_with_a_message_at_the_field(client, world, changes, field, message):
    login(client, world.lunden_staff)
    before = database_state()
    response = client.post(_report_url(world.lunden), _form(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in text for text in errors[field]), errors
    assert escape(errors[field][0]) in response.content.decode()  # shown on the page
    assert database_state() == before


def test_the_form_rejects_categories_summing_above_the_totals(client, world, palliative):
    login(client, world.lunden_staff)
    before = database_state()
    response = client.post(_report_url(world.lunden), _form(cat_palliativ_staffed=17, cat_palliativ_occupied=2))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The categories add up to more places than the report's totals."
    ]
    assert "The categories add up to more places" in response.content.decode()
    assert database_state() == before


def test_the_form_stores_a_valid_report_and_thanks_with_the_free_places(client, world):
    login(client, world.lunden_staff)
    response = client.post(_report_url(world.lunden), _form(comment="Två utskrivningar i eftermiddag"))
    assert response.status_code == 302
    assert response["Location"] == f"/kapacitet/enheter/{world.lunden.pk}/"
    saved = CapacityReport.objects.get(unit=world.lunden)
    assert (saved.physical, saved.staffed, saved.occupied, saved.surge) == (20, 16, 12, 0)
    assert saved.comment == "Två utskrivningar i eftermiddag"
    assert saved.reported_by == world.lunden_staff
    assert _messages(response) == ["Thank you: Lunden korttidsboende has reported. Free places: 4."]


def test_the_thanks_counts_reserved_places(client, world):
    UnitCapacity.objects.create(unit=world.lunden, reserved=3)
    login(client, world.lunden_staff)
    response = client.post(_report_url(world.lunden), _form())
    assert _messages(response) == ["Thank you: Lunden korttidsboende has reported. Free places: 1."]


def test_the_form_accepts_surge_while_closed_and_says_so(client, world):
    login(client, world.lunden_staff)
    response = client.post(_report_url(world.lunden), _form(open_for_admission=0, closure_reason="outbreak", surge=3))
    assert response.status_code == 302
    saved = CapacityReport.objects.get(unit=world.lunden)
    assert saved.surge_while_closed
    assert saved.closure_reason == "outbreak"
    (message,) = _messages(response)
    assert "closed for admission but reports surge places" in message


def test_the_form_drops_a_leftover_reason_when_the_unit_is_open(client, world):
    """The form is prefilled from the last (closed) report; choosing 'open' must not keep its reason."""
    login(client, world.lunden_staff)
    response = client.post(_report_url(world.lunden), _form(open_for_admission=1, closure_reason="outbreak"))
    assert response.status_code == 302
    saved = CapacityReport.objects.get(unit=world.lunden)
    assert saved.open_for_admission
    assert saved.closure_reason == ""


def test_the_form_is_prefilled_with_the_last_report(client, world, palliative):
    report(world.lunden, world.lunden_staff, physical=30, staffed=25, occupied=22, categories={"palliativ": (4, 3)})
    login(client, world.lunden_staff)
    form = client.get(_report_url(world.lunden)).context["form"]
    assert form.initial["physical"] == 30
    assert form.initial["occupied"] == 22
    assert form.initial["cat_palliativ_staffed"] == 4
    assert form.initial["cat_palliativ_occupied"] == 3


def test_the_form_stores_category_figures(client, world, palliative):
    login(client, world.lunden_staff)
    client.post(_report_url(world.lunden), _form(cat_palliativ_staffed=4, cat_palliativ_occupied=3))
    figures = CapacityReport.objects.get(unit=world.lunden).categories.get()
    assert (figures.staffed, figures.occupied) == (4, 3)


# --- Who may report for which unit ---------------------------------------------------------


def test_unit_staff_report_for_their_own_unit_only(client, world):
    login(client, world.lunden_staff)
    assert client.get(_report_url(world.lunden)).status_code == 200
    before = database_state()
    assert client.get(_report_url(world.avesta_unit)).status_code == 403
    assert client.post(_report_url(world.avesta_unit), _form()).status_code == 403
    assert client.post(_report_url(world.falun_ward), _form()).status_code == 403
    assert database_state() == before
    with pytest.raises(PermissionDenied):
        report(world.avesta_unit, world.lunden_staff)


def test_a_municipal_coordinator_reports_for_the_municipalitys_units_only(client, world):
    login(client, world.avesta_coordinator)
    assert client.get(_report_url(world.avesta_unit)).status_code == 200
    before = database_state()
    assert client.get(_report_url(world.lunden)).status_code == 403
    assert client.post(_report_url(world.lunden), _form()).status_code == 403
    assert database_state() == before
    with pytest.raises(PermissionDenied):
        report(world.lunden, world.avesta_coordinator)
    # Falun's coordinator: Falun's own unit, but not the region's hospital ward in Falun.
    assert report(world.lunden, world.falun_coordinator).unit == world.lunden
    with pytest.raises(PermissionDenied):
        report(world.falun_ward, world.falun_coordinator)


def test_the_region_coordinator_reports_for_the_regions_units(world):
    assert report(world.falun_ward, world.region_coordinator).unit == world.falun_ward
    with pytest.raises(PermissionDenied):
        report(world.lunden, world.region_coordinator)


def test_the_outsider_cannot_see_dalarnas_units_or_overview(client, world):
    report(world.lunden, world.lunden_staff)
    login(client, world.outsider)
    assert client.get(f"/kapacitet/enheter/{world.lunden.pk}/").status_code == 404
    assert client.get(_report_url(world.lunden)).status_code == 404
    assert client.post(_report_url(world.lunden), _form()).status_code == 404
    assert client.get("/kapacitet/?county=20").status_code == 403
    assert client.get("/kapacitet/export.csv?county=20").status_code == 403
    assert client.get("/kapacitet/").status_code == 200  # its own county
    assert client.get(f"/kapacitet/enheter/{world.orebro_unit.pk}/").status_code == 200


def test_the_viewer_sees_the_overview_but_cannot_report(client, world):
    report(world.lunden, world.lunden_staff)
    login(client, world.viewer)
    response = client.get("/kapacitet/")
    assert response.status_code == 200
    assert "Lunden korttidsboende" in response.content.decode()
    assert _report_url(world.lunden) not in response.content.decode()
    assert client.get(f"/kapacitet/enheter/{world.lunden.pk}/").status_code == 200
    before = database_state()
    assert client.get(_report_url(world.lunden)).status_code == 403
    assert client.post(_report_url(world.lunden), _form()).status_code == 403
    assert database_state() == before
    with pytest.raises(PermissionDenied):
        report(world.lunden, world.viewer)


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.post(_report_url(world.lunden), _form())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    assert not CapacityReport.objects.exists()


# --- Append-only history -------------------------------------------------------------------


def _latest(unit) -> CapacityReport | None:
    return UnitCapacity.objects.get(unit=unit).latest_report


def test_a_correction_is_a_new_report_and_the_original_stays(world):
    original = report(world.lunden, world.lunden_staff, when=local(2026, 3, 2, 9), occupied=15)
    with at(local(2026, 3, 2, 9, 30)):
        correction = services.capacity_report_create(
            data=services.ReportInput(
                unit=world.lunden,
                physical=20,
                staffed=16,
                occupied=13,
                reported_at=original.reported_at,
                corrects=original,
            ),
            by=world.lunden_staff,
        )
    original.refresh_from_db()
    assert original.occupied == 15
    assert correction.pk != original.pk
    assert correction.corrects == original
    assert list(original.corrections.all()) == [correction]
    assert CapacityReport.objects.filter(unit=world.lunden).count() == 2
    # Same time as the original, received later: the correction is now the unit's figures.
    assert _latest(world.lunden) == correction
    assert selectors.unit_history(world.lunden, now=local(2026, 3, 3)) == [correction, original]


def test_the_latest_report_only_moves_forward_in_time(world):
    monday = report(world.lunden, world.lunden_staff, when=local(2026, 3, 2, 9))
    assert _latest(world.lunden) == monday
    tuesday = report(world.lunden, world.lunden_staff, when=local(2026, 3, 3, 9), occupied=10)
    assert _latest(world.lunden) == tuesday
    # Sent on Tuesday afternoon, describing Monday afternoon: stored, but not the current figures.
    with at(local(2026, 3, 3, 15)):
        backdated = services.capacity_report_create(
            data=services.ReportInput(
                unit=world.lunden, physical=20, staffed=16, occupied=5, reported_at=local(2026, 3, 2, 15)
            ),
            by=world.lunden_staff,
        )
    assert _latest(world.lunden) == tuesday
    assert backdated in selectors.unit_history(world.lunden, now=local(2026, 3, 3, 16))
    with at(local(2026, 3, 3, 16)):
        row = next(
            r for r in selectors.county_overview(world.region_coordinator, "20").rows if r.unit_id == world.lunden.pk
        )
    assert row.occupied == 10
    # A back-dated correction of an old report does not replace the newer one either.
    with at(local(2026, 3, 3, 16)):
        services.capacity_report_create(
            data=services.ReportInput(
                unit=world.lunden,
                physical=20,
                staffed=16,
                occupied=11,
                reported_at=monday.reported_at,
                corrects=monday,
            ),
            by=world.lunden_staff,
        )
    assert _latest(world.lunden) == tuesday


# --- Audit ---------------------------------------------------------------------------------


def test_a_report_is_audited_with_actor_and_organisation(world, frozen, palliative):
    saved = report(world.lunden, world.lunden_staff, categories={"palliativ": (2, 1)})
    event = AuditEvent.objects.get(event_type="capacity.report_created")
    assert event.actor == world.lunden_staff
    assert event.organisation == world.falun
    assert (event.object_type, event.object_id) == ("capacity.capacityreport", str(saved.pk))
    assert event.after["occupied"] == 12
    assert event.after["unit"] == world.lunden.pk
    assert event.after["categories"] == {"palliativ": {"staffed": 2, "occupied": 1}}


def test_a_correction_is_audited_with_the_figures_it_replaces(world, frozen):
    original = report(world.falun_ward, world.region_coordinator, occupied=15)
    correction = services.capacity_report_create(
        data=services.ReportInput(unit=world.falun_ward, physical=20, staffed=16, occupied=14, corrects=original),
        by=world.region_coordinator,
    )
    event = AuditEvent.objects.get(event_type="capacity.report_corrected")
    assert event.actor == world.region_coordinator
    assert event.organisation == world.region
    assert event.object_id == str(correction.pk)
    assert event.before["occupied"] == 15
    assert event.after["occupied"] == 14
    assert event.after["corrects"] == original.pk


def test_planned_changes_are_audited_when_added_and_cancelled(client, world):
    login(client, world.lunden_staff)
    response = client.post(
        f"/kapacitet/enheter/{world.lunden.pk}/planerat/",
        {"effective_from": "2026-06-01", "staffed_change": "10", "physical_change": "0", "description": "Tio nya"},
    )
    assert response.status_code == 302
    change = PlannedChange.objects.get(unit=world.lunden)
    created = AuditEvent.objects.get(event_type="capacity.planned_change_created")
    assert (created.actor, created.organisation, created.object_id) == (world.lunden_staff, world.falun, str(change.pk))
    assert created.after["staffed_change"] == 10

    response = client.post(f"/kapacitet/planerat/{change.pk}/avbryt/")
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.cancelled_at is not None
    cancelled = AuditEvent.objects.get(event_type="capacity.planned_change_cancelled")
    assert (cancelled.actor, cancelled.organisation) == (world.lunden_staff, world.falun)
    assert cancelled.before == {"cancelled_at": None}


def test_a_planned_change_that_changes_nothing_is_rejected_without_audit(client, world):
    login(client, world.lunden_staff)
    before = AuditEvent.objects.count()
    client.post(
        f"/kapacitet/enheter/{world.lunden.pk}/planerat/",
        {"effective_from": "2026-06-01", "staffed_change": "0", "physical_change": "0", "description": "Inget"},
    )
    assert not PlannedChange.objects.exists()
    assert AuditEvent.objects.count() == before


def test_only_those_who_report_for_the_unit_may_plan_or_cancel_its_changes(client, world):
    change = services.planned_change_create(
        unit=world.lunden,
        effective_from=datetime.date(2026, 6, 1),
        physical_change=0,
        staffed_change=5,
        description="Fem nya",
        by=world.falun_coordinator,
    )
    before = AuditEvent.objects.count()
    login(client, world.avesta_coordinator)
    assert client.post(f"/kapacitet/planerat/{change.pk}/avbryt/").status_code == 403
    response = client.post(
        f"/kapacitet/enheter/{world.lunden.pk}/planerat/",
        {"effective_from": "2026-06-01", "staffed_change": "1", "physical_change": "0", "description": "x"},
    )
    assert response.status_code == 403
    change.refresh_from_db()
    assert change.cancelled_at is None
    assert PlannedChange.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_cancelling_a_cancelled_change_keeps_the_first_cancellation(world):
    change = services.planned_change_create(
        unit=world.lunden,
        effective_from=datetime.date(2026, 6, 1),
        physical_change=0,
        staffed_change=5,
        description="Fem nya",
        by=world.lunden_staff,
    )
    with at(local(2026, 3, 2, 9)):
        services.planned_change_cancel(change=change, by=world.lunden_staff)
    with at(local(2026, 3, 5, 9)):
        services.planned_change_cancel(change=PlannedChange.objects.get(pk=change.pk), by=world.falun_coordinator)
    change.refresh_from_db()
    assert change.cancelled_at == local(2026, 3, 2, 9)
    assert AuditEvent.objects.filter(event_type="capacity.planned_change_cancelled").count() == 1


def test_a_schedule_change_is_audited_for_the_region(client, world):
    login(client, world.region_coordinator)
    response = client.post(
        "/kapacitet/rapportering/schema/20/",
        {"weekday_choices": ["0", "2", "4"], "kind_choices": ["short_term"], "due_time": "11:00"},
    )
    assert response.status_code == 302
    schedule = ReportingSchedule.objects.get(county_id="20")
    assert schedule.weekday_numbers == {0, 2, 4}
    assert schedule.due_time == datetime.time(11, 0)
    assert not schedule.reminders_enabled
    event = AuditEvent.objects.get(event_type="capacity.schedule_changed")
    assert (event.actor, event.organisation) == (world.region_coordinator, world.region)
    assert event.before["weekdays"] == "0,1,2,3,4"
    assert event.after["weekdays"] == "0,2,4"


def test_the_outsider_cannot_change_dalarnas_schedule(client, world):
    login(client, world.outsider)
    response = client.post(
        "/kapacitet/rapportering/schema/20/",
        {"weekday_choices": ["0"], "kind_choices": ["short_term"], "due_time": "8:00"},
    )
    assert response.status_code == 403
    assert not ReportingSchedule.objects.filter(county_id="20").exists()
    assert not AuditEvent.objects.filter(event_type="capacity.schedule_changed").exists()


class _AuditFailed(Exception):
    pass


@pytest.fixture
def failing_audit(monkeypatch):
    def fail(**kwargs):
        raise _AuditFailed

    monkeypatch.setattr(services, "audit_record", fail)


def test_a_report_is_not_stored_when_its_audit_event_cannot_be_written(world, failing_audit):
    with pytest.raises(_AuditFailed):
        report(world.lunden, world.lunden_staff)
    assert not CapacityReport.objects.exists()
    assert not UnitCapacity.objects.filter(latest_report__isnull=False).exists()


def test_a_batch_is_not_stored_when_one_audit_event_cannot_be_written(world, monkeypatch):
    calls = []

    def fail_second(**kwargs):
        calls.append(kwargs["event_type"])
        if len(calls) == 2:
            raise _AuditFailed
        from samverkan.audit.services import audit_record

        return audit_record(**kwargs)

    monkeypatch.setattr(services, "audit_record", fail_second)
    items = [
        services.ReportInput(unit=world.lunden, physical=20, staffed=16, occupied=12),
        services.ReportInput(unit=world.avesta_unit, physical=20, staffed=16, occupied=12),
    ]
    with pytest.raises(_AuditFailed):
        services.capacity_reports_create(items=items, by=world.admin)
    assert not CapacityReport.objects.exists()
    assert not AuditEvent.objects.filter(event_type__startswith="capacity.").exists()


def test_planned_changes_and_schedules_are_not_changed_without_their_audit_event(world, failing_audit):
    with pytest.raises(_AuditFailed):
        services.planned_change_create(
            unit=world.lunden,
            effective_from=datetime.date(2026, 6, 1),
            physical_change=0,
            staffed_change=5,
            description="Fem nya",
            by=world.lunden_staff,
        )
    assert not PlannedChange.objects.exists()
    change = PlannedChange.objects.create(
        unit=world.lunden, effective_from=datetime.date(2026, 6, 1), staffed_change=5, description="Fem nya"
    )
    with pytest.raises(_AuditFailed):
        services.planned_change_cancel(change=change, by=world.lunden_staff)
    assert PlannedChange.objects.get(pk=change.pk).cancelled_at is None
    schedule = services.reporting_schedule_for("20")
    with pytest.raises(_AuditFailed):
        services.reporting_schedule_update(schedule=schedule, by=world.region_coordinator, weekdays="0")
    assert ReportingSchedule.objects.get(county_id="20").weekdays == "0,1,2,3,4"


def test_reports_keep_their_time_when_received_later(world):
    """`created_at` is when the report arrived, `reported_at` the time it describes."""
    with at(local(2026, 3, 3, 8)):
        saved = services.capacity_report_create(
            data=services.ReportInput(
                unit=world.lunden, physical=20, staffed=16, occupied=12, reported_at=local(2026, 3, 2, 18)
            ),
            by=world.lunden_staff,
        )
    assert saved.reported_at == local(2026, 3, 2, 18)
    assert saved.created_at == local(2026, 3, 3, 8)


def test_a_correction_from_the_unit_page_is_a_new_report_for_the_same_moment(client, world):
    first = report(world.lunden, world.lunden_staff, occupied=14)
    login(client, world.lunden_staff)
    page = client.get(f"/kapacitet/enheter/{world.lunden.pk}/rapportera/?corrects={first.pk}")
    assert f'name="corrects" value="{first.pk}"' in page.content.decode()
    response = client.post(
        f"/kapacitet/enheter/{world.lunden.pk}/rapportera/",
        {
            "corrects": first.pk,
            "occupied": 13,
            "staffed": first.staffed,
            "physical": first.physical,
            "surge": first.surge,
            "open_for_admission": "1",
            "closure_reason": "",
            "comment": "Fel i morse",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    correction = CapacityReport.objects.get(corrects=first)
    assert (correction.occupied, correction.reported_at) == (13, first.reported_at)
    assert CapacityReport.objects.filter(pk=first.pk, occupied=14).exists()


def test_a_report_of_another_unit_cannot_be_corrected_from_this_units_form(client, world):
    other = report(world.avesta_unit, world.avesta_coordinator)
    response = login(client, world.lunden_staff).get(
        f"/kapacitet/enheter/{world.lunden.pk}/rapportera/?corrects={other.pk}"
    )
    assert response.status_code == 404
