"""The review page: the county's reviewers see the audit events and access log of their county only."""

import pytest
from django.db import transaction

from samverkan.audit.services import access_log_record, audit_record
from samverkan.organisations import services
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def test_review_page_filters_by_event_type(world, client):
    services.unit_save(unit=world.lunden, by=world.region_coordinator)
    with transaction.atomic():
        audit_record(by=world.region_coordinator, event_type="other.thing", organisation=world.falun)
    body = login(client, world.region_coordinator).get("/granskning/?event_type=other.thing").content.decode()
    assert "other.thing" in body
    assert "organisations.unit_changed</td>" not in body


def test_review_page_shows_only_the_own_county(world, client):
    with transaction.atomic():
        audit_record(by=None, event_type="orebro.secret", organisation=world.orebro_region)
    body = login(client, world.region_coordinator).get("/granskning/").content.decode()
    assert "orebro.secret" not in body
    assert "orebro.secret" in login(client, world.outsider).get("/granskning/").content.decode()


def test_access_log_tab_lists_reads(world, client):
    access_log_record(
        by=world.region_coordinator, resource="flow.episode_list", reason="coordination", organisation=world.region
    )
    body = login(client, world.region_coordinator).get("/granskning/?log=access").content.decode()
    assert "flow.episode_list" in body
