import pytest

from samverkan.capacity import services
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def test_pages_render(client, world):
    services.capacity_report_create(
        data=services.ReportInput(unit=world.lunden, physical=40, staffed=34, occupied=30, surge=6),
        by=world.lunden_staff,
    )
    login(client, world.region_coordinator)
    for url in [
        "/kapacitet/",
        "/kapacitet/?sort=free",
        f"/kapacitet/enheter/{world.lunden.pk}/",
        f"/kapacitet/enheter/{world.falun_ward.pk}/rapportera/",
        "/kapacitet/rapportering/",
        "/kapacitet/rapportering/schema/20/",
        "/kapacitet/export.csv",
        "/kapacitet/export.xlsx",
        "/api/v1/capacity/overview?county=20",
        "/api/v1/capacity/overview.fhir?county=20",
        f"/api/v1/capacity/units/{world.lunden.pk}/history",
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:3000])
