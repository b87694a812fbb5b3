"""`manage.py demo_data` builds the demo the README promises, and a second run changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from samverkan.flow.models import Episode
from samverkan.placements.models import PlaceRequest

pytestmark = pytest.mark.django_db


def test_demo_data_loads_the_minutes_scenario_and_is_idempotent(monkeypatch):
    from samverkan.demo import flow

    monkeypatch.setattr(flow, "DAYS", 21)  # three weeks of episodes are enough here
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    text = out.getvalue()
    assert "falun@demo.samverkan.se" in text and "TOTP secret" in text

    avesta = PlaceRequest.objects.get(from_organisation__municipality_id="2084")
    assert avesta.places == 6
    episodes = Episode.objects.filter(source__name="Cosmic (demo)")
    assert episodes.count() > 500
    with_ward = episodes.filter(hospital_unit__isnull=False)
    assert with_ward.count() == episodes.count()
    assert set(with_ward.values_list("hospital_unit__organisation__code", flat=True)) == {"R20"}

    counts = (PlaceRequest.objects.count(), Episode.objects.count())
    call_command("demo_data", stdout=io.StringIO())
    assert (PlaceRequest.objects.count(), Episode.objects.count()) == counts
