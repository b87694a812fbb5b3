"""Reads for discharge follow-up: the county's agreements and rates, and the monthly liability
(per municipality as totals, and as statement lines, which name episodes and so are access-logged).
Every figure comes from `liability.month_statement`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

import psycopg
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from samverkan.audit.services import access_log_record
from samverkan.flow.models import Episode
from samverkan.flow.statistics import READER_MIN_PATIENTS
from samverkan.followup import indicators, liability
from samverkan.followup.models import (
    Agreement,
    DayRate,
    Dispute,
    IndicatorTarget,
    LineKind,
    MonthFigures,
    Statement,
    StatementLine,
)
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality
from samverkan.organisations.selectors import acting_organisation

# What the calculation and the lines read of an episode.
EPISODE_FIELDS = (
    "id",
    "record_id",
    "home_municipality_id",
    "care_type",
    "admitted_at",
    "admission_notice_at",
    "ready_at",
    "sip_called_at",
    "discharged_at",
)


def agreements_of(county_code: str) -> liability.Agreements:
    """The county's agreement versions (the law's defaults before the first)."""
    return liability.Agreements(liability.Terms.of(a) for a in Agreement.objects.filter(county_id=county_code))


def rates_of(county_code: str) -> dict[int, Decimal]:
    return dict(DayRate.objects.filter(county_id=county_code).values_list("year", "amount"))


def agreement_versions(principal: policy.Asker, county_code: str) -> QuerySet[Agreement]:
    policy.require(principal, "followup.view_agreement", policy.Place(county=county_code))
    return Agreement.objects.visible_to(principal, "followup.view_agreement").filter(county_id=county_code)


def day_rates(principal: policy.Asker, county_code: str) -> QuerySet[DayRate]:
    policy.require(principal, "followup.view_agreement", policy.Place(county=county_code))
    return DayRate.objects.visible_to(principal, "followup.view_agreement").filter(county_id=county_code)


def month_episodes(episodes: QuerySet[Episode], county_code: str, year: int, month: int) -> QuerySet[Episode]:
    """The county's episodes that can have lines in the month: a ready notice before its end, and
    not discharged before it began."""
    first, last = liability.month_bounds(year, month)
    since = datetime.datetime.combine(first, datetime.time(0), tzinfo=liability.LOCAL)
    until = datetime.datetime.combine(last + liability.ONE_DAY, datetime.time(0), tzinfo=liability.LOCAL)
    return (
        episodes.filter(home_municipality__county_id=county_code, ready_at__isnull=False, ready_at__lt=until)
        .filter(Q(discharged_at__isnull=True) | Q(discharged_at__gte=since))
        .only(*EPISODE_FIELDS)
        .order_by("ready_at", "id")
    )


def compute(
    episodes: QuerySet[Episode], county_code: str, year: int, month: int, today: datetime.date | None = None
) -> dict[str, liability.MunicipalityMonth]:
    """The month's liability of `episodes` (already narrowed) per home municipality."""
    rows = month_episodes(episodes, county_code, year, month)
    return liability.month_statement(
        ((e.home_municipality_id, e) for e in rows),
        agreements=agreements_of(county_code),
        rates=rates_of(county_code),
        year=year,
        month=month,
        today=today or timezone.localdate(),
    )


class Facts(NamedTuple):
    """What the liability reads of an episode (`liability.EpisodeFacts`), as plain values: where
    only totals are wanted, no model instance per episode."""

    pk: int
    home_municipality_id: str
    care_type: str
    admitted_at: datetime.datetime
    admission_notice_at: datetime.datetime | None
    ready_at: datetime.datetime | None
    sip_called_at: datetime.datetime | None
    discharged_at: datetime.datetime | None


FACT_FIELDS = Facts._fields


@dataclass(frozen=True)
class TotalRow:
    code: str
    name: str
    episodes: int  # episodes with liable days
    liable_days: Decimal
    amount: Decimal
    lines_visible: bool  # may the principal open the municipality's statement?


@dataclass(frozen=True)
class Totals:
    rows: list[TotalRow]
    liable_days: Decimal
    amount: Decimal
    episodes: int


def liability_totals(
    principal: policy.Asker, county_code: str, year: int, month: int, *, today: datetime.date | None = None
) -> Totals:
    """Liable episodes, days and amounts per municipality of the county in a month (aggregates:
    no access-log row): for a month that has ended, from its stored figures when they are fresh
    (followup/monthly.py), else counted from the episodes. MissingDayRate when liable days fall in
    a year without a rate."""
    policy.require(principal, "followup.liability_totals", policy.Place(county=county_code))
    today = today or timezone.localdate()
    agreements, rates = agreements_of(county_code), rates_of(county_code)
    municipalities = list(
        Municipality.objects.filter(county_id=county_code)
        .order_by("name")
        .values_list("code", "name", "population_65_plus")
    )
    first, last = liability.month_bounds(year, month)
    populations = {code: population for code, _, population in municipalities}
    stored = stored_months(
        county_code, [first] if last < today else [], indicators.basis(agreements, rates), populations
    )
    if first in stored:
        totals = {
            code: (figures.liable_episodes, figures.liable_days, figures.liable_amount)
            for code, figures in stored[first].items()
        }
    else:
        facts = month_episodes(Episode.objects.all(), county_code, year, month).values_list(*FACT_FIELDS)
        months = liability.month_statement(
            ((fact.home_municipality_id, fact) for fact in map(Facts._make, fetch_rows(facts))),
            agreements=agreements,
            rates=rates,
            year=year,
            month=month,
            today=today,
        )
        totals = {code: (len(m.liable_lines), m.liable_days, m.amount) for code, m in months.items()}
    rows = []
    for code, name, _population in municipalities:
        episodes, liable_days, amount = totals.get(code, (0, Decimal(0), Decimal(0)))
        rows.append(
            TotalRow(
                code=code,
                name=name,
                episodes=episodes,
                liable_days=liable_days,
                amount=amount,
                lines_visible=policy.can(
                    principal, "followup.view_lines", policy.Place(county=county_code, municipality=code)
                ),
            )
        )
    return Totals(
        rows=rows,
        liable_days=sum((r.liable_days for r in rows), Decimal(0)),
        amount=sum((r.amount for r in rows), Decimal(0)),
        episodes=sum(r.episodes for r in rows),
    )


def statement(
    principal: policy.Principal,
    county_code: str,
    year: int,
    month: int,
    *,
    municipality: str | None = None,
    reason: str,
    today: datetime.date | None = None,
) -> dict[str, liability.MunicipalityMonth]:
    """The month's statement lines per home municipality (one municipality, or every one whose
    residents' episodes the principal may see). The lines name episodes: the read is written to
    the access log (who, which episodes, why). MissingDayRate as in `liability_totals`."""
    place = policy.Place(county=county_code, municipality=municipality)
    policy.require(principal, "followup.view_lines", place)
    episodes = Episode.objects.visible_to(principal, "followup.view_lines")
    if municipality:
        episodes = episodes.filter(home_municipality_id=municipality)
    months = compute(episodes, county_code, year, month, today)
    access_log_record(
        by=principal,
        resource=f"followup.statement county={county_code} month={year}-{month:02d}"
        + (f" municipality={municipality}" if municipality else ""),
        reason=reason,
        object_ids=[line.episode.pk for m in months.values() for line in m.lines],  # type: ignore[attr-defined]
        organisation=acting_organisation(principal, "followup.view_lines", county_code),
    )
    return dict(sorted(months.items()))


# Issued statements and disputes ----------------------------------------------------------------


def issued_statements(principal: policy.Asker, municipality: str, year: int, month: int) -> list[Statement]:
    """The statements issued for a municipality's month that the principal may see, newest first."""
    return list(
        Statement.objects.visible_to(principal, "followup.view_statements")
        .filter(municipality_id=municipality, month=datetime.date(year, month, 1))
        .order_by("-number")
    )


def issued_statement(principal: policy.Principal, pk: int, *, reason: str) -> tuple[Statement, list[StatementLine]]:
    """One issued statement and its lines (they name episodes: an access-log row). Http404 unless visible."""
    statement = (
        Statement.objects.visible_to(principal, "followup.view_statements")
        .select_related("municipality", "county")
        .get_or_404(pk=pk)
    )
    lines = list(statement.lines.all())
    access_log_record(
        by=principal,
        resource=f"followup.issued_statement id={statement.pk} municipality={statement.municipality_id} "
        f"month={statement.month:%Y-%m}",
        reason=reason,
        object_ids=[line.episode_id for line in lines if line.episode_id],
        organisation=acting_organisation(principal, "followup.view_statements", statement.county_id),
    )
    return statement, lines


@dataclass(frozen=True)
class Changes:
    """What differs between an issued statement and the lines as counted now."""

    previous: Statement
    added: list[liability.Line]
    removed: list[StatementLine]
    changed: list[tuple[StatementLine, liability.Line]]
    amount_before: Decimal
    amount_now: Decimal
    days_before: Decimal
    days_now: Decimal

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed) or self.amount_before != self.amount_now

    @property
    def amount_difference(self) -> Decimal:
        return self.amount_now - self.amount_before


def changes_since(previous: Statement, now: liability.MunicipalityMonth) -> Changes:
    """The lines added, removed and changed (liable days, amount or reason) since `previous` was
    issued, by episode, and the totals before and now (credits of disputes left out: they are not
    recomputed)."""
    issued = [line for line in previous.lines.all() if line.kind != LineKind.CREDIT]
    before = {line.episode_id: line for line in issued if line.kind == LineKind.EPISODE}
    current = {line.episode.pk: line for line in now.lines}  # type: ignore[attr-defined]
    changed = [
        (before[key], line)
        for key, line in current.items()
        if key in before
        and (before[key].liable_days, before[key].amount, before[key].reason)
        != (Decimal(line.liable_days), line.amount, line.reason)
    ]
    return Changes(
        previous=previous,
        added=[line for key, line in current.items() if key not in before],
        removed=[line for key, line in before.items() if key not in current],
        changed=changed,
        amount_before=sum((line.amount for line in issued), Decimal(0)),
        amount_now=now.amount,
        days_before=sum((line.liable_days for line in issued), Decimal(0)),
        days_now=now.liable_days,
    )


def dispute_list(principal: policy.Asker, county_code: str, *, status: str | None = None) -> QuerySet[Dispute]:
    policy.require(principal, "followup.view_statements", policy.Place(county=county_code))
    disputes = (
        Dispute.objects.visible_to(principal, "followup.view_statements")
        .filter(county_id=county_code)
        .select_related("municipality", "line__statement", "credited_on")
        .defer("attachment")
    )
    return disputes.filter(status=status) if status else disputes


def dispute_detail(principal: policy.Principal, pk: int) -> Dispute:
    """One dispute (it names an episode's source id: an access-log row). Http404 unless visible."""
    dispute = (
        Dispute.objects.visible_to(principal, "followup.view_statements")
        .select_related("municipality", "line__statement", "credited_on")
        .defer("attachment")
        .get_or_404(pk=pk)
    )
    access_log_record(
        by=principal,
        resource=f"followup.dispute id={dispute.pk}",
        reason="Bestridande av betalningsansvar",
        object_ids=[dispute.line.episode_id] if dispute.line.episode_id else [],
        organisation=acting_organisation(principal, "followup.view_statements", dispute.county_id),
    )
    return dispute


def dispute_attachment(principal: policy.Principal, pk: int) -> Dispute:
    """A dispute with its attachment (what a municipality sent about an episode's line: an
    access-log row). Http404 unless visible and with an attachment."""
    dispute = Dispute.objects.visible_to(principal, "followup.view_statements").select_related("line").get_or_404(pk=pk)
    if not dispute.attachment_name:
        raise Http404
    access_log_record(
        by=principal,
        resource=f"followup.dispute_attachment id={dispute.pk}",
        reason="Bilaga till bestridande av betalningsansvar",
        object_ids=[dispute.line.episode_id] if dispute.line.episode_id else [],
        organisation=acting_organisation(principal, "followup.view_statements", dispute.county_id),
    )
    return dispute


# Monthly indicators against targets --------------------------------------------------------------

TREND_MONTHS = 12


def _months_back(year: int, month: int, count: int) -> list[tuple[int, int]]:
    """`count` months ending with (year, month), oldest first."""
    index = year * 12 + month - 1
    return [divmod(i, 12) for i in range(index - count + 1, index + 1)]


STAY_FIELDS = (
    "id",
    "record_id",
    "home_municipality_id",
    "pseudonym",
    "care_type",
    "admitted_at",
    "admission_notice_at",
    "ready_at",
    "sip_called_at",
    "discharged_at",
    "care_contact_at",
    "readmitted",
    "ready_day",
    "discharged_day",
)


def fetch_rows(rows: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a values_list query. On PostgreSQL fetched in the binary protocol, where
    timestamps arrive as numbers instead of text to parse (four times faster for the indicators'
    hundred thousand stays); elsewhere through the ORM. Both give aware datetimes in UTC."""
    if connection.vendor != "postgresql":
        return list(rows)
    sql, params = rows.query.sql_with_params()
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def load_stays(county_code: str, first: datetime.date, last: datetime.date) -> list[indicators.Stay]:
    """The county's episodes (by home municipality) that were in hospital at some time between
    `first` and `last` (local dates), as the indicators read them, each with whether the patient
    was admitted again within 30 days (30 × 24 hours) of its discharge in any of the county's
    sources (the same pseudonym). Two queries: the stays, and those of them readmitted (a
    semi-join the database does set-based, where a lookup per stay in the list would cost one
    index search per row)."""
    since = datetime.datetime.combine(first, datetime.time(0), tzinfo=liability.LOCAL)
    until = datetime.datetime.combine(last + liability.ONE_DAY, datetime.time(0), tzinfo=liability.LOCAL)
    codes = list(Municipality.objects.filter(county_id=county_code).values_list("code", flat=True))
    rows = (
        Episode.objects.filter(home_municipality_id__in=codes, admitted_at__lt=until)
        .filter(Q(discharged_at__isnull=True) | Q(discharged_at__gte=since))
        .annotate(
            readmitted=Value(False),
            ready_day=TruncDate("ready_at", tzinfo=liability.LOCAL),
            discharged_day=TruncDate("discharged_at", tzinfo=liability.LOCAL),
        )
        .order_by()
        .values_list(*STAY_FIELDS)
    )
    again = Episode.objects.filter(
        source__county_id=county_code,
        pseudonym=OuterRef("pseudonym"),
        admitted_at__gt=OuterRef("discharged_at"),
        admitted_at__lte=OuterRef("discharged_at") + datetime.timedelta(days=indicators.READMISSION_DAYS),
    )
    readmitted = set(
        Episode.objects.filter(home_municipality_id__in=codes, discharged_at__gte=since, discharged_at__lt=until)
        .exclude(pseudonym="")
        .filter(Exists(again))
        .order_by()
        .values_list("id", flat=True)
    )
    return [
        indicators.Stay._make(row)._replace(readmitted=True) if row[0] in readmitted else indicators.Stay._make(row)
        for row in fetch_rows(rows)
    ]


def targets_of(county_code: str) -> dict[str, list[tuple[datetime.date, Decimal]]]:
    found: dict[str, list[tuple[datetime.date, Decimal]]] = {}
    for code, valid_from, target in (
        IndicatorTarget.objects.filter(county_id=county_code)
        .order_by("valid_from")
        .values_list("indicator", "valid_from", "target")
    ):
        found.setdefault(code, []).append((valid_from, target))
    return found


def _target_on(versions: list[tuple[datetime.date, Decimal]], day: datetime.date) -> Decimal | None:
    current = None
    for valid_from, target in versions:
        if valid_from <= day:
            current = target
    return current


def _key(day: datetime.date) -> int:
    """A month as a number: year × 12 + month − 1 (consecutive months, consecutive numbers)."""
    return day.year * 12 + day.month - 1


def compute_months(
    county_code: str,
    months: list[datetime.date],
    populations: dict[str, int | None],
    *,
    agreements: liability.Agreements,
    rates: dict[int, Decimal],
    today: datetime.date,
    unpriced: str = "raise",
) -> dict[datetime.date, dict[str, indicators.Figures]]:
    """The figures of the municipalities of `populations` in `months` (their first days), counted
    from the episodes: two queries over the stays of the months' span, and one pass per month over
    those it touches. A month with liable days in a year without a rate: MissingDayRate, or
    (`unpriced="skip"`) left out of the answer."""
    if not months:
        return {}
    wanted = {_key(day) for day in months}
    first_key, end_key = min(wanted), max(wanted)
    first, last = min(months), liability.month_bounds(max(months).year, max(months).month)[1]
    stays = load_stays(county_code, first, last)
    # Each stay goes to the months its figures can fall in: from its ready notice (the first day
    # liability can count) to its discharge (or the last month); without a notice, only the month
    # of its discharge (where it counts as a discharge and for readmissions).
    touched: dict[int, list[indicators.Stay]] = {key: [] for key in range(first_key, end_key + 1)}
    for stay in stays:
        discharged, ready = stay.discharged_day, stay.ready_day
        stop = min(_key(discharged), end_key) if discharged else end_key
        if ready is None:
            if discharged is not None and stop >= first_key and stop == _key(discharged):
                touched[stop].append(stay)
            continue
        for key in range(max(_key(ready), first_key), stop + 1):
            touched[key].append(stay)
    explained: dict[int, liability.Liability | None] = {}
    found: dict[datetime.date, dict[str, indicators.Figures]] = {}
    for day in sorted(months):
        try:
            found[day] = indicators.month_figures(
                touched[_key(day)],
                populations=populations,
                agreements=agreements,
                rates=rates,
                explained=explained,
                year=day.year,
                month=day.month,
                today=today,
            )
        except liability.MissingDayRate:
            if unpriced != "skip":
                raise
    return found


FIGURE_FIELDS = indicators.COUNTS


def stored_months(
    county_code: str, months: list[datetime.date], basis: str, populations: dict[str, int | None]
) -> dict[datetime.date, dict[str, indicators.Figures]]:
    """The stored figures (followup/monthly.py) of those `months` that are stored with `basis` for
    every municipality of `populations`; one query."""
    rows = (
        MonthFigures.objects.filter(county_id=county_code, month__in=months, basis=basis)
        .order_by()
        .values_list("municipality_id", "month", "days_ready", "liable_days", "liable_amount", *FIGURE_FIELDS)
    )
    found: dict[datetime.date, dict[str, indicators.Figures]] = {}
    for code, day, days_ready, liable_days, liable_amount, *counts in rows:
        if code in populations:
            found.setdefault(day, {})[code] = indicators.Figures(
                population=populations[code],
                days_ready=[int(days) for days, n in days_ready.items() for _ in range(n)],
                liable_days=Decimal(liable_days),
                liable_amount=Decimal(liable_amount),
                **dict(zip(FIGURE_FIELDS, counts, strict=True)),
            )
    return {day: figures for day, figures in found.items() if len(figures) == len(populations)}


def county_months(
    county_code: str, year: int, month: int, *, count: int = TREND_MONTHS, today: datetime.date | None = None
) -> tuple[list[datetime.date], dict[str, list[indicators.Figures]], dict[str, str]]:
    """The figures of every municipality of the county for `count` months ending with (year, month):
    (the months' first days, figures per municipality code month by month, municipality names).
    A month that ended before `today` is read from the stored figures when they are there with the
    county's agreements and rates of now (followup/monthly.py); the others are counted from the
    episodes (`compute_months`). MissingDayRate as liability."""
    today = today or timezone.localdate()
    starts = [datetime.date(y, m + 1, 1) for y, m in _months_back(year, month, count)]
    municipalities = list(
        Municipality.objects.filter(county_id=county_code)
        .order_by("name")
        .values_list("code", "name", "population_65_plus")
    )
    populations = {code: population for code, _, population in municipalities}
    agreements, rates = agreements_of(county_code), rates_of(county_code)
    ended = [day for day in starts if liability.month_bounds(day.year, day.month)[1] < today]
    found = stored_months(county_code, ended, indicators.basis(agreements, rates), populations)
    missing = [day for day in starts if day not in found]
    found.update(compute_months(county_code, missing, populations, agreements=agreements, rates=rates, today=today))
    return (
        starts,
        {code: [found[day][code] for day in starts] for code in populations},
        {code: name for code, name, _ in municipalities},
    )


@dataclass(frozen=True)
class IndicatorRow:
    indicator: indicators.Indicator
    value: Decimal | None  # as targets are written: shares in per cent
    target: Decimal | None
    met: bool | None
    trend: list[tuple[datetime.date, Decimal | None, Decimal | None]]  # month, value, target
    year_before: Decimal | None


@dataclass(frozen=True)
class Report:
    county: str
    area: str  # the county's code or a municipality's
    area_name: str
    month: datetime.date
    rows: list[IndicatorRow]
    municipalities: list[tuple[str, str, list[Decimal | None]]]  # code, name, this month's values
    summary: list[str]
    exact: bool
    patients: int
    population_note: str  # why days ready per 1 000 aged 65+ is missing ("" when it is not)


def _hidden(code: str, figures: indicators.Figures, exact: bool) -> bool:
    """Readers get no indicator from fewer than READER_MIN_PATIENTS patients (flow's small-count rule)."""
    if exact or code in ("liable_days", "liable_amount"):
        return False
    if code == "readmission_share":
        return figures.discharges < READER_MIN_PATIENTS
    return figures.patients < READER_MIN_PATIENTS


def _value(code: str, figures: indicators.Figures, exact: bool) -> Decimal | None:
    if _hidden(code, figures, exact):
        return None
    return indicators.shown(code, figures.value(code))


def indicator_report(
    principal: policy.Asker,
    county_code: str,
    year: int,
    month: int,
    *,
    area: str | None = None,
    today: datetime.date | None = None,
) -> Report:
    """The month's indicators of the county or one of its municipalities (`area`) against the
    county's targets, with the 12 months up to it and the value a year before, every municipality's
    values of the month, and a short summary. Aggregates: no access-log row; readers (roles
    without exact counts) get no indicator from fewer than 10 patients."""
    policy.require(principal, "followup.indicators", policy.Place(county=county_code))
    exact = policy.can(principal, "flow.exact_counts", policy.Place(county=county_code))
    starts, per_municipality, names = county_months(county_code, year, month, count=TREND_MONTHS + 1, today=today)
    if area and area != county_code:
        if area not in per_municipality:
            raise Http404(area)
        series, area_name = per_municipality[area], names[area]
    else:
        area, area_name = county_code, str(County.objects.get(code=county_code).name)
        series = [
            indicators.county_figures({code: months[i] for code, months in per_municipality.items()})
            for i in range(len(starts))
        ]
    targets = targets_of(county_code)
    rows = []
    for indicator in indicators.INDICATORS:
        code = indicator.code
        trend = [
            (start, _value(code, figures, exact), _target_on(targets.get(code, []), start))
            for start, figures in zip(starts[1:], series[1:], strict=True)
        ]
        value, target = trend[-1][1], trend[-1][2]
        rows.append(
            IndicatorRow(
                indicator=indicator,
                value=value,
                target=target,
                met=indicators.met(code, value, target),
                trend=trend,
                year_before=_value(code, series[0], exact),
            )
        )
    return Report(
        county=county_code,
        area=area,
        area_name=area_name,
        month=starts[-1],
        rows=rows,
        municipalities=[
            (code, names[code], [_value(i.code, months[-1], exact) for i in indicators.INDICATORS])
            for code, months in per_municipality.items()
        ],
        summary=summary(rows, starts[-1]),
        exact=exact,
        patients=series[-1].patients,
        population_note=population_note(
            [
                names[code]
                for code in ([area] if area in names else names)
                if per_municipality[code][-1].population is None
            ],
            everywhere=area not in names and all(months[-1].population is None for months in per_municipality.values()),
        ),
    )


def population_note(missing: list[str], *, everywhere: bool) -> str:
    """Why days ready per 1 000 inhabitants aged 65+ is not given: the municipalities of the area
    without the population figure, and how it is loaded. Empty when every one has it."""
    if not missing:
        return ""
    if everywhere:
        return str(
            _(
                "Days ready per 1 000 inhabitants aged 65+ is not shown: the population aged 65 or more is not "
                "loaded for any municipality of the county. Load it with "
                "manage.py load_reference_data --population FILE (SCB's figures, column population_65_plus)."
            )
        )
    return str(
        _(
            "Days ready per 1 000 inhabitants aged 65+ is not shown: the population aged 65 or more is not "
            "loaded for %(names)s. Load it with manage.py load_reference_data --population FILE "
            "(SCB's figures, column population_65_plus)."
        )
    ) % {"names": ", ".join(missing)}


def _lower_first(label: object) -> str:
    """A label inside a sentence: its first letter in lower case, unless it starts an acronym (SIP)."""
    text = str(label)
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def summary(rows: list[IndicatorRow], month: datetime.date) -> list[str]:
    """A few sentences for the forum: targets met, and what moved against the same month a year before."""
    with_target = [row for row in rows if row.met is not None]
    sentences = []
    if with_target:
        met = [row for row in with_target if row.met]
        sentences.append(
            str(_("%(met)d of %(all)d targets met in %(month)s."))
            % {"met": len(met), "all": len(with_target), "month": date_format(month, "F Y")}
        )
        missed = [_lower_first(row.indicator.label) for row in with_target if not row.met]
        if missed:
            sentences.append(str(_("Not met: %(list)s.")) % {"list": ", ".join(missed)})
    better: list[str] = []
    worse: list[str] = []
    for row in rows:
        if row.value is None or row.year_before is None or row.value == row.year_before:
            continue
        improved = (row.value < row.year_before) == row.indicator.lower_is_better
        (better if improved else worse).append(_lower_first(row.indicator.label))
    if better:
        sentences.append(str(_("Better than a year before: %(list)s.")) % {"list": ", ".join(better)})
    if worse:
        sentences.append(str(_("Worse than a year before: %(list)s.")) % {"list": ", ".join(worse)})
    return sentences
