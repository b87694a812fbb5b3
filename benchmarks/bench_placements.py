"""placements: 200 municipal coordinators accept an offer of 1 place at the same unit at the same
moment, through two separate app server processes (gunicorn, one worker with several threads each)
sharing one PostgreSQL database. The unit has exactly 10 free places: 10 accepts must get 201, the
other 190 must get 409, and the database must hold 10 reservations and 10 reserved places, never more.

Reports `placements_concurrency` (reservations made, against the 10 free places) and
`placements_overbooked` (places reserved beyond the free ones: must be 0).

Needs PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/samverkan_bench_placements);
the database is dropped and created anew."""

from __future__ import annotations

import os
import time

import dj_database_url

from benchmarks.__main__ import Result
from benchmarks.database import recreate_database

FREE = 10
CALLS = 200
SERVERS = 2
THREADS = 8
KEYS = 10
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/samverkan_bench_placements"


def _use_database(url: str) -> None:
    """Point Django at the bench database, also when another benchmark set Django up first."""
    import django
    from django.db import connection

    django.setup()
    parsed = dj_database_url.parse(url)
    if connection.settings_dict["NAME"] != parsed["NAME"]:
        connection.close()
        connection.settings_dict.update(
            {key: parsed[key] for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")}
        )


def run() -> dict[str, Result]:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "1"
    recreate_database(url)
    _use_database(url)
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Sum

    from samverkan.accounts.models import ApiKeyRole
    from samverkan.accounts.services import api_key_create
    from samverkan.capacity.models import UnitCapacity
    from samverkan.organisations import policy
    from samverkan.placements.models import OfferStatus, PlaceOffer, Reservation
    from samverkan.testing import app_servers, build_world, contended_offers, post_simultaneously

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    world = build_world()
    offers = contended_offers(unit=world.lunden, requester=world.avesta, free=FREE, count=CALLS, by=world.lunden_staff)
    keys = [
        api_key_create(
            organisation=world.avesta, name=f"Bench {i}", role=ApiKeyRole.MUNICIPAL_COORDINATOR, by=policy.SYSTEM
        )[1]
        for i in range(KEYS)
    ]
    connection.close()  # the servers and the checks below use their own connections
    print(f"placements: database prepared in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    with app_servers(url, count=SERVERS, threads=THREADS) as servers:
        print(
            f"placements: {SERVERS} gunicorn servers ({THREADS} threads each) ready in {time.perf_counter() - started:.1f} s"
        )
        burst = post_simultaneously(
            [
                (
                    servers[i % SERVERS],
                    f"/api/v1/placements/offers/{offer.pk}/accept",
                    {"Authorization": f"Bearer {keys[i % KEYS]}", "Accept": "application/json"},
                )
                for i, offer in enumerate(offers)
            ]
        )

    unit = world.lunden
    reservations = Reservation.objects.filter(unit=unit).count()
    reserved_places = Reservation.objects.filter(unit=unit).aggregate(n=Sum("places"))["n"] or 0
    reserved = UnitCapacity.objects.get(unit=unit).reserved
    accepted_offers = PlaceOffer.objects.filter(unit=unit, status=OfferStatus.ACCEPTED).count()
    created, conflicts, others = burst.count(201), burst.count(409), burst.others(201, 409)
    print(
        f"placements: {CALLS} simultaneous accepts in {burst.seconds * 1000:.0f} ms: "
        f"{created} × 201, {conflicts} × 409, {len(others)} other"
    )
    for status, body in others[:5]:
        print(f"    other answer {status}: …{body[-400:]}")
    print(
        f"placements: {reservations} reservations, {reserved_places} places reserved, UnitCapacity.reserved = {reserved}, "
        f"{accepted_offers} offers accepted (free places before: {FREE})"
    )
    if not (created == reservations == accepted_offers and reserved == reserved_places):
        print("placements: WARNING: the answers and the database disagree")
    connection.close()
    return {
        "placements_concurrency": Result(reservations, "reservations", FREE),
        "placements_overbooked": Result(max(0, max(reserved_places, reserved) - FREE), "places"),
    }
