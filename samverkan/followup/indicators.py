"""Monthly key indicators of discharge follow-up, per home municipality and for the county, and
whether they meet the county's targets. The one place they are counted (docs/architecture.md,
"Where each rule lives"); the page, the API and the summary read `month_report`.

Every indicator of a month counts the patients discharged that month (local calendar dates) after
a ready-for-discharge notice ("ready patients"), by home municipality:

- **days ready** of a patient = local date of discharge − local date of the notice (0 = the same
  day); `days_ready_per_1000` = their sum per 1 000 inhabitants aged 65 or more (SCB's figures,
  `Municipality.population_65_plus`, loaded with `manage.py load_reference_data --population`;
  not given for a municipality without them, nor for the county unless every municipality has
  them), `mean_days_ready` and `median_days_ready` over the patients;
- `same_day_share`: share with 0 days ready;
- `within_grace_share`: share discharged no later than their first liable day (`liability.explain`,
  the county's agreement: no liable day, whatever the preconditions);
- `sip_share`: share whose call to a SIP came within 3 days of the notice (local dates);
- `care_contact_share`: share whose named care contact in primary care was appointed
  (`care_contact_at`, an optional column of the import) no later than the day of discharge (local
  dates; Lag 2017:612 wants one appointed before the patient leaves);
- `readmission_share`: of all patients discharged in the month (with a pseudonym), the share
  admitted again within 30 days (30 × 24 hours) after discharge, in any of the county's sources
  (the same pseudonym; found by `selectors.load_stays` in the database); a month is final 30
  days after it ends;
- `liable_days` and `liable_amount`: the month's liability (`liability.month_statement`), as on
  the statements.

Shares and means are not given without patients (None).

The figures of a month that has ended are stored once counted (`basis`, followup/monthly.py) and
read from there by the report; they are counted here either way.
"""

from __future__ import annotations

import datetime
import hashlib
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from samverkan.followup import liability
from samverkan.followup.models import INDICATOR_CHOICES

SIP_DAYS = 3
READMISSION_DAYS = 30


@dataclass(frozen=True)
class Indicator:
    code: str
    label: object  # a lazy translation
    kind: str  # share, days, mean, amount
    lower_is_better: bool


# (kind, lower is better) per indicator; labels are the choices of IndicatorTarget.indicator.
_KINDS = {
    "days_ready_per_1000": ("rate", True),
    "mean_days_ready": ("mean", True),
    "median_days_ready": ("mean", True),
    "same_day_share": ("share", False),
    "within_grace_share": ("share", False),
    "sip_share": ("share", False),
    "care_contact_share": ("share", False),
    "readmission_share": ("share", True),
    "liable_days": ("days", True),
    "liable_amount": ("amount", True),
}
INDICATORS = [Indicator(code, label, *_KINDS[code]) for code, label in INDICATOR_CHOICES]
BY_CODE = {i.code: i for i in INDICATORS}


class Stay(NamedTuple):
    """What the indicators read of an episode (and the liability calculation: `liability.EpisodeFacts`),
    with the local dates of its ready notice and discharge (`stay` makes one from the times)."""

    pk: int
    record_id: str
    municipality: str
    pseudonym: str
    care_type: str
    admitted_at: datetime.datetime
    admission_notice_at: datetime.datetime | None
    ready_at: datetime.datetime | None
    sip_called_at: datetime.datetime | None
    discharged_at: datetime.datetime | None
    care_contact_at: datetime.datetime | None
    readmitted: bool  # admitted again within 30 days of this discharge (selectors.load_stays)
    ready_day: datetime.date | None
    discharged_day: datetime.date | None


def stay(**fields: object) -> Stay:
    """A Stay with its local dates worked out from its times."""
    days = {
        day: liability.local_date(fields[moment]) if fields.get(moment) is not None else None  # type: ignore[arg-type]
        for moment, day in (
            ("ready_at", "ready_day"),
            ("discharged_at", "discharged_day"),
        )
    }
    return Stay(**{"readmitted": False, **fields, **days})  # type: ignore[arg-type]


# The whole-number counts of Figures (added up for the county, stored per month: monthly.py).
COUNTS = ("same_day", "within_grace", "sip_in_time", "care_contact", "discharges", "readmitted", "liable_episodes")


@dataclass
class Figures:
    """The counts behind one area's indicators in one month."""

    population: int | None = 0  # inhabitants aged 65+; None: not known
    days_ready: list[int] = field(default_factory=list)
    same_day: int = 0
    within_grace: int = 0
    sip_in_time: int = 0
    care_contact: int = 0
    discharges: int = 0
    readmitted: int = 0
    liable_days: Decimal = Decimal(0)
    liable_amount: Decimal = Decimal(0)
    liable_episodes: int = 0  # episodes with liable days in the month (the statements' totals)

    @property
    def patients(self) -> int:
        return len(self.days_ready)

    def add(self, other: Figures) -> None:
        self.population = (
            None if self.population is None or other.population is None else self.population + other.population
        )
        self.days_ready += other.days_ready
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.liable_days += other.liable_days
        self.liable_amount += other.liable_amount

    def value(self, code: str) -> float | Decimal | None:
        n = self.patients

        def share(part: int, whole: int) -> float | None:
            return part / whole if whole else None

        match code:
            case "days_ready_per_1000":
                return sum(self.days_ready) * 1000 / self.population if self.population else None
            case "mean_days_ready":
                return sum(self.days_ready) / n if n else None
            case "median_days_ready":
                return float(statistics.median(self.days_ready)) if n else None
            case "same_day_share":
                return share(self.same_day, n)
            case "within_grace_share":
                return share(self.within_grace, n)
            case "sip_share":
                return share(self.sip_in_time, n)
            case "care_contact_share":
                return share(self.care_contact, n)
            case "readmission_share":
                return share(self.readmitted, self.discharges)
            case "liable_days":
                return self.liable_days
            case "liable_amount":
                return self.liable_amount
        raise KeyError(code)


def month_figures(
    stays: list[Stay],
    *,
    populations: dict[str, int | None],
    agreements: liability.Agreements,
    rates: dict[int, Decimal],
    explained: dict[int, liability.Liability | None] | None = None,
    year: int,
    month: int,
    today: datetime.date,
) -> dict[str, Figures]:
    """The month's figures per municipality code of `populations` (inhabitants aged 65+, None when
    not known; stays of other municipalities are left out). `explained`: liabilities already worked out, by stay (kept for the next month).
    MissingDayRate as `liability.month_statement`."""
    explained = {} if explained is None else explained
    first, last = liability.month_bounds(year, month)
    result = {code: Figures(population=population) for code, population in populations.items()}
    for stay in stays:
        figures = result.get(stay.municipality)
        if figures is None or stay.discharged_at is None:
            continue
        discharged = stay.discharged_day
        assert discharged is not None  # noqa: S101 - set with discharged_at
        if not first <= discharged <= last:
            continue
        if stay.pseudonym:
            figures.discharges += 1
            figures.readmitted += stay.readmitted
        if stay.ready_at is None:
            continue
        ready = stay.ready_day
        assert ready is not None  # noqa: S101 - set with ready_at
        days = (discharged - ready).days
        figures.days_ready.append(days)
        figures.same_day += days <= 0
        if stay.pk not in explained:
            explained[stay.pk] = liability.explain(stay, agreements)
        liable = explained[stay.pk]
        figures.within_grace += liable is not None and discharged <= liable.first_liable_day
        figures.sip_in_time += stay.sip_called_at is not None and liability.local_date(
            stay.sip_called_at
        ) <= ready + datetime.timedelta(days=SIP_DAYS)
        figures.care_contact += (
            stay.care_contact_at is not None and liability.local_date(stay.care_contact_at) <= discharged
        )
    months = liability.month_statement(
        ((s.municipality, s) for s in stays if s.ready_at is not None and s.municipality in result),
        agreements=agreements,
        rates=rates,
        year=year,
        month=month,
        today=today,
        explained=explained,
    )
    for code, month_lines in months.items():
        result[code].liable_days = month_lines.liable_days
        result[code].liable_amount = month_lines.amount
        result[code].liable_episodes = len(month_lines.liable_lines)
    return result


# Raised when the way the figures are counted changes, so that figures stored before are not read.
FIGURES_VERSION = 2  # 2: liable_episodes stored too


def basis(agreements: liability.Agreements, rates: dict[int, Decimal]) -> str:
    """What a month's figures depend on besides the episodes, as a short text: the county's
    agreement versions, its day rates and FIGURES_VERSION. Stored figures of another basis are
    not read (followup/monthly.py)."""
    parts = [f"v{FIGURES_VERSION}", *map(repr, agreements.versions), *(f"{y}={a}" for y, a in sorted(rates.items()))]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def county_figures(per_municipality: dict[str, Figures]) -> Figures:
    total = Figures()
    for figures in per_municipality.values():
        total.add(figures)
    return total


def shown(code: str, value: float | Decimal | None) -> Decimal | None:
    """A value as targets are written: shares in per cent, the rest as they are."""
    if value is None:
        return None
    number = Decimal(str(value))
    return number * 100 if BY_CODE[code].kind == "share" else number


def met(code: str, value: Decimal | None, target: Decimal | None) -> bool | None:
    """Whether a value as `shown` meets `target` (at most for indicators where lower is better,
    at least otherwise); None without a value or a target."""
    if value is None or target is None:
        return None
    return value <= target if BY_CODE[code].lower_is_better else value >= target
