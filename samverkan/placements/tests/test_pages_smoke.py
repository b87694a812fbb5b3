import datetime

import pytest

from samverkan.capacity import services as capacity
from samverkan.placements import services
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def test_the_flow_and_pages_render(client, world):
    capacity.capacity_report_create(
        data=capacity.ReportInput(unit=world.lunden, physical=40, staffed=34, occupied=20, surge=6),
        by=world.lunden_staff,
    )
    request = services.request_create(
        by=world.avesta_coordinator,
        from_organisation=world.avesta,
        places=3,
        wanted_from=datetime.date(2030, 1, 1),
        to_county=True,
    )
    offer = services.offer_create(request=request, unit=world.lunden, places=3, by=world.lunden_staff)
    services.offer_accept(offer=offer, by=world.avesta_coordinator)
    login(client, world.region_coordinator)
    for url in [
        "/platser/",
        "/platser/?box=incoming",
        "/platser/ny/",
        f"/platser/{request.pk}/",
        "/platser/lediga/",
        "/platser/avrakning/",
        "/platser/avrakning/?format=csv",
        "/platser/avrakning/?format=xlsx",
        "/platser/beredskap/",
        "/",
        "/konto/meddelanden/",
        "/api/v1/placements/requests",
        "/api/v1/placements/free?county=20",
        "/api/v1/escalation?county=20",
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:3000])
    overview = client.get("/api/v1/capacity/overview?county=20").json()
    lunden = next(u for u in overview["units"] if u["unit"] == world.lunden.pk)
    assert (lunden["reserved"], lunden["free"]) == (3, 11)
