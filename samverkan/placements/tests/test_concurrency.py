"""Simultaneous accepts never overbook a unit: two real app server processes on PostgreSQL, and
threads in one process on either database (SQLite serialises them with BEGIN IMMEDIATE).

The data must be committed for other connections to see it, hence transactional tests.
benchmarks/bench_placements.py runs the larger version (200 accepts for 10 places)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.db.utils import load_backend

from samverkan.accounts.models import ApiKeyRole, User
from samverkan.accounts.services import api_key_create
from samverkan.capacity.models import UnitCapacity
from samverkan.organisations import policy
from samverkan.placements import services
from samverkan.placements.models import OfferStatus, PlaceOffer, Reservation
from samverkan.testing import app_servers, contended_offers, database_for_threads, database_url, post_simultaneously

FREE = 3


def _reserved(unit) -> tuple[int, int, int]:
    reservations = Reservation.objects.filter(unit=unit)
    return (
        reservations.count(),
        reservations.aggregate(n=Sum("places"))["n"] or 0,
        UnitCapacity.objects.get(unit=unit).reserved,
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: two app server processes cannot share the test suite's SQLite database "
    "(run with DATABASE_URL=postgres://…)",
)
@pytest.mark.django_db(transaction=True)
def test_two_app_servers_accepting_at_once_never_overbook(world):
    offers = contended_offers(unit=world.lunden, requester=world.avesta, free=FREE, count=40, by=world.lunden_staff)
    keys = [
        api_key_create(
            organisation=world.avesta, name=f"System {i}", role=ApiKeyRole.MUNICIPAL_COORDINATOR, by=policy.SYSTEM
        )[1]
        for i in range(4)
    ]
    with app_servers(database_url(connection.settings_dict), count=2, threads=6) as servers:
        burst = post_simultaneously(
            [
                (
                    servers[i % 2],
                    f"/api/v1/placements/offers/{offer.pk}/accept",
                    {"Authorization": f"Bearer {keys[i % len(keys)]}"},
                )
                for i, offer in enumerate(offers)
            ]
        )
    assert burst.others(201, 409) == []
    assert (burst.count(201), burst.count(409)) == (FREE, 40 - FREE)
    assert _reserved(world.lunden) == (FREE, FREE, FREE)
    assert PlaceOffer.objects.filter(status=OfferStatus.ACCEPTED).count() == FREE


@pytest.mark.django_db(transaction=True)
def test_threads_accepting_at_once_never_overbook(world, tmp_path):
    """Each thread has its own database connection (closed when the thread ends)."""
    offers = contended_offers(unit=world.lunden, requester=world.avesta, free=FREE, count=16, by=world.lunden_staff)
    barrier = threading.Barrier(len(offers), timeout=30)
    outcomes: list[str] = []

    def accept(offer_id: int, settings_dict: dict) -> None:
        own = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
        connections["default"] = own  # this thread's connection (connections are per thread)
        try:
            offer = PlaceOffer.objects.select_related("request").get(pk=offer_id)
            coordinator = User.objects.get(pk=world.avesta_coordinator.pk)
            barrier.wait()
            services.offer_accept(offer=offer, by=coordinator)
            outcomes.append("accepted")
        except services.Conflict:
            outcomes.append("conflict")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(repr(error))
        finally:
            own.close()

    with database_for_threads(tmp_path) as settings_dict:
        threads = [threading.Thread(target=accept, args=(offer.pk, settings_dict)) for offer in offers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["accepted"] * FREE + ["conflict"] * (len(offers) - FREE)
        assert _reserved(world.lunden) == (FREE, FREE, FREE)
