"""The agreement page: the rule in plain words for everyone in the county; versions and day rates
recorded by region coordinators, audited; a changed agreement changes the liability of notices
from its date."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from samverkan.audit.models import AuditEvent
from samverkan.followup import selectors
from samverkan.followup.models import Agreement, DayRate
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def _agreement_form(**values: str) -> dict[str, str]:
    """The agreement form as posted (unchecked boxes are left out), the law's figures unless `values` say otherwise."""
    return {
        "county": "20",
        "save_agreement": "1",
        "valid_from": "2024-01-01",
        "grace_days_somatic": "3",
        "grace_days_psychiatric": "30",
        "model": "episode",
        "dispute_days": "30",
        "answer_days": "30",
        **values,
    }


def test_everyone_in_the_county_reads_the_rule_in_swedish(client, world):
    login(client, world.viewer)
    with translation.override("sv"):
        response = client.get("/uppfoljning/overenskommelse/?county=20", HTTP_ACCEPT_LANGUAGE="sv")
    text = response.content.decode()
    assert response.status_code == 200
    assert "betalar kommunen från dag 4 efter meddelandet om utskrivningsklar" in text and "från dag 31" in text
    assert response.context["agreement_form"] is None
    assert client.post("/uppfoljning/overenskommelse/", {"county": "20", "save_rate": "1"}).status_code == 403


def test_region_coordinator_records_a_version_and_a_rate(client, world):
    login(client, world.region_coordinator)
    response = client.post(
        "/uppfoljning/overenskommelse/",
        _agreement_form(
            name="Stockholmsmodellen", notice_day_counts="on", cutoff_time="12:00", admission_notice_required="on"
        ),
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get(county_id="20")
    assert agreement.cutoff_time == datetime.time(12) and agreement.valid_from == datetime.date(2024, 1, 1)
    event = AuditEvent.objects.get(event_type="followup.agreement_saved")
    assert event.actor == world.region_coordinator and event.before is None and event.after["cutoff_time"] == "12:00:00"
    assert selectors.agreements_of("20").on(datetime.date(2024, 3, 1)).cutoff_time == datetime.time(12)
    assert selectors.agreements_of("20").on(datetime.date(2023, 12, 31)).cutoff_time is None

    response = client.post(
        "/uppfoljning/overenskommelse/", {"county": "20", "save_rate": "1", "year": "2024", "amount": "11000"}
    )
    assert response.status_code == 302
    assert DayRate.objects.get(county_id="20", year=2024).amount == Decimal("11000")
    response = client.post(
        "/uppfoljning/overenskommelse/", {"county": "20", "save_rate": "1", "year": "2024", "amount": "11500"}
    )
    event = AuditEvent.objects.filter(event_type="followup.day_rate_set").latest("id")
    assert (event.before["amount"], event.after["amount"]) == ("11000.00", "11500")


def test_average_model_without_target_is_refused_and_nothing_saved(client, world):
    login(client, world.region_coordinator)
    response = client.post(
        "/uppfoljning/overenskommelse/",
        _agreement_form(name="Snitt", model="average"),
    )
    assert response.status_code == 200
    assert response.context["agreement_form"].errors
    assert not Agreement.objects.exists() and not AuditEvent.objects.filter(event_type__startswith="followup.").exists()


def test_other_county_and_unit_staff(client, world):
    login(client, world.outsider)
    assert client.get("/uppfoljning/overenskommelse/?county=20").status_code == 403
    assert client.get("/uppfoljning/?county=20").status_code == 403
    login(client, world.lunden_staff)
    assert client.get("/uppfoljning/?county=20").status_code == 403
