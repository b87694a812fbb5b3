"""Subscriptions: named addresses and an organisation's members (a private provider too) get an
e-mail when a report is published, with a link that ends the subscription without login."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from samverkan.accounts.models import User
from samverkan.audit.models import AuditEvent
from samverkan.organisations.models import Membership, Organisation
from samverkan.organisations.roles import OrganisationKind, Role
from samverkan.situation import services
from samverkan.situation.models import Subscription
from samverkan.testing import PASSWORD, login

pytestmark = pytest.mark.django_db


def publish(world):
    draft = services.report_prepare(county=world.region.county, by=world.forum_secretary)
    return services.report_publish(report=draft, by=world.forum_secretary)


@pytest.fixture
def provider(world):
    organisation = Organisation.objects.create(
        code="P-OMS", name="Omsorg AB", kind=OrganisationKind.PROVIDER, county_id="20"
    )
    user = User.objects.create_user("chef@omsorg.se", PASSWORD, full_name="Chef Omsorg")
    Membership.objects.create(user=user, organisation=organisation, role=Role.VIEWER)
    return organisation


def test_subscribers_get_the_link_and_a_way_out(world, provider, django_capture_on_commit_callbacks, client):
    county = world.region.county
    services.subscription_add(county=county, email="Kansli@Kommun.se", by=world.forum_secretary)
    assert services.subscriptions_add_members(county=county, organisation=provider, by=world.forum_secretary) == 1
    assert services.subscriptions_add_members(county=county, organisation=provider, by=world.forum_secretary) == 0
    with django_capture_on_commit_callbacks(execute=True):
        report = publish(world)
    assert sorted(m.to[0] for m in mail.outbox) == ["chef@omsorg.se", "kansli@kommun.se"]
    message = next(m for m in mail.outbox if m.to == ["kansli@kommun.se"])
    assert f"/lagesbild/{report.pk}/" in message.body
    link = re.search(r"/lagesbild/avprenumerera/[\w-]+/", message.body).group(0)
    # Following the link asks; only the button ends it (mail scanners follow links).
    assert client.get(link).status_code == 200
    assert Subscription.objects.get(email="kansli@kommun.se").is_active
    assert client.post(link).status_code == 200
    assert not Subscription.objects.get(email="kansli@kommun.se").is_active
    assert AuditEvent.objects.filter(event_type="situation.subscription_ended", after={"via": "link"}).count() == 1
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publish(world)
    assert [m.to[0] for m in mail.outbox] == ["chef@omsorg.se"]
    assert client.get("/lagesbild/avprenumerera/not-a-token/").status_code == 404


def test_the_public_page_is_in_the_message_when_the_county_has_one(world, django_capture_on_commit_callbacks):
    services.settings_save(
        county=world.region.county, enabled=False, weekday=3, time=datetime.time(7), public=True, by=world.admin
    )
    services.subscription_add(county=world.region.county, email="a@b.se", by=world.region_coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        report = publish(world)
    assert f"/lagesbild/offentlig/20/{report.number}/" in mail.outbox[0].body


def test_who_manages_subscribers_and_bad_input(world, client):
    county = world.region.county
    for persona in ("viewer", "falun_coordinator", "lunden_staff", "outsider"):
        with pytest.raises(PermissionDenied):
            services.subscription_add(county=county, email="x@y.se", by=world.users[persona])
    with pytest.raises(ValidationError):
        services.subscription_add(county=county, email="not an address", by=world.forum_secretary)
    with pytest.raises(ValidationError):
        services.subscription_add(
            county=county, email="x@y.se", organisation=world.orebro_region, by=world.forum_secretary
        )
    services.subscription_add(county=county, email="x@y.se", by=world.forum_secretary)
    with pytest.raises(ValidationError):
        services.subscription_add(county=county, email="X@y.se", by=world.forum_secretary)
    login(client, world.forum_secretary)
    page = client.post("/lagesbild/prenumeranter/?county=20", {"email": "", "organisation": ""})
    assert page.status_code == 400
    subscription = Subscription.objects.get()
    assert client.post(f"/lagesbild/prenumeranter/{subscription.pk}/avsluta/").status_code == 302
    subscription.refresh_from_db()
    assert not subscription.is_active
    login(client, world.outsider)
    assert client.post(f"/lagesbild/prenumeranter/{subscription.pk}/avsluta/").status_code == 404


def test_each_report_keeps_who_it_was_sent_to(world, provider, client):
    county = world.region.county
    services.subscription_add(county=county, email="kansli@kommun.se", by=world.forum_secretary)
    services.subscriptions_add_members(county=county, organisation=provider, by=world.forum_secretary)
    first = publish(world)
    services.subscription_remove(
        subscription=Subscription.objects.get(email="kansli@kommun.se"), by=world.forum_secretary
    )
    services.subscription_add(county=county, email="ny@kommun.se", by=world.forum_secretary)
    second = publish(world)
    # The first report's list stays as it was when it was published.
    assert [(d.email, d.organisation) for d in first.deliveries.all()] == [
        ("chef@omsorg.se", provider),
        ("kansli@kommun.se", None),
    ]
    assert list(second.deliveries.values_list("email", flat=True)) == ["chef@omsorg.se", "ny@kommun.se"]
    assert all(d.sent_at == first.published_at for d in first.deliveries.all())
    published = AuditEvent.objects.filter(event_type="situation.report_published").order_by("pk")
    assert [event.after["sent_to"] for event in published] == [2, 2]
    login(client, world.forum_secretary)
    page = client.get(f"/lagesbild/{first.pk}/").content.decode()
    assert "sent to 2 subscribers" in page and "kansli@kommun.se" in page and "ny@kommun.se" not in page
    login(client, world.viewer)  # a reader of the report does not see who gets it
    page = client.get(f"/lagesbild/{first.pk}/").content.decode()
    assert "kansli@kommun.se" not in page and 'id="sent-heading"' not in page
