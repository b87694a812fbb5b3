"""Who is told what: in the app (Notification rows) at once, by e-mail only after the change
commits; a change that is rolled back tells no one."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction

from samverkan.accounts.models import Notification
from samverkan.organisations.models import Organisation
from samverkan.organisations.roles import Role
from samverkan.placements import services
from samverkan.placements.tests.helpers import add_member, new_request, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def others(world):
    """More people, to see who is left out: Mora's coordinator (another municipality of the
    county), a coordinator of Örebro municipality (another county), an inactive Mora coordinator."""
    mora = Organisation.objects.get(code="2062")
    inactive = add_member("gone@mora.test", mora, Role.MUNICIPAL_COORDINATOR)
    inactive.is_active = False
    inactive.save()
    return {
        "mora": add_member("samordnare@mora.test", mora, Role.MUNICIPAL_COORDINATOR),
        "orebro": add_member(
            "samordnare@orebro.test", Organisation.objects.get(code="1880"), Role.MUNICIPAL_COORDINATOR
        ),
    }


def _told(**filters) -> set[str]:
    return set(Notification.objects.filter(**filters).values_list("user__email", flat=True))


def _mailed() -> set[str]:
    return {address for message in mail.outbox for address in message.to}


def test_a_county_wide_request_tells_the_coordinators_of_the_other_municipalities(
    world, others, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = new_request(world, "county")
    wanted = {world.falun_coordinator.email, world.ludvika_coordinator.email, others["mora"].email}
    assert _told(url=f"/platser/{request.pk}/") == wanted
    assert _mailed() == wanted
    message = mail.outbox[0]
    assert message.subject == "Samverkan: Avesta asks for 2 places from 2030-01-07."
    assert message.body.endswith(f"{settings.SITE_URL.rstrip('/')}/platser/{request.pk}/")


def test_e_mail_waits_for_the_commit(world, others, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        new_request(world, "county")
        assert Notification.objects.count() == 3  # in the app at once, in the same transaction
    assert callbacks
    assert mail.outbox == []


def test_a_draft_tells_no_one_until_it_is_sent(world, others, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        draft = new_request(world, "county", send=False)
    assert (Notification.objects.count(), mail.outbox) == (0, [])
    with django_capture_on_commit_callbacks(execute=True):
        services.request_send(request=draft, by=world.avesta_coordinator)
    assert _mailed() == {world.falun_coordinator.email, world.ludvika_coordinator.email, others["mora"].email}


@pytest.mark.parametrize(
    ("shape", "told"),
    [
        ("unit", {"lunden_staff", "falun_coordinator"}),
        ("municipality", {"falun_coordinator"}),
        ("ward", {"falun_coordinator", "avesta_coordinator", "ludvika_coordinator"}),
    ],
)
def test_a_request_to_a_unit_or_municipality_tells_its_people(world, others, shape, told):
    request = new_request(world, shape)
    wanted = {getattr(world, persona).email for persona in told}
    if shape == "ward":
        wanted.add(others["mora"].email)
    assert _told(url=f"/platser/{request.pk}/") == wanted


def test_an_offer_tells_the_requester(world, others, django_capture_on_commit_callbacks):
    request = new_request(world, "county")
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    assert _told() == _mailed() == {world.avesta_coordinator.email}
    assert Notification.objects.get().text == f"Lunden korttidsboende offers 2 places for request #{request.pk}."


def test_an_offer_to_the_hospital_ward_tells_the_region_coordinators(world):
    request = new_request(world, "ward")
    Notification.objects.all().delete()
    services.offer_create(request=request, unit=world.lunden, places=1, by=world.lunden_staff)
    assert _told() == {world.region_coordinator.email}


def test_accepting_tells_the_unit_side(world, others, django_capture_on_commit_callbacks):
    # Room enough that the reservation does not move the escalation suggestion (which tells others).
    report(world.lunden, world.lunden_staff, physical=60, staffed=50)
    request = new_request(world, "county")
    offer = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_accept(offer=offer, by=world.avesta_coordinator)
    wanted = {world.lunden_staff.email, world.falun_coordinator.email}
    assert _told() == _mailed() == wanted
    assert Notification.objects.first().text == (
        f"Request #{request.pk}: Avesta accepted 2 places at Lunden korttidsboende."
    )


def test_declining_an_offer_tells_the_offering_municipality(world):
    request = new_request(world, "county")
    offer = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    Notification.objects.all().delete()
    services.offer_decline(offer=offer, by=world.avesta_coordinator, reason="För långt bort")
    assert _told() == {world.falun_coordinator.email}


def test_withdrawing_tells_the_receivers_and_declining_tells_the_requester(world, others):
    request = new_request(world, "municipality")
    Notification.objects.all().delete()
    services.request_decline(request=request, by=world.falun_coordinator, reason="Fullt")
    assert _told() == {world.avesta_coordinator.email}
    other = new_request(world, "unit")
    Notification.objects.all().delete()
    services.request_withdraw(request=other, by=world.avesta_coordinator)
    assert _told() == {world.lunden_staff.email, world.falun_coordinator.email}


def test_arrival_marked_by_the_unit_tells_the_requester(world):
    report(world.lunden, world.lunden_staff)
    request = new_request(world, "county")
    offer = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    services.offer_accept(offer=offer, by=world.avesta_coordinator)
    Notification.objects.all().delete()
    services.request_arrive(request=request, by=world.lunden_staff)
    assert _told() == {world.avesta_coordinator.email}


def test_a_rolled_back_change_tells_no_one(world, others, django_capture_on_commit_callbacks):
    request = new_request(world, "county")
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
        raise RuntimeError("something after the offer failed")
    assert (Notification.objects.count(), mail.outbox) == (0, [])
    assert request.offers.count() == 0


def test_a_refused_change_tells_no_one(world, django_capture_on_commit_callbacks):
    request = new_request(world, "county")
    offer = services.offer_create(request=request, unit=world.lunden, places=2, by=world.lunden_staff)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.Conflict):
        services.offer_accept(offer=offer, by=world.avesta_coordinator)  # Lunden has not reported: 0 free
    assert (Notification.objects.count(), mail.outbox) == (0, [])
