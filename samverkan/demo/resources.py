"""Demo equipment, from the minutes: Region Dalarna's 33 oxygen concentrators, most kept at the
aids centre in Falun, a few lent to municipalities' short-term units (one loan overdue), one
request from Avesta waiting for the region's answer, and an earlier loan returned."""

from __future__ import annotations

import datetime

from django.utils import timezone

from samverkan.accounts.models import User
from samverkan.organisations.models import County, Municipality, Organisation, Unit
from samverkan.organisations.policy import SYSTEM
from samverkan.resources import services
from samverkan.resources.models import EquipmentItem, EquipmentType, ReturnCondition

CONCENTRATORS = 33
# (municipality code, where kept, how many)
KEPT = [("2080", "Hjälpmedelscentralen, Falun", 25), ("2062", "Mora lasarett, förråd", 8)]


def load(stdout) -> None:
    if EquipmentType.objects.filter(county_id="20").exists():
        stdout.write("Equipment demo data already present.")
        return
    county = County.objects.get(code="20")
    region = Organisation.objects.get(code="R20")
    concentrator = services.equipment_type_create(
        county=county,
        code="syrgaskoncentrator",
        name="Syrgaskoncentrator",
        description="Förskrivs vid återgång till korttidsplats.",
        by=SYSTEM,
    )
    services.equipment_type_create(county=county, code="saturationsmatare", name="Saturationsmätare", by=SYSTEM)
    today = timezone.localdate()
    items: list[EquipmentItem] = []
    number = 0
    for code, site, count in KEPT:
        municipality = Municipality.objects.get(code=code)
        for _ in range(count):
            number += 1
            items.append(
                services.item_create(
                    type=concentrator,
                    serial=f"SK-{number:03d}",
                    owner=region,
                    home_municipality=municipality,
                    home_site=site,
                    last_service_on=today - datetime.timedelta(days=30 + number * 7),
                    next_service_on=today + datetime.timedelta(days=335 - number * 7),
                    by=SYSTEM,
                )
            )
    assert len(items) == CONCENTRATORS  # noqa: S101 - the minutes' number

    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@demo.samverkan.se")}
    lender = users["region.dalarna"]

    def lend(borrower: str, unit_code: str, serials: list[int], first: int, last: int, purpose: str):
        request = services.loan_request_create(
            by=users[borrower],
            unit=Unit.objects.get(code=unit_code),
            type=concentrator,
            quantity=len(serials),
            needed_from=today + datetime.timedelta(days=first),
            needed_until=today + datetime.timedelta(days=last),
            purpose=purpose,
        )
        services.loan_request_approve(
            request=request, items=[items[n - 1] for n in serials], by=lender, note="Hämtas på hjälpmedelscentralen."
        )
        return request

    lend("avesta", "2084-korttid", [1, 2], -10, 18, "Två patienter med syrgasbehov efter utskrivning")
    lend("borlange", "2081-tjarnan", [3], -5, 25, "Syrgas på korttidsplats")
    lend("ludvika", "2085-marnas", [4], -40, -3, "Syrgas under korttidsvistelse")  # overdue
    earlier = lend("falun", "2080-lunden", [5], -60, -30, "Syrgas efter covid-vård")
    services.loan_return(loan=earlier.loans.get(), by=lender, condition=ReturnCondition.OK)
    services.loan_request_create(  # waiting for the region's answer
        by=users["avesta"],
        unit=Unit.objects.get(code="2084-korttid"),
        type=concentrator,
        quantity=2,
        needed_from=today + datetime.timedelta(days=7),
        needed_until=today + datetime.timedelta(days=35),
        purpose="Två platser med syrgas öppnar nästa vecka",
    )
    stdout.write(
        f"Equipment: {CONCENTRATORS} oxygen concentrators, 4 loans (1 overdue, 1 returned), 1 request waiting."
    )
