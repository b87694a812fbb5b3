"""County statistics of patient flow: per home municipality and per day, ISO week or month.

How the figures are counted (also shown on the page, see `templates/flow/_statistics_note.html`):

- Periods are local calendar dates in Europe/Stockholm. `start` and `end` are both included. A
  period is cut at today (`up_to_today`: later days have no figures yet); one that starts after
  today is refused.
  Weeks are ISO weeks (Monday to Sunday); the first and last day, week or month of a period can be
  partial: only days inside the chosen period count.
- An episode belongs to its patient's home municipality.
- **Admissions**: episodes admitted in the period. **Discharges**: episodes discharged in it. A
  discharge at exactly 00:00 belongs to the day that starts then: the patient was in hospital at
  the end of the day before (and counts in its census).
- **In hospital** (census): episodes admitted before and not discharged by the end of the period
  (midnight after its last day). **Ready, in hospital**: of those, the ones with a ready-for-discharge
  notice before that moment.
- **Ready notices**: ready-for-discharge notices given in the period.
- **Days ready** (docs/architecture.md, "Where each rule lives") of a discharged patient with a ready notice = calendar days from the
  local date of the notice to the local date of discharge (0 = discharged the day they were ready).
  They are counted in the period of the discharge: the sum, the mean per discharged episode (not
  per patient: a patient discharged twice counts twice), the share
  discharged the same day (0 days) and the share discharged within the grace days.
  **Grace days** follow the county's payment-liability agreement in force on the day of the notice
  (samverkan/flow/grace.py, the one rule that followup's liability counts by too; the law's 3
  days in somatic and 30 in psychiatric care where nothing is agreed): a patient is **within the
  grace days** when discharged no later than the first liable day L, and has max(0, E − L) **days
  beyond grace** (E the date of discharge): the liable days, whatever the preconditions. A
  number of grace days given (`grace_days`) counts every care type alike instead (the notice day
  as grace day 1, no cut-off): within = days ready ≤ grace days.
- **Destinations**: discharges in the period by destination; shares of all discharges with a
  known destination.
- **Per 1 000 inhabitants**: the count divided by the municipality's population (the county's
  population for the total) times 1 000; not annualised.
- **Age** = the year of admission minus the birth year; episodes without a birth year fall outside
  every age band (and so are left out when an age band is chosen).
- **Small counts** (docs/decisions/small-count-protection.md): roles with exact counts
  (policy "flow.exact_counts", in the county shown) get the figures above for any period. Everyone
  else ("readers") gets what `readers_figures` makes of them, so that no count can be recovered by
  subtracting figures from each other (periods one day apart, the county minus the other
  municipalities, a month minus its weeks, the census minus the flows, a total minus the other
  age bands): only whole ISO weeks or calendar months that have ended (`whole_periods`); every
  count of a municipality and period randomly rounded to a multiple of ROUNDING_BASE (`Rounding`:
  unbiased, and the same count in the same place and period always rounded the same way); the
  period totals, the county and every share, mean and rate computed from the rounded counts (sums
  of days are rounded like counts); and shares and means not shown when they come from fewer than
  READER_MIN_PATIENTS patients (rounded). See `Cell` and `columns` below.

All figures come from a fixed number of aggregate queries, whatever the data size, grouped by
municipality and period bucket in the database; the county totals, the whole-period rows and the
census at the end of each bucket are sums over those rows in Python. Without filters (and with at
the county's rules as the daily rows were built with, or at most WAITED_DAYS_KEPT grace days
given) they come from the daily rows every import keeps
(samverkan/flow/daily.py): a few thousand rows per county and year instead of every episode. With
filters they come from the episodes.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, models
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Cast, ExtractYear, Trunc, TruncDate
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from samverkan.capacity.schedule import LOCAL
from samverkan.flow import daily, grace
from samverkan.flow.models import WAITED_DAYS_KEPT, CareType, DailyFlow, Destination, Episode
from samverkan.organisations import policy
from samverkan.organisations.models import Municipality

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ROUNDING_BASE = 5  # readers see every count as a multiple of this
READER_MIN_PATIENTS = 10  # readers see shares and means only from this many patients (rounded)
DESTINATIONS = tuple(Destination.values)  # computed once: the enum's property builds a new list each time


class Granularity(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


# key: (label, first age, last age or None)
AGE_BANDS: dict[str, tuple[str, int, int | None]] = {
    "0-17": ("0–17", 0, 17),
    "18-44": ("18–44", 18, 44),
    "45-64": ("45–64", 45, 64),
    "65-74": ("65–74", 65, 74),
    "75-84": ("75–84", 75, 84),
    "85-": ("85+", 85, None),
}


@dataclass(frozen=True)
class Filters:
    """Which episodes count. Empty / None means all."""

    care_type: str = ""
    age_band: str = ""
    covid: bool | None = None
    hospital_unit: int | None = None

    def served_by_daily_rows(self) -> bool:
        """Whether the daily rows (DailyFlow, per care type and covid) hold these figures: no
        filter, or care type and covid only. Age band and hospital unit read the episodes."""
        return not self.age_band and self.hospital_unit is None

    def __post_init__(self):
        if self.care_type and self.care_type not in CareType.values:
            raise ValueError(f"unknown care type {self.care_type!r}")
        if self.age_band and self.age_band not in AGE_BANDS:
            raise ValueError(f"unknown age band {self.age_band!r}")


@dataclass
class Figures:
    """The figures of one area (a municipality or the county) over one period (a bucket or the
    whole period). Counts are exact; `columns` and `cells` hide small counts."""

    population: int = 0
    admissions: int = 0
    discharges: int = 0
    ready_notices: int = 0
    in_hospital: int = 0
    ready_in_hospital: int = 0
    discharged_ready: int = 0
    days_ready: int = 0
    same_day: int = 0
    within_grace: int = 0
    days_beyond_grace: int = 0
    destinations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DESTINATIONS, 0))

    FLOWS = (
        "admissions",
        "discharges",
        "ready_notices",
        "discharged_ready",
        "days_ready",
        "same_day",
        "within_grace",
        "days_beyond_grace",
    )

    def add_flows(self, other: Figures) -> None:
        for name in self.FLOWS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.destinations.items():
            self.destinations[key] += value

    def add_census(self, other: Figures) -> None:
        self.in_hospital += other.in_hospital
        self.ready_in_hospital += other.ready_in_hospital

    @property
    def known_destinations(self) -> int:
        return sum(self.destinations.values())

    @property
    def mean_days_ready(self) -> float | None:
        return self.days_ready / self.discharged_ready if self.discharged_ready else None

    @property
    def same_day_share(self) -> float | None:
        return self.same_day / self.discharged_ready if self.discharged_ready else None

    @property
    def within_grace_share(self) -> float | None:
        return self.within_grace / self.discharged_ready if self.discharged_ready else None

    def destination_share(self, destination: str) -> float | None:
        known = self.known_destinations
        return self.destinations[destination] / known if known else None

    def per_1000(self, count: int) -> float | None:
        return count * 1000 / self.population if self.population else None


@dataclass
class Bucket:
    start: datetime.date  # first day counted (clipped to the period)
    end: datetime.date  # last day counted, included
    figures: Figures


@dataclass
class Area:
    code: str
    name: str
    population: int
    total: Figures  # the whole period
    buckets: list[Bucket]


@dataclass
class Statistics:
    county_code: str
    start: datetime.date
    end: datetime.date
    granularity: str
    filters: Filters
    grace_days: int | None  # None: the county's agreement (`grace.rules_for`)
    municipalities: list[Area]
    county: Area
    exact: bool = True  # False: a reader's figures (`readers_figures`)
    requested_end: datetime.date | None = None  # the end asked for, when it was after today (`up_to_today`)

    def area(self, code: str | None) -> Area:
        """The county (code None or the county's code) or one of its municipalities."""
        if not code or code == self.county_code:
            return self.county
        for area in self.municipalities:
            if area.code == code:
                return area
        raise KeyError(code)


def bucket_starts(start: datetime.date, end: datetime.date, granularity: str) -> list[datetime.date]:
    """The first day of every day, ISO week (Monday) or month that touches [start, end]."""
    first = _truncate(start, granularity)
    starts = []
    day = first
    while day <= end:
        starts.append(day)
        day = _next(day, granularity)
    return starts


def _truncate(day: datetime.date, granularity: str) -> datetime.date:
    if granularity == Granularity.WEEK:
        return day - datetime.timedelta(days=day.weekday())
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    return day


def _next(day: datetime.date, granularity: str) -> datetime.date:
    if granularity == Granularity.WEEK:
        return day + datetime.timedelta(days=7)
    if granularity == Granularity.MONTH:
        return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return day + datetime.timedelta(days=1)


def is_whole(bucket: Bucket, granularity: str) -> bool:
    """Whether a bucket covers its whole day, ISO week or calendar month (the first and last of a
    period may be cut by the period or by today; a chart leaves them out, as a part of a week
    drawn beside whole ones looks like a fall)."""
    return bucket.start == _truncate(bucket.start, granularity) and bucket.end == _next(
        _truncate(bucket.start, granularity), granularity
    ) - datetime.timedelta(days=1)


def local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=LOCAL)


def _filtered(county_code: str, filters: Filters) -> models.QuerySet[Episode]:
    episodes: models.QuerySet[Episode] = Episode.objects.filter(home_municipality__county_id=county_code)
    if filters.care_type:
        episodes = episodes.filter(care_type=filters.care_type)
    if filters.covid is not None:
        episodes = episodes.filter(covid=filters.covid)
    if filters.hospital_unit is not None:
        episodes = episodes.filter(hospital_unit_id=filters.hospital_unit)
    if filters.age_band:
        _, low, high = AGE_BANDS[filters.age_band]
        aged = episodes.annotate(age_at_admission=ExtractYear("admitted_at", tzinfo=LOCAL) - F("birth_year"))
        episodes = aged.filter(birth_year__isnull=False, age_at_admission__gte=low)
        if high is not None:
            episodes = aged.filter(birth_year__isnull=False, age_at_admission__gte=low, age_at_admission__lte=high)
    return episodes


def _bucket(column: str, granularity: str):
    return Trunc(column, granularity, output_field=models.DateField(), tzinfo=LOCAL)


def statistics(
    principal,
    *,
    county_code: str,
    start: datetime.date,
    end: datetime.date,
    granularity: str = Granularity.WEEK,
    filters: Filters | None = None,
    grace_days: int | None = None,
) -> Statistics:
    """Patient-flow figures of `county_code` per home municipality and per period bucket over the
    local dates `start`..`end` (both included), and the county totals. Exact figures, for roles with
    exact counts; `readers_figures` turns them into what everyone else sees.
    Four or six queries (from the daily rows or the episodes), whatever the data size. The definitions are in this module's docstring."""
    policy.require(principal, "flow.statistics", policy.Place(county=county_code))
    if granularity not in Granularity.values:
        raise ValueError(f"unknown granularity {granularity!r}")
    if end < start:
        raise ValueError("end is before start")
    filters = filters or Filters()
    since, until = local_midnight(start), local_midnight(end + datetime.timedelta(days=1))

    municipalities = list(
        Municipality.objects.filter(county_id=county_code).order_by("name").values_list("code", "name", "population")
    )
    starts = bucket_starts(start, end, granularity)
    index = {day: i for i, day in enumerate(starts)}
    cells: dict[str, list[Figures]] = {code: [Figures() for _ in starts] for code, _, _ in municipalities}

    def cell(code: str, day: datetime.date) -> Figures | None:
        row = cells.get(code)
        return row[index[day]] if row is not None and day in index else None

    rules = grace.rules_for(county_code) if grace_days is None else grace.Rules([grace.plain(grace_days)])
    codes = tuple(code for code, _, _ in municipalities)
    if filters.served_by_daily_rows() and (
        daily.is_complete(county_code, rules.fingerprint())
        if grace_days is None
        else grace_days <= WAITED_DAYS_KEPT and daily.is_complete(county_code)
    ):
        census = _fill_daily(list(codes), start, end, granularity, grace_days, cell, filters)
    else:
        census = _fill(_filtered(county_code, filters), since, until, granularity, {codes: rules}, cell)

    for code, _name, population in municipalities:
        start_census = census.get(code, {})
        in_hospital, ready = start_census.get("in_hospital", 0), start_census.get("ready", 0)
        for figures in cells[code]:
            figures.population = population
            in_hospital += figures.admissions - figures.discharges
            ready += figures.ready_notices - figures.discharged_ready
            figures.in_hospital, figures.ready_in_hospital = in_hospital, ready
    areas, county = _areas(county_code, municipalities, cells, _bounds(starts, start, end, granularity))
    return Statistics(county_code, start, end, granularity, filters, grace_days, areas, county)


def _areas(
    county_code: str,
    municipalities: list[tuple[str, str, int]],
    cells: dict[str, list[Figures]],
    periods: list[tuple[datetime.date, datetime.date]],
) -> tuple[list[Area], Area]:
    """The municipalities (code, name, population) with their figures per period (`cells`, census
    included) and their totals over the whole period, and the county: every total a sum."""
    population = sum(p for _, _, p in municipalities)
    county_cells = [Figures(population=population) for _ in periods]
    county_total = Figures(population=population)
    areas = []
    for code, name, area_population in municipalities:
        total = Figures(population=area_population)
        for figures, county_figures in zip(cells[code], county_cells, strict=True):
            total.add_flows(figures)
            county_figures.add_flows(figures)
            county_figures.add_census(figures)
        total.add_census(cells[code][-1])  # in hospital at the end of the last period
        county_total.add_flows(total)
        county_total.add_census(total)
        areas.append(Area(code, name, area_population, total, _periods(periods, cells[code])))
    county = Area(county_code, str(_("County total")), population, county_total, _periods(periods, county_cells))
    return areas, county


def _periods(periods: list[tuple[datetime.date, datetime.date]], figures: list[Figures]) -> list[Bucket]:
    return [Bucket(start, end, f) for (start, end), f in zip(periods, figures, strict=True)]


def _fill(episodes, since, until, granularity: str, rules: dict[tuple[str, ...], grace.Rules], cell) -> dict[str, dict]:
    """Four aggregate queries (admissions, ready notices, discharges, each by
    municipality and bucket, and the census at the start by municipality). Fills the buckets through
    `cell(code, bucket start)` and returns the census at the start per municipality."""
    for name, column in (("admissions", "admitted_at"), ("ready_notices", "ready_at")):
        counted = (
            episodes.filter(**{f"{column}__gte": since, f"{column}__lt": until})
            .values("home_municipality_id", bucket=_bucket(column, granularity))
            .annotate(n=Count("id"))
            .values_list("home_municipality_id", "bucket", "n")
        )
        for code, day, n in counted:
            if (target := cell(code, day)) is not None:
                setattr(target, name, n)

    waited = ExpressionWrapper(
        TruncDate("discharged_at", tzinfo=LOCAL) - TruncDate("ready_at", tzinfo=LOCAL), output_field=DurationField()
    )
    has_ready = Q(ready_at__isnull=False)
    discharges = (
        episodes.filter(discharged_at__gte=since, discharged_at__lt=until)
        .annotate(waited=waited, shift=grace.shift(rules))
        .values("home_municipality_id", bucket=_bucket("discharged_at", granularity))
        .annotate(
            discharges=Count("id"),
            discharged_ready=Count("id", filter=has_ready),
            days_ready=Sum("waited", filter=has_ready),
            same_day=Count("id", filter=has_ready & Q(waited__lte=datetime.timedelta(0))),
            within_grace=Count("id", filter=has_ready & Q(waited__lte=F("shift"))),
            days_beyond_grace=Sum(F("waited") - F("shift"), filter=has_ready & Q(waited__gt=F("shift"))),
            **{f"dest_{d}": Count("id", filter=Q(destination=d)) for d in Destination.values},
        )
    )
    for row in discharges:
        target = cell(row["home_municipality_id"], row["bucket"])
        if target is None:
            continue
        target.discharges = row["discharges"]
        target.discharged_ready = row["discharged_ready"]
        target.days_ready = daily.whole_days(row["days_ready"])
        target.same_day = row["same_day"]
        target.within_grace = row["within_grace"]
        target.days_beyond_grace = daily.whole_days(row["days_beyond_grace"])
        target.destinations = {d: row[f"dest_{d}"] for d in DESTINATIONS}

    in_hospital_at_start = Q(admitted_at__lt=since) & (Q(discharged_at__isnull=True) | Q(discharged_at__gte=since))
    return {
        row["home_municipality_id"]: row
        for row in episodes.filter(in_hospital_at_start)
        .values("home_municipality_id")
        .annotate(in_hospital=Count("id"), ready=Count("id", filter=Q(ready_at__lt=since)))
    }


def _fill_daily(
    codes: list[str], start, end, granularity: str, grace_days: int | None, cell, filters: Filters = Filters()
) -> dict[str, dict]:
    """What `_fill` does, from the daily rows (DailyFlow) instead of the episodes: two queries over
    a few rows per municipality and day. Within and beyond grace as the rows were built (the
    county's rules) or, with `grace_days` given, from the rows' days ready. The census at the start is what came in before it minus
    what went out (every discharge follows its admission, every discharge after a notice its notice)."""
    rows = DailyFlow.objects.filter(municipality_id__in=codes)
    if filters.care_type:
        rows = rows.filter(care_type=filters.care_type)
    if filters.covid is not None:
        rows = rows.filter(covid=filters.covid)
    in_period = (
        rows.filter(day__gte=start, day__lte=end)
        .values(
            "municipality_id",
            bucket=Cast(Trunc("day", granularity, output_field=models.DateField()), models.DateField()),
        )
        .annotate(**{name: Sum(name) for name in daily.FLOW_FIELDS})
        .values_list("municipality_id", "bucket", *daily.FLOW_FIELDS)
    )
    # Run as plain SQL: about 1 500 rows × 22 sums for two years of weeks, where the ORM's per-value
    # converters would cost more than the query. The dates come back as dates (PostgreSQL) or as
    # ISO text (SQLite); the sums as integers.
    sql, params = in_period.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    for code, bucket, *values in found:
        if isinstance(bucket, str):
            bucket = datetime.date.fromisoformat(bucket)
        target = cell(code, bucket)
        if target is None:
            continue
        row = dict(zip(daily.FLOW_FIELDS, (int(v or 0) for v in values), strict=True))
        for name in ("admissions", "ready_notices", "discharges", "discharged_ready", "days_ready"):
            setattr(target, name, row[name])
        target.same_day = row["waited_0"]
        if grace_days is None:
            target.within_grace = row["within_grace"]
            target.days_beyond_grace = row["days_beyond_grace"]
        else:
            waited = [row[f"waited_{k}"] for k in range(grace_days + 1)]
            target.within_grace = sum(waited)
            # Σ over those who waited longer of (days − grace) = all days − the days of those within
            # grace − grace × the number who waited longer.
            target.days_beyond_grace = (
                row["days_ready"]
                - sum(k * n for k, n in enumerate(waited))
                - grace_days * (row["discharged_ready"] - target.within_grace)
            )
        target.destinations = {d: row[field] for d, field in daily.DESTINATION_FIELDS.items()}
    before = (
        rows.filter(day__lt=start)
        .values("municipality_id")
        .annotate(
            admissions=Sum("admissions"),
            discharges=Sum("discharges"),
            notices=Sum("ready_notices"),
            discharged_ready=Sum("discharged_ready"),
        )
    )
    return {
        row["municipality_id"]: {
            "in_hospital": row["admissions"] - row["discharges"],
            "ready": row["notices"] - row["discharged_ready"],
        }
        for row in before
    }


def _bounds(
    starts: list[datetime.date], start: datetime.date, end: datetime.date, granularity: str
) -> list[tuple[datetime.date, datetime.date]]:
    """The first and last day counted of every bucket (clipped to the period)."""
    return [(max(day, start), min(_next(day, granularity) - datetime.timedelta(days=1), end)) for day in starts]


# --- Readers' figures: whole periods, rounded counts (docs/decisions/small-count-protection.md) ---


READERS_GET_NO_DAYS = _("Figures per day are shown only to roles with exact counts; choose week or month.")


class PeriodRefused(ValueError):
    """A period a reader cannot get; the message says why (translated)."""


def whole_periods(
    start: datetime.date, end: datetime.date, granularity: str, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The period a reader gets for `start`..`end`: widened to whole ISO weeks or calendar months,
    and ending with the last one that ended before `today` (one under way would change day by day).
    PeriodRefused for days, or when no whole period in it has ended yet."""
    if granularity not in (Granularity.WEEK, Granularity.MONTH):
        raise PeriodRefused(READERS_GET_NO_DAYS)
    first = _truncate(start, granularity)
    last = min(
        _next(_truncate(end, granularity), granularity) - datetime.timedelta(days=1),
        _truncate(today, granularity) - datetime.timedelta(days=1),
    )
    if last < first:
        raise PeriodRefused(
            _("No whole week has ended in the chosen period yet.")
            if granularity == Granularity.WEEK
            else _("No whole month has ended in the chosen period yet.")
        )
    return first, last


def up_to_today(start: datetime.date, end: datetime.date, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period cut at today: nothing has happened after it, and today's census repeated for
    every later week would look like figures. PeriodRefused when the period starts after today."""
    if start > today:
        raise PeriodRefused(
            _("The period starts after today (%(today)s): there are no figures for it yet.")
            % {"today": today.isoformat()}
        )
    return start, min(end, today)


class Rounding:
    """Random rounding to a multiple of ROUNDING_BASE. A count 5q + r (0 < r < 5) becomes 5q + 5
    with probability r / 5 and 5q otherwise, so that sums of rounded counts are unbiased. The draw
    is a keyed hash of the place and time the count is for (`context`) and the count: asking again
    gives the same answer, and the same patients counted under another filter or as another figure
    of that place and time are rounded alike, so asking in other words tells nothing new either."""

    def __init__(self, key: bytes):
        self._key = key

    @classmethod
    def from_settings(cls) -> Rounding:
        """Keyed from PSEUDONYM_KEY (which never changes: a new key would round every count anew)."""
        return cls(hmac.digest(settings.PSEUDONYM_KEY.encode(), b"samverkan flow statistics rounding", "sha256"))

    def __call__(self, value: int, context: str) -> int:
        remainder = value % ROUNDING_BASE
        if not remainder:
            return value
        digest = hashlib.blake2b(f"{context}|{value}".encode(), key=self._key, digest_size=8).digest()
        up = int.from_bytes(digest, "big") % ROUNDING_BASE < remainder
        return value - remainder + (ROUNDING_BASE if up else 0)


def readers_figures(stats: Statistics, rounding: Rounding) -> Statistics:
    """What a reader sees of `stats` (whole periods, see `whole_periods`): every count of each
    municipality and period rounded, the census by the moment it is counted at (the end of a week
    and of a month can be the same moment), the flows by their period; the municipalities' totals
    and the county summed from the rounded counts."""
    municipalities = [(area.code, area.name, area.population) for area in stats.municipalities]
    cells = {}
    for area in stats.municipalities:
        rounded = []
        for bucket in area.buckets:
            f, period, moment = (
                bucket.figures,
                f"{area.code}|{bucket.start}|{bucket.end}",
                f"{area.code}|end of {bucket.end}",
            )
            rounded.append(
                Figures(
                    population=f.population,
                    in_hospital=rounding(f.in_hospital, moment),
                    ready_in_hospital=rounding(f.ready_in_hospital, moment),
                    destinations={d: rounding(n, period) for d, n in f.destinations.items()},
                    **{name: rounding(getattr(f, name), period) for name in Figures.FLOWS},
                )
            )
        cells[area.code] = rounded
    periods = [(bucket.start, bucket.end) for bucket in stats.county.buckets]
    areas, county = _areas(stats.county_code, municipalities, cells, periods)
    return dataclasses.replace(stats, municipalities=areas, county=county, exact=False)


# --- Display: the same cells for the page and the exports -------------------------------------


# The one rounding rule of every figure that is not a count, used alike by the page, the CSV and
# Excel downloads and the API: rates per 1 000 to 2 decimals, means to 1, shares as fractions to
# 2 decimals (a whole percent on the page); halves round up (27.155 → 27.16), from the decimal
# value rather than the float's binary approximation.
DECIMALS = {"rate": 2, "mean": 1, "share": 2}


def rounded(value: float, kind: str) -> decimal.Decimal:
    """`value` rounded by the rule for its kind (DECIMALS)."""
    step = decimal.Decimal(1).scaleb(-DECIMALS[kind])
    return decimal.Decimal(repr(value)).quantize(step, rounding=decimal.ROUND_HALF_UP)


@dataclass(frozen=True)
class Cell:
    """One figure as shown: `value` is an int or float, or None when it cannot be shown (nothing
    to divide by, or for a reader too few patients for a share or mean)."""

    value: int | float | None
    kind: str  # count, rate, share, mean

    @property
    def shown(self) -> int | decimal.Decimal | None:
        """The value as every output gives it: counts as they are, the rest rounded (DECIMALS)."""
        if isinstance(self.value, float):
            return rounded(self.value, self.kind)
        return self.value

    def export(self) -> int | float | None:
        """The value for a spreadsheet or the API: numbers as numbers, the same rounded figure
        as the page (shares as fractions)."""
        shown = self.shown
        return float(shown) if isinstance(shown, decimal.Decimal) else shown

    def __str__(self) -> str:
        shown = self.shown
        if shown is None:
            return "–"
        if self.kind == "share":
            return f"{number_format(shown * 100, 0)} %"
        if isinstance(shown, decimal.Decimal):
            return number_format(shown, DECIMALS[self.kind])
        return str(shown)


def _too_few(patients: int, exact: bool) -> bool:
    return not exact and patients < READER_MIN_PATIENTS


def count_cell(value: int, exact: bool) -> Cell:
    """A count; for a reader (not `exact`) it must have been rounded (`readers_figures`)."""
    if not exact and value % ROUNDING_BASE:
        raise ValueError("a count not rounded for a reader")
    return Cell(value, "count")


def share_cell(part: int, whole: int, exact: bool) -> Cell:
    """part / whole; for a reader from the rounded counts (at most 100 %: the part and the whole
    are rounded each on its own), and not from fewer than READER_MIN_PATIENTS."""
    if not whole or _too_few(whole, exact):
        return Cell(None, "share")
    return Cell(min(part / whole, 1.0), "share")


def rate_cell(count: int, population: int, exact: bool) -> Cell:
    return Cell(count * 1000 / population if population else None, "rate")


def mean_cell(total: int, patients: int, exact: bool) -> Cell:
    """A sum of days per patient; for a reader not from fewer than READER_MIN_PATIENTS (the
    mean of a few rounded figures would be noise, and read as one patient's days)."""
    if not patients or _too_few(patients, exact):
        return Cell(None, "mean")
    return Cell(total / patients, "mean")


@dataclass(frozen=True)
class Column:
    key: str
    label: StrOrPromise
    cell: Callable[[Figures, bool], Cell]


def columns(grace_days: int | None) -> list[Column]:
    """The figures of a row, in order: the main table's, then the destinations (count and share)."""
    return main_columns(grace_days) + destination_columns()


def main_columns(grace_days: int | None) -> list[Column]:
    return [
        Column("admissions", _("Admissions"), lambda f, x: count_cell(f.admissions, x)),
        Column("admissions_per_1000", _("Admissions per 1 000"), lambda f, x: rate_cell(f.admissions, f.population, x)),
        Column("discharges", _("Discharges"), lambda f, x: count_cell(f.discharges, x)),
        Column("discharges_per_1000", _("Discharges per 1 000"), lambda f, x: rate_cell(f.discharges, f.population, x)),
        Column("in_hospital", _("In hospital at end"), lambda f, x: count_cell(f.in_hospital, x)),
        Column("ready_notices", _("Ready notices"), lambda f, x: count_cell(f.ready_notices, x)),
        Column("ready_in_hospital", _("Ready, in hospital at end"), lambda f, x: count_cell(f.ready_in_hospital, x)),
        Column(
            "ready_in_hospital_per_1000",
            _("Ready, in hospital, per 1 000"),
            lambda f, x: rate_cell(f.ready_in_hospital, f.population, x),
        ),
        Column(
            "discharged_ready", _("Discharged after a ready notice"), lambda f, x: count_cell(f.discharged_ready, x)
        ),
        Column(
            "days_ready",
            _("Days ready"),
            lambda f, x: count_cell(f.days_ready, x),
        ),
        Column(
            "mean_days_ready",
            _("Mean days ready"),
            lambda f, x: mean_cell(f.days_ready, f.discharged_ready, x),
        ),
        Column(
            "same_day_share",
            _("Share discharged the day they were ready"),
            lambda f, x: share_cell(f.same_day, f.discharged_ready, x),
        ),
        Column(
            "within_grace_share",
            _("Share discharged within the grace days")
            if grace_days is None
            else _("Share discharged within %(days)d grace days") % {"days": grace_days},
            lambda f, x: share_cell(f.within_grace, f.discharged_ready, x),
        ),
        Column(
            "days_beyond_grace",
            _("Days beyond grace"),
            lambda f, x: count_cell(f.days_beyond_grace, x),
        ),
    ]


def _destination_count(destination: str) -> Callable[[Figures, bool], Cell]:
    return lambda f, x: count_cell(f.destinations[destination], x)


def _destination_share(destination: str) -> Callable[[Figures, bool], Cell]:
    return lambda f, x: share_cell(f.destinations[destination], f.known_destinations, x)


def destination_columns() -> list[Column]:
    result = []
    for value, label in Destination.choices:
        result.append(Column(f"destination_{value}", str(label), _destination_count(value)))
        result.append(
            Column(
                f"destination_{value}_share",
                _("%(destination)s, share") % {"destination": label},
                _destination_share(value),
            )
        )
    return result


def cells(figures: Figures, cols: list[Column], exact: bool) -> list[Cell]:
    return [column.cell(figures, exact) for column in cols]
