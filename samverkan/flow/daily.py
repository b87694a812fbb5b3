"""The daily flow per home municipality (DailyFlow), kept current by every import.

An import that creates or changes episodes tells `refresh_after_import` which home municipalities
it touched (old and new values) and the earliest admission among those episodes; every event of an
episode (ready notice, discharge) comes on or after its admission, so the days from there on are
all that can have changed. For a county without a DailyFlowCounty row yet, the first import builds
the county's days from all its episodes. The rows are kept per care type and covid too, so the
statistics read them unfiltered or filtered by care type or covid (samverkan/flow/statistics.py); `rebuild` (also `manage.py flow_daily_rebuild`) builds a county
again from scratch.

Within the grace days and the days beyond them are counted by the county's rules for grace days
(samverkan/flow/grace.py) as they were when the rows were built; the county's row keeps their
fingerprint. When the rules change (followup rebuilds the county when an agreement is saved), the
statistics read the episodes until the rows are built again, and the next import rebuilds the
county whole."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, F, Func, IntegerField, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from samverkan.capacity.schedule import LOCAL
from samverkan.flow import grace
from samverkan.flow.models import WAITED_DAYS_KEPT, DailyFlow, DailyFlowCounty, Destination, Episode
from samverkan.organisations.models import Municipality

WAITED_FIELDS = [f"waited_{k}" for k in range(WAITED_DAYS_KEPT + 1)]
DESTINATION_FIELDS = {d: f"to_{d}" for d in Destination.values}
FLOW_FIELDS = [
    "admissions",
    "ready_notices",
    "discharges",
    "discharged_ready",
    "days_ready",
    *WAITED_FIELDS,
    "within_grace",
    "days_beyond_grace",
    *DESTINATION_FIELDS.values(),
]


def is_complete(county_code: str, fingerprint: str | None = None) -> bool:
    """Whether the county's rows are built (with these grace-day rules, when a fingerprint is given)."""
    counties = DailyFlowCounty.objects.filter(county_id=county_code)
    if fingerprint is not None:
        counties = counties.filter(grace_rules=fingerprint)
    return counties.exists()


def refresh_after_import(touched: dict[str, datetime.datetime]) -> None:
    """Bring the daily rows up to date after an import: `touched` maps each home municipality
    whose episodes the import created or changed (before or after the change) to the earliest
    admission among them."""
    if not touched:
        return
    counties: dict[str, dict[str, datetime.datetime]] = defaultdict(dict)
    for code, county in Municipality.objects.filter(code__in=touched).values_list("code", "county_id"):
        counties[county][code] = touched[code]
    fingerprints = {county: grace.rules_for(county).fingerprint() for county in counties}
    complete = {
        county
        for county, rules in DailyFlowCounty.objects.filter(county_id__in=counties).values_list(
            "county_id", "grace_rules"
        )
        if rules == fingerprints[county]
    }
    # One pass for all the counties seen for the first time (or built with other grace-day rules),
    # one for the days touched in the others: an import from one region can touch residents of
    # every county.
    new = sorted(set(counties) - complete)
    if new:
        _build(list(Municipality.objects.filter(county_id__in=new).values_list("code", flat=True)), None)
        now = timezone.now()
        for county in new:
            DailyFlowCounty.objects.update_or_create(
                county_id=county, defaults={"built_at": now, "refreshed_at": now, "grace_rules": fingerprints[county]}
            )
    refreshed = {code: moment for county in complete for code, moment in counties[county].items()}
    if refreshed:
        _build(list(refreshed), min(refreshed.values()).astimezone(LOCAL).date())
        DailyFlowCounty.objects.filter(county_id__in=complete).update(refreshed_at=timezone.now())


def rebuild(county_code: str) -> None:
    """The county's daily rows again from all its episodes."""
    codes = list(Municipality.objects.filter(county_id=county_code).values_list("code", flat=True))
    _build(codes, None)
    now = timezone.now()
    DailyFlowCounty.objects.update_or_create(
        county_id=county_code,
        defaults={"built_at": now, "refreshed_at": now, "grace_rules": grace.rules_for(county_code).fingerprint()},
    )


class DaysBetween(Func):
    """Whole days from one date to another (`later`, `earlier`: two TruncDate's): PostgreSQL
    subtracts the dates, SQLite their Julian day numbers."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


_KEY = ["municipality_id", "day", "care_type", "covid"]
WORK_MEMORY = "128MB"  # PostgreSQL's work_mem for the large sorts and hashes of imports and builds


def use_work_memory(cursor) -> None:
    """On PostgreSQL, WORK_MEMORY for each sort and hash for the rest of the transaction (an
    import's, or a rebuild's): a million episodes' aggregates, duplicates and joins held in memory
    instead of sorted on disk, half the time (docs/decisions/columnar-import.md)."""
    if connection.vendor == "postgresql":
        cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEMORY])


def _keyed(events: QuerySet, column: str) -> QuerySet:
    """`events` grouped by home municipality, local day of `column`, care type and covid (named as
    the key of flow_dailyflow, with a k_ before: a query's names must not be the model's fields)."""
    return events.order_by().values(
        k_municipality_id=F("home_municipality_id"),
        k_day=TruncDate(column, tzinfo=LOCAL),
        k_care_type=F("care_type"),
        k_covid=F("covid"),
    )


def _build(codes: list[str], since: datetime.date | None) -> None:
    """Replace the rows of these municipalities from local day `since` on (all days if None) with
    what their episodes say (within and beyond grace by each county's rules): one statement in the
    database, which puts together three aggregate queries (admissions, ready notices, discharges)
    per (municipality, day, care type, covid) and inserts the rows; none passes through Python.
    Each figure comes from one of the three (the other two give 0 for it), so a row's figure is
    the largest of its three: MAX, which stays an integer where SUM would add numerics."""
    rows = DailyFlow.objects.filter(municipality_id__in=codes)
    episodes = Episode.objects.filter(home_municipality_id__in=codes)
    if since is not None:
        rows = rows.filter(day__gte=since)
        moment = datetime.datetime.combine(since, datetime.time(0), tzinfo=LOCAL)
    rows.delete()
    nothing = Value(0, output_field=IntegerField())
    parts = []
    for field, column in (("admissions", "admitted_at"), ("ready_notices", "ready_at")):
        events = episodes.filter(**{f"{column}__gte": moment}) if since is not None else episodes
        counted = {field: Count("id")}
        parts.append(
            _keyed(events.filter(**{f"{column}__isnull": False}), column).annotate(
                **{name: counted.get(name, nothing) for name in FLOW_FIELDS}
            )
        )

    discharged = episodes.filter(discharged_at__isnull=False)
    if since is not None:
        discharged = discharged.filter(discharged_at__gte=moment)
    waited = DaysBetween(TruncDate("discharged_at", tzinfo=LOCAL), TruncDate("ready_at", tzinfo=LOCAL))
    by_county: dict[str, list[str]] = defaultdict(list)
    for code, county in Municipality.objects.filter(code__in=codes).values_list("code", "county_id"):
        by_county[county].append(code)
    # Counties whose rules count alike (the same fingerprint: the law's, say) share one area, so
    # that the rule's expression has a branch per rule, not per county.
    areas: dict[str, tuple[grace.Rules, list[str]]] = {}
    for county, area in by_county.items():
        county_rules = grace.rules_for(county)
        areas.setdefault(county_rules.fingerprint(), (county_rules, []))[1].extend(area)
    rules = {tuple(codes): county_rules for county_rules, codes in areas.values()}
    # Each discharged episode's local dates and waited days computed once, in a query of its own
    # (on PostgreSQL behind OFFSET 0, which keeps the planner from pulling it up into the
    # aggregates and converting the times again in each of them), then counted in one pass.
    each = (
        _keyed(discharged, "discharged_at")
        .annotate(waited=waited, shift=grace.shift(rules, in_days=True))
        .values(
            "k_municipality_id", "k_day", "k_care_type", "k_covid", "waited", "shift", k_destination=F("destination")
        )
    )
    each_sql, each_params = each.query.sql_with_params()
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    destinations = list(DESTINATION_FIELDS.items())
    figures = {
        "discharges": "COUNT(*)",
        "discharged_ready": "COUNT(waited)",
        "days_ready": "SUM(waited)",
        **{f"waited_{k}": f"COUNT(CASE WHEN waited = {k} THEN 1 END)" for k in range(WAITED_DAYS_KEPT + 1)},
        "within_grace": "COUNT(CASE WHEN waited <= shift THEN 1 END)",
        "days_beyond_grace": "SUM(CASE WHEN waited > shift THEN waited - shift END)",
        **{field: "COUNT(CASE WHEN k_destination = %s THEN 1 END)" for _d, field in destinations},
    }
    key = ", ".join(f"k_{name}" for name in _KEY)
    discharges_sql = (
        f"SELECT {key}, {', '.join(figures.get(name, '0') + ' AS ' + name for name in FLOW_FIELDS)} "  # noqa: S608 - our names
        f"FROM ({each_sql}{fence}) AS each_discharge GROUP BY {key}"
    )
    destination_params = [d for name in FLOW_FIELDS for d, field in destinations if field == name]
    compiled = [part.query.sql_with_params() for part in parts]
    compiled.append((discharges_sql, (*destination_params, *each_params)))
    figures_sql = ", ".join(f"COALESCE(MAX({name}), 0)" for name in FLOW_FIELDS)
    with transaction.atomic(), connection.cursor() as cursor:
        use_work_memory(cursor)  # the aggregates of a county's two years (some 600 000 groups)
        cursor.execute(
            f"INSERT INTO {DailyFlow._meta.db_table} ({', '.join([*_KEY, *FLOW_FIELDS])}) "  # noqa: S608 - our names
            f"SELECT {key}, {figures_sql} FROM ({' UNION ALL '.join(sql for sql, _params in compiled)}) AS events "
            f"GROUP BY {key}",
            [param for _sql, params in compiled for param in params],
        )


def whole_days(value) -> int:
    """A sum of days ready as the database gives it (a timedelta, or days as a number), in days."""
    if value is None:
        return 0
    if isinstance(value, datetime.timedelta):
        return value.days
    return int(value)
