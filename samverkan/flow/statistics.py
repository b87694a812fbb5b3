"""County statistics of patient flow: per home municipality and per day, ISO week or month.

How the figures are counted (also shown on the page, see `templates/flow/_statistics_note.html`):

- Periods are local calendar dates in Europe/Stockholm. `start` and `end` are both included.
  Weeks are ISO weeks (Monday to Sunday); the first and last day, week or month of a period can be
  partial: only days inside the chosen period count.
- An episode belongs to its patient's home municipality.
- **Admissions**: episodes admitted in the period. **Discharges**: episodes discharged in it.
- **In hospital** (census): episodes admitted before and not discharged by the end of the period
  (midnight after its last day). **Ready, in hospital**: of those, the ones with a ready-for-discharge
  notice before that moment.
- **Ready notices**: ready-for-discharge notices given in the period.
- **Days ready** (DESIGN.md §5) of a discharged patient with a ready notice = calendar days from the
  local date of the notice to the local date of discharge (0 = discharged the day they were ready).
  They are counted in the period of the discharge: the sum, the mean per patient, the share
  discharged the same day (0 days) and the share discharged within the grace days (days ready ≤
  grace days). **Days beyond grace** = the sum of (days ready − grace days) over the patients who
  waited longer: the liable days under the plain model (notice day not counted, no noon cut-off).
  The grace days default to `GRACE_DAYS` (3, the statutory default when no agreement says
  otherwise); no county agreement is modelled yet.
- **Destinations**: discharges in the period by destination; shares of all discharges with a
  known destination.
- **Per 1 000 inhabitants**: the count divided by the municipality's population (the county's
  population for the total) times 1 000; not annualised.
- **Age** = the year of admission minus the birth year; episodes without a birth year fall outside
  every age band (and so are left out when an age band is chosen).
- **Small counts**: for users the policy gives no exact counts (its rule flow.exact_counts) every count
  from 1 to 4 is shown as "<5"; a share is not shown when its part, its whole or the rest (whole −
  part) is from 1 to 4; a rate per 1 000 not when its count is; days ready (sum and mean) not when
  they come from 1 to 4 patients, and days beyond grace not when 1 to 4 patients waited beyond the
  grace days or 1 to 4 were discharged after a notice at all. See `Cell` and `columns` below.
  Counts shown separately can still be added up and subtracted (the county total minus the other
  municipalities); there is no secondary suppression.

All figures come from a fixed number of aggregate queries, whatever the data size, grouped by
municipality and period bucket in the database; the county totals, the whole-period rows and the
census at the end of each bucket are sums over those rows in Python. Without filters (and with at
most WAITED_DAYS_KEPT grace days) they come from the daily rows every import keeps
(samverkan/flow/daily.py): a few thousand rows per county and year instead of every episode. With
filters they come from the episodes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import connection, models
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Cast, ExtractYear, Trunc, TruncDate
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from samverkan.capacity.schedule import LOCAL
from samverkan.flow import daily
from samverkan.flow.models import WAITED_DAYS_KEPT, CareType, DailyFlow, Destination, Episode
from samverkan.organisations import policy
from samverkan.organisations.models import Municipality

GRACE_DAYS = 3
SMALL = 5
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
    grace_days: int
    municipalities: list[Area]
    county: Area

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


def local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=LOCAL)


def _filtered(county_code: str, filters: Filters) -> models.QuerySet:
    episodes = Episode.objects.filter(home_municipality__county_id=county_code)
    if filters.care_type:
        episodes = episodes.filter(care_type=filters.care_type)
    if filters.covid is not None:
        episodes = episodes.filter(covid=filters.covid)
    if filters.hospital_unit is not None:
        episodes = episodes.filter(hospital_unit_id=filters.hospital_unit)
    if filters.age_band:
        _, low, high = AGE_BANDS[filters.age_band]
        episodes = episodes.annotate(
            age_at_admission=ExtractYear("admitted_at", tzinfo=LOCAL) - F("birth_year")
        ).filter(birth_year__isnull=False, age_at_admission__gte=low)
        if high is not None:
            episodes = episodes.filter(age_at_admission__lte=high)
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
    grace_days: int = GRACE_DAYS,
) -> Statistics:
    """Patient-flow figures of `county_code` per home municipality and per period bucket over the
    local dates `start`..`end` (both included), and the county totals. Everyone with
    "flow.statistics" in the county sees the same exact figures; `columns` and `cells` hide small counts.
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

    if filters == Filters() and grace_days <= WAITED_DAYS_KEPT and daily.is_complete(county_code):
        census = _fill_daily([code for code, _, _ in municipalities], start, end, granularity, grace_days, cell)
    else:
        census = _fill(_filtered(county_code, filters), since, until, granularity, grace_days, cell)

    areas = []
    county_buckets = [Figures() for _ in starts]
    county_total = Figures(population=sum(p for _, _, p in municipalities))
    for code, name, population in municipalities:
        start_census = census.get(code, {})
        in_hospital, ready = start_census.get("in_hospital", 0), start_census.get("ready", 0)
        total = Figures(population=population)
        for i, figures in enumerate(cells[code]):
            figures.population = population
            in_hospital += figures.admissions - figures.discharges
            ready += figures.ready_notices - figures.discharged_ready
            figures.in_hospital, figures.ready_in_hospital = in_hospital, ready
            total.add_flows(figures)
            county_buckets[i].add_flows(figures)
            county_buckets[i].in_hospital += in_hospital
            county_buckets[i].ready_in_hospital += ready
        total.in_hospital, total.ready_in_hospital = in_hospital, ready
        county_total.add_flows(total)
        county_total.in_hospital += in_hospital
        county_total.ready_in_hospital += ready
        areas.append(Area(code, name, population, total, _buckets(starts, cells[code], start, end, granularity)))
    for figures in county_buckets:
        figures.population = county_total.population
    county = Area(
        county_code,
        str(_("County total")),
        county_total.population,
        county_total,
        _buckets(starts, county_buckets, start, end, granularity),
    )
    return Statistics(county_code, start, end, granularity, filters, grace_days, areas, county)


def _fill(episodes, since, until, granularity: str, grace_days: int, cell) -> dict[str, dict]:
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
    grace = datetime.timedelta(days=grace_days)
    has_ready = Q(ready_at__isnull=False)
    discharges = (
        episodes.filter(discharged_at__gte=since, discharged_at__lt=until)
        .annotate(waited=waited)
        .values("home_municipality_id", bucket=_bucket("discharged_at", granularity))
        .annotate(
            discharges=Count("id"),
            discharged_ready=Count("id", filter=has_ready),
            days_ready=Sum("waited", filter=has_ready),
            same_day=Count("id", filter=has_ready & Q(waited__lte=datetime.timedelta(0))),
            within_grace=Count("id", filter=has_ready & Q(waited__lte=grace)),
            days_beyond_grace=Sum(F("waited") - Value(grace), filter=has_ready & Q(waited__gt=grace)),
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


def _fill_daily(codes: list[str], start, end, granularity: str, grace_days: int, cell) -> dict[str, dict]:
    """What `_fill` does, from the daily rows (DailyFlow) instead of the episodes: two queries over
    a few rows per municipality and day. The census at the start is what came in before it minus
    what went out (every discharge follows its admission, every discharge after a notice its notice)."""
    in_period = (
        DailyFlow.objects.filter(municipality_id__in=codes, day__gte=start, day__lte=end)
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
        waited = [row[f"waited_{k}"] for k in range(grace_days + 1)]
        target.same_day = waited[0]
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
        DailyFlow.objects.filter(municipality_id__in=codes, day__lt=start)
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


def _buckets(
    starts: list[datetime.date], figures: list[Figures], start: datetime.date, end: datetime.date, granularity: str
) -> list[Bucket]:
    return [
        Bucket(max(day, start), min(_next(day, granularity) - datetime.timedelta(days=1), end), f)
        for day, f in zip(starts, figures, strict=True)
    ]


# --- Display: the same cells for the page and the exports, with small counts hidden -------------


def _small(value: int) -> bool:
    return 0 < value < SMALL


@dataclass(frozen=True)
class Cell:
    """One figure as shown: `value` is an int or float, "<5" for a hidden small count, or None when
    it cannot be shown (nothing to divide by, or computed from a hidden small count)."""

    value: int | float | str | None
    kind: str  # count, rate, share, mean

    def export(self):
        """The value for a spreadsheet: numbers as numbers (shares as fractions, rounded)."""
        if isinstance(self.value, float):
            return round(self.value, 4 if self.kind == "share" else 2)
        return self.value

    def __str__(self) -> str:

        if self.value is None:
            return "–"
        if isinstance(self.value, str):
            return self.value
        if self.kind == "share":
            return f"{number_format(self.value * 100, 0)} %"
        if self.kind == "rate":
            return number_format(self.value, 2)
        if self.kind == "mean":
            return number_format(self.value, 1)
        return str(self.value)


def count_cell(value: int, exact: bool) -> Cell:
    return Cell("<5" if not exact and _small(value) else value, "count")


def share_cell(part: int, whole: int, exact: bool) -> Cell:
    """part / whole; for others than exact-count roles hidden when the part, the whole or the rest
    (whole − part, itself a count of patients) is from 1 to 4."""
    if not whole:
        return Cell(None, "share")
    if not exact and (_small(part) or _small(whole) or _small(whole - part)):
        return Cell(None, "share")
    return Cell(part / whole, "share")


def rate_cell(count: int, population: int, exact: bool) -> Cell:
    if not population or (not exact and _small(count)):
        return Cell(None, "rate")
    return Cell(count * 1000 / population, "rate")


def per_patient_cell(total: int, patients: int, exact: bool, *, kind: str = "mean") -> Cell:
    """A sum of days (kind "count") or its mean per patient (kind "mean"), hidden when it comes from
    1–4 patients."""
    if not exact and _small(patients):
        return Cell(None, kind)
    if kind == "mean":
        return Cell(total / patients if patients else None, "mean")
    return Cell(total, "count")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    cell: object  # (Figures, exact) -> Cell


def _beyond(f: Figures) -> int:
    return f.discharged_ready - f.within_grace


def columns(grace_days: int) -> list[Column]:
    """The figures of a row, in order: the main table's, then the destinations (count and share)."""
    return main_columns(grace_days) + destination_columns()


def main_columns(grace_days: int) -> list[Column]:
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
            lambda f, x: per_patient_cell(f.days_ready, f.discharged_ready, x, kind="count"),
        ),
        Column(
            "mean_days_ready",
            _("Mean days ready"),
            lambda f, x: per_patient_cell(f.days_ready, f.discharged_ready, x),
        ),
        Column(
            "same_day_share",
            _("Share discharged the day they were ready"),
            lambda f, x: share_cell(f.same_day, f.discharged_ready, x),
        ),
        Column(
            "within_grace_share",
            _("Share discharged within %(days)d grace days") % {"days": grace_days},
            lambda f, x: share_cell(f.within_grace, f.discharged_ready, x),
        ),
        Column(
            "days_beyond_grace",
            _("Days beyond grace"),
            # hidden also when all of 1–4 patients were within grace (0 would tell)
            lambda f, x: (
                per_patient_cell(f.days_beyond_grace, _beyond(f), x, kind="count")
                if x or not _small(f.discharged_ready)
                else Cell(None, "count")
            ),
        ),
    ]


def destination_columns() -> list[Column]:
    result = []
    for value, label in Destination.choices:
        result.append(
            Column(f"destination_{value}", str(label), lambda f, x, d=value: count_cell(f.destinations[d], x))
        )
        result.append(
            Column(
                f"destination_{value}_share",
                _("%(destination)s, share") % {"destination": label},
                lambda f, x, d=value: share_cell(f.destinations[d], f.known_destinations, x),
            )
        )
    return result


def cells(figures: Figures, cols: list[Column], exact: bool) -> list[Cell]:
    return [column.cell(figures, exact) for column in cols]
