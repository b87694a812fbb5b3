"""Synthetic, seeded episodes in the canonical CSV, for demos, tests and benchmarks.

Plausible rather than exact: admissions in proportion to each municipality's population
(about 120 per 1 000 inhabitants a year), fewer at weekends and more in winter, older patients
more often, a log-normal length of stay, about a fifth needing municipal care after discharge
(and so getting a ready-for-discharge notice), days ready with a long tail, destinations by age,
8 % psychiatric, and about one admission in twelve a readmission of a patient discharged alive in
the 30 days before (the same person: personal identity number, year of birth and home
municipality). Personal identity numbers are fake but pass the checksum."""

from __future__ import annotations

import csv
import datetime
import math
import random
from collections import deque
from collections.abc import Iterator
from typing import TextIO

from stdnum import luhn

from samverkan.flow.imports import CANONICAL_COLUMNS

ADMISSIONS_PER_1000_A_YEAR = 120
# (age band start, share of admissions)
AGE_BANDS = [(0, 0.06), (18, 0.12), (45, 0.14), (65, 0.22), (75, 0.26), (85, 0.20)]
READMISSION_SHARE = 0.08  # of admissions: a patient discharged alive in the 30 days before
READMISSION_DAYS = 30


def _check_digit(nine: str) -> str:
    return luhn.calc_check_digit(nine)


def fake_personnummer(rng: random.Random, birth: datetime.date) -> str:
    body = birth.strftime("%y%m%d") + f"{rng.randint(0, 999):03d}"
    return f"{birth.year}{birth.strftime('%m%d')}-{body[6:]}{_check_digit(body)}"


def _age(rng: random.Random) -> int:
    pick, total = rng.random(), 0.0
    for index, (start, share) in enumerate(AGE_BANDS):
        total += share
        if pick <= total:
            end = AGE_BANDS[index + 1][0] if index + 1 < len(AGE_BANDS) else 100
            return rng.randint(start, end - 1)
    return 80


def _destination(rng: random.Random, age: int, needs_care: bool) -> str:
    if rng.random() < (0.04 if age >= 75 else 0.01):
        return "deceased"
    if not needs_care:
        return "home" if rng.random() < 0.95 else "other_region"
    weights = (
        [("home_care", 0.45), ("short_term", 0.35), ("nursing_home", 0.12), ("other", 0.08)]
        if age >= 75
        else [("home_care", 0.55), ("short_term", 0.25), ("nursing_home", 0.05), ("other", 0.15)]
    )
    pick, total = rng.random(), 0.0
    for value, weight in weights:
        total += weight
        if pick <= total:
            return value
    return "other"


def _readmitted(
    rng: random.Random, discharged_alive: deque[tuple[datetime.datetime, str, datetime.date, str]], admitted
) -> tuple[str, datetime.date, str] | None:
    """For a share of admissions, an earlier patient discharged alive at most READMISSION_DAYS
    before `admitted`: (personnummer, birth, home municipality); else None. Forgets patients
    admitted long enough ago to have been discharged before any admission still to come."""
    window = datetime.timedelta(days=READMISSION_DAYS)
    while discharged_alive and discharged_alive[0][0] < admitted - 3 * window:
        discharged_alive.popleft()
    if not discharged_alive or rng.random() >= READMISSION_SHARE:
        return None
    for _ in range(4):  # a few tries at one discharged in the window
        index = rng.randrange(len(discharged_alive))
        discharged, personnummer, birth, home = discharged_alive[index]
        if admitted - window <= discharged < admitted:
            # back in hospital: not again from this stay (the new one joins when it ends)
            discharged_alive[index] = (datetime.datetime.min, personnummer, birth, home)  # noqa: DTZ901 - naive local
            return personnummer, birth, home
    return None


def episodes(
    municipalities: list[tuple[str, int]],
    *,
    start: datetime.date,
    days: int,
    seed: int = 1,
    count: int | None = None,
    now: datetime.datetime | None = None,
    wards: dict[str, list[str]] | None = None,
) -> Iterator[dict]:
    """Rows (dicts in canonical columns) for `municipalities` [(code, population)] over `days` days.
    With `count`, that many rows (spread over the period), else as many as the rates give. Events
    after `now` (local time, naive) have not happened yet: those fields stay empty. With `wards`
    ({care type: [unit codes]}), each episode gets a hospital unit of its care type (drawn from a
    separate stream, so the other fields are the same with or without)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    ward_rng = random.Random(seed + 1)  # noqa: S311
    # Readmissions draw from their own stream, so that every other field is as it was without them.
    readmission_rng = random.Random(seed + 2)  # noqa: S311
    # Patients discharged alive, by admission: (discharged, personnummer, birth, home municipality).
    discharged_alive: deque[tuple[datetime.datetime, str, datetime.date, str]] = deque()
    population = sum(p for _, p in municipalities) or 1
    per_day = population * ADMISSIONS_PER_1000_A_YEAR / 1000 / 365
    if count is not None:
        per_day = count / max(days, 1)
    codes = [c for c, _ in municipalities]
    weights = [p for _, p in municipalities]
    produced = 0
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        season = 1 + 0.12 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)
        weekday = 0.75 if day.weekday() >= 5 else 1.07
        expected = per_day * season * weekday
        n = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        for home in rng.choices(codes, weights=weights, k=n):
            if count is not None and produced >= count:
                return
            produced += 1
            age = _age(rng)
            birth = day - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
            psychiatric = rng.random() < 0.08
            care_type = "psychiatric" if psychiatric else "somatic"
            admitted = datetime.datetime.combine(day, datetime.time(rng.randint(0, 23), rng.randint(0, 59)))
            stay_hours = max(4.0, rng.lognormvariate(math.log(4.2 * 24 * (2.5 if psychiatric else 1)), 0.8))
            needs_care = rng.random() < (0.35 if age >= 75 else 0.12)
            ready = discharged = None
            if needs_care:
                ready = admitted + datetime.timedelta(hours=stay_hours)
                waiting_days = 0 if rng.random() < 0.45 else min(int(rng.paretovariate(1.6)), 60)
                discharged = ready + datetime.timedelta(days=waiting_days, hours=rng.randint(1, 8))
            else:
                discharged = admitted + datetime.timedelta(hours=stay_hours)
            personnummer = fake_personnummer(rng, birth)
            earlier = _readmitted(readmission_rng, discharged_alive, admitted)
            if earlier is not None:
                personnummer, birth, home = earlier
            row = {
                "source_id": f"S{seed}-{produced:08d}",
                "personnummer": personnummer,
                "birth_year": str(birth.year),
                "sex": rng.choice("FM"),
                "home_municipality": home,
                "hospital_unit": ward_rng.choice(wards[care_type]) if wards and wards.get(care_type) else "",
                "care_type": care_type,
                "admitted_at": admitted.isoformat(timespec="minutes"),
                "admission_notice_at": (admitted + datetime.timedelta(hours=rng.randint(2, 24))).isoformat(
                    timespec="minutes"
                )
                if needs_care
                else "",
                "estimated_discharge_date": (admitted + datetime.timedelta(hours=stay_hours)).date().isoformat()
                if needs_care
                else "",
                "ready_at": ready.isoformat(timespec="minutes") if ready else "",
                "sip_called_at": (ready + datetime.timedelta(days=rng.randint(0, 5))).isoformat(timespec="minutes")
                if ready and rng.random() < 0.6
                else "",
                "discharged_at": discharged.isoformat(timespec="minutes"),
                "destination": _destination(rng, age, needs_care),
                "covid": "1" if rng.random() < 0.03 else "0",
                # two in three ready patients get a named care contact, 0–3 days after the notice
                # (by the running number, so that the random draws of the other columns stay as they were)
                "care_contact_at": (ready + datetime.timedelta(days=produced % 4)).isoformat(timespec="minutes")
                if ready and produced % 3
                else "",
            }
            if row["destination"] != "deceased":
                discharged_alive.append((discharged, personnummer, birth, home))
            if now is not None:
                if admitted > now:
                    continue
                for column in ("admission_notice_at", "ready_at", "sip_called_at", "discharged_at", "care_contact_at"):
                    if row[column] and datetime.datetime.fromisoformat(row[column]) > now:
                        row[column] = ""
                if not row["discharged_at"]:
                    row["destination"] = ""
            yield row


def write_csv(rows, out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=CANONICAL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    written = 0
    for row in rows:
        writer.writerow(row)
        written += 1
    return written
