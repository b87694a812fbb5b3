"""The review page: the county's reviewers see the audit events and access log of their county only."""

import pytest
from django.db import transaction

from samverkan.audit.models import AccessLogEntry
from samverkan.audit.services import access_log_record, audit_record
from samverkan.organisations import policy, services
from samverkan.organisations.models import Membership
from samverkan.organisations.roles import Role
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
        audit_record(by=policy.SYSTEM, event_type="orebro.secret", organisation=world.orebro_region)
    body = login(client, world.region_coordinator).get("/granskning/").content.decode()
    assert "orebro.secret" not in body
    assert "orebro.secret" in login(client, world.outsider).get("/granskning/").content.decode()


def test_access_log_tab_lists_reads(world, client):
    access_log_record(
        by=world.region_coordinator, resource="flow.episode_list", reason="coordination", organisation=world.region
    )
    body = login(client, world.region_coordinator).get("/granskning/?log=access").content.decode()
    assert "flow.episode_list" in body


def test_episode_reads_by_the_region_coordinator_reach_the_county_reviewer(world, client, django_user_model):
    """Issue 16, part 1: the access log row carries the acting organisation, so the county's
    reviewer (another region coordinator) sees it on /granskning/?log=access."""
    reader = world.region_coordinator
    login(client, reader).get("/flode/vardtillfallen/", {"county": "20", "reason": "Planering av platser"})
    reviewer = django_user_model.objects.create_user("granskare@test.samverkan.se", "Testlösen-2026!")
    Membership.objects.create(user=reviewer, organisation=world.region, role=Role.REGION_COORDINATOR)
    client.logout()
    body = login(client, reviewer).get("/granskning/?log=access").content.decode()
    assert "Planering av platser" in body
    assert "flow.episode_list county=20" in body
    assert world.region.name in body
    # Not in another county's review
    client.logout()
    assert "Planering av platser" not in login(client, world.outsider).get("/granskning/?log=access").content.decode()


def test_an_administrators_episode_read_is_reviewed_by_the_county_it_concerns(world, client):
    login(client, world.admin).get("/flode/vardtillfallen/", {"county": "18", "reason": "Support"})
    entry = AccessLogEntry.objects.get()
    assert entry.organisation is not None and entry.organisation.county_id == "18"
