"""Funding rounds: applications, the forum's decisions, the granted total never above the budget."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from samverkan.audit.models import AuditEvent
from samverkan.meetings import services
from samverkan.meetings.models import FundingApplication
from samverkan.meetings.tests.helpers import at, make_forum, make_meeting
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def _apply(world, funding, organisation, amount, by):
    return services.funding_application_create(
        funding=funding,
        data=services.ApplicationInput(
            organisation=organisation,
            project=f"Projekt {organisation.name}",
            amount=amount,
            starts_on=datetime.date(2027, 1, 1),
            ends_on=datetime.date(2027, 12, 31),
        ),
        by=by,
    )


def test_granted_totals_stay_within_the_budget(world):
    forum = make_forum(world)
    funding = services.funding_round_create(
        forum=forum, name="UPH-medel 2027", budget=17_000_000, by=world.forum_secretary
    )
    falun = _apply(world, funding, world.falun, 9_000_000, world.falun_coordinator)
    avesta = _apply(world, funding, world.avesta, 6_000_000, world.avesta_coordinator)
    region = _apply(world, funding, world.region, 4_000_000, world.region_coordinator)
    services.funding_application_decide(
        application=falun, decision="granted", granted=9_000_000, by=world.forum_secretary
    )
    services.funding_application_decide(
        application=avesta, decision="partly", granted=5_500_000, assessment="Delvis", by=world.forum_secretary
    )
    assert services.funding_granted_total(funding) == 14_500_000
    with pytest.raises(ValidationError) as over:
        services.funding_application_decide(
            application=region, decision="granted", granted=4_000_000, by=world.forum_secretary
        )
    assert "2 500 000 kronor are left" in " ".join(over.value.messages)
    services.funding_application_decide(
        application=region, decision="partly", granted=2_500_000, by=world.forum_secretary
    )
    assert services.funding_granted_total(funding) == 17_000_000
    # Changing a decision frees its amount.
    services.funding_application_decide(application=falun, decision="rejected", granted=0, by=world.forum_secretary)
    assert services.funding_granted_total(funding) == 8_000_000
    assert AuditEvent.objects.filter(event_type="meetings.funding_decided").count() == 4


def test_decisions_must_match_their_amounts(world):
    forum = make_forum(world)
    funding = services.funding_round_create(forum=forum, name="Medel", budget=1_000_000, by=world.forum_secretary)
    application = _apply(world, funding, world.falun, 400_000, world.falun_coordinator)
    for decision, granted in (("granted", 300_000), ("rejected", 10), ("partly", 400_000), ("partly", 0)):
        with pytest.raises(ValidationError):
            services.funding_application_decide(
                application=application, decision=decision, granted=granted, by=world.forum_secretary
            )
    other_forum = make_forum(world, "Annat forum")
    elsewhere = services.agenda_item_add(
        meeting=make_meeting(world, other_forum, at(2027, 2, 1)), title="X", by=world.forum_secretary
    )
    with pytest.raises(ValidationError) as refused:
        services.funding_application_decide(
            application=application,
            decision="granted",
            granted=400_000,
            forum_decision=services.decision_add(item=elsewhere, text="Att", by=world.forum_secretary),
            by=world.forum_secretary,
        )
    assert "forum_decision" in refused.value.message_dict
    assert FundingApplication.objects.get().decision == "pending"


def test_coordinators_apply_for_their_own_organisation_only(world):
    forum = make_forum(world)
    funding = services.funding_round_create(forum=forum, name="Medel", budget=1_000_000, by=world.forum_secretary)
    with pytest.raises(PermissionDenied):
        _apply(world, funding, world.avesta, 100, world.falun_coordinator)
    with pytest.raises(PermissionDenied):
        services.funding_application_decide(
            application=_apply(world, funding, world.falun, 100, world.falun_coordinator),
            decision="granted",
            granted=100,
            by=world.falun_coordinator,
        )
    with pytest.raises(ValidationError) as refused:
        _apply(world, funding, world.avesta, 2_000_000, world.avesta_coordinator)
    assert "amount" in refused.value.message_dict


def test_the_round_page_shows_budget_granted_and_left_and_exports(world, client):
    forum = make_forum(world)
    funding = services.funding_round_create(
        forum=forum, name="UPH-medel 2027", budget=17_000_000, by=world.forum_secretary
    )
    login(client, world.avesta_coordinator)
    client.post(
        f"/moten/medel/{funding.pk}/",
        {
            "organisation": world.avesta.pk,
            "project": "Digitala vårdmöten",
            "amount": "2000000",
            "starts_on": "2027-01-01",
            "ends_on": "2027-06-30",
        },
    )
    application = FundingApplication.objects.get()
    login(client, world.forum_secretary)
    meeting = make_meeting(world, forum, at(2027, 2, 1))
    item = services.agenda_item_add(meeting=meeting, title="UPH-medel", by=world.forum_secretary)
    decision = services.decision_add(item=item, text="Att bevilja Avesta 1 500 000 kr", by=world.forum_secretary)
    client.post(
        f"/moten/ansokningar/{application.pk}/beslut/",
        {"decision": "partly", "granted": "1500000", "assessment": "Bra", "forum_decision": decision.pk},
    )
    application.refresh_from_db()
    assert (application.granted, application.forum_decision) == (1_500_000, decision)
    page = client.get(f"/moten/medel/{funding.pk}/").content.decode()
    assert "1\u00a0500\u00a0000\u00a0kr" in page and "15\u00a0500\u00a0000\u00a0kr" in page
    workbook = client.get(f"/moten/medel/{funding.pk}/ansokningar.xlsx")
    assert workbook.status_code == 200 and workbook.content.startswith(b"PK")
