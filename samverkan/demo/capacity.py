"""Demo capacity: 60 days of daily reports for Dalarna's short-term units, through the real service.

A weekday rhythm (reports before 10:00, a few late, a few missing, none at weekends), occupancy
that drifts, Lunden with 34 staffed of 40 physical places and 6 surge places, Smedjebacken with
15 places of which 5 occupied, Borlänge with beds but uncertain staffing, and Ludvika's ten new
places announced from 1 June. Region Dalarna's hospital wards and ICUs report as well, so that the
region's own beds are on the overview (kind "hospital ward") and not blank."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from samverkan.accounts.models import User
from samverkan.capacity import services
from samverkan.capacity.models import BedCategory, CapacityReport, ClosureReason
from samverkan.capacity.schedule import LOCAL
from samverkan.organisations import policy
from samverkan.organisations.models import Unit, UnitKind

DAYS = 60
CATEGORIES = [("covid", "Covid-platser"), ("palliativ", "Palliativ vård"), ("demens", "Demens")]
# unit code -> (physical, staffed, typical occupancy share, surge)
PROFILES = {
    "2080-lunden": (40, 34, 0.75, 6),
    "2081-tjarnan": (20, 14, 0.7, 0),
    "2081-kvarnbacken": (16, 12, 0.8, 2),
    "2061-korttid": (15, 15, 0.34, 0),
    "2085-marnas": (18, 16, 0.9, 0),
    "2084-korttid": (14, 12, 0.97, 0),
    "2062-korttid": (22, 18, 0.85, 4),
}
COMMENTS = {
    "2081-tjarnan": "Lediga platser finns, men vi kan inte lova bemanning om alla fylls.",
    "2084-korttid": "Fullt – behöver avropa platser i länet.",
}


# The region's own wards report too (hospital ward, ICU): (physical, staffed, occupancy share, surge).
WARD_PROFILES: dict[str, tuple[int, int, float, int]] = {
    UnitKind.HOSPITAL_WARD: (28, 26, 0.93, 2),
    UnitKind.ICU: (8, 6, 0.8, 1),
}


def load(stdout) -> None:
    units = list(
        Unit.objects.filter(
            organisation__county_id="20", kind__in=[UnitKind.SHORT_TERM, UnitKind.HOSPITAL_WARD, UnitKind.ICU]
        ).select_related("municipality", "organisation")
    )
    if CapacityReport.objects.filter(unit__in=units).exists():
        stdout.write("Capacity demo data already present.")
        return
    for code, name in CATEGORIES:
        BedCategory.objects.get_or_create(county_id="20", code=code, defaults={"name": name})
    services.reporting_schedule_for("20")
    rng = random.Random(20)  # deterministic
    lunden_staff = User.objects.filter(email="lunden@demo.samverkan.se").first()
    now = timezone.now()
    today = now.astimezone(LOCAL).date()
    count = 0
    ward_rng = random.Random(21)  # the wards' own draws leave the short-term units' figures as they were
    for unit in units:
        ward = unit.kind != UnitKind.SHORT_TERM
        physical, staffed, share, surge = (
            WARD_PROFILES[unit.kind] if ward else PROFILES.get(unit.code, (12, 10, 0.95, 0))
        )
        reporter = lunden_staff if unit.code == "2080-lunden" and lunden_staff else policy.SYSTEM
        r = ward_rng if ward else rng
        for offset in range(DAYS - 1, -1, -1):
            day = today - datetime.timedelta(days=offset)
            if day.weekday() >= 5 or (not ward and r.random() < 0.04):
                continue  # no reports at weekends; a few missing days (the wards report every weekday)
            if ward:
                minute = r.randint(6 * 60, 9 * 60 + 30)  # before the morning's due time
            else:
                minute = r.randint(7 * 60 + 15, 9 * 60 + 55) if r.random() > 0.08 else r.randint(10 * 60 + 5, 15 * 60)
            reported_at = datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60), tzinfo=LOCAL)
            if reported_at > now:
                continue
            # Close to the unit's typical occupancy, a little higher towards today (the minutes'
            # pressure); now and then one patient more than staffed places.
            target = round(staffed * min(share + (0.04 if offset < 14 else 0), 1))
            occupied = target + r.choice([-2, -1, 0, 0, 1])
            occupied = min(max(occupied, 0), staffed + (1 if r.random() < 0.05 else 0), physical)
            if unit.code == "2061-korttid" and offset <= 3:
                occupied = 5  # Smedjebacken: 15 places, 5 occupied
            closed = unit.code == "2084-korttid" and 20 <= offset <= 23
            categories = {}
            if unit.code == "2080-lunden":
                categories = {"covid": (6, min(occupied, r.randint(2, 6))), "palliativ": (4, r.randint(1, 4))}
            services.capacity_report_create(
                data=services.ReportInput(
                    unit=unit,
                    reported_at=reported_at,
                    physical=physical,
                    staffed=staffed,
                    occupied=min(occupied, physical),
                    surge=surge,
                    open_for_admission=not closed,
                    closure_reason=ClosureReason.OUTBREAK if closed else "",
                    comment=COMMENTS.get(unit.code, "") if offset < 3 else "",
                    categories=categories,
                ),
                by=reporter,
                received_at=reported_at,  # the demo's reports arrive when they are made
            )
            count += 1
    marnas = Unit.objects.filter(code="2085-marnas").first()
    if marnas is not None:
        next_june = datetime.date(today.year + (today >= datetime.date(today.year, 6, 1)), 6, 1)
        services.planned_change_create(
            unit=marnas,
            effective_from=next_june,
            physical_change=10,
            staffed_change=10,
            description="Tio nya korttidsplatser öppnar",
            by=policy.SYSTEM,
        )
    stdout.write(f"Capacity demo data: {count} reports over {DAYS} days for {len(units)} units.")
