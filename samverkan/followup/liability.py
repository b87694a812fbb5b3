"""Payment liability (betalningsansvar, Lag 2017:612): which days of a ready-for-discharge
patient's stay the home municipality pays for, and how much. The one place this is counted
(docs/architecture.md, "Where each rule lives"); pages, exports, the API and the command all
call `month_statement`.

The rules (each a field of `Agreement`, the law's defaults in `LAW`):

- **Ready day** D: the local (Europe/Stockholm) date of the ready-for-discharge notice. With a
  cut-off time, a notice sent at or after it counts as sent the next day. A notice at 00:00 is on
  the day that begins then.
- **First liable day** L (counted by `samverkan.flow.grace.first_liable_day`, the one rule for
  grace days that the flow statistics read too): with the notice day counted as grace day 1 (the law's reading: liability
  starts 3 calendar days after the notice), L = D + grace days; otherwise the grace days start the
  day after the notice and L = D + grace days + 1. Grace days are 3 for somatic and 30 for
  psychiatric care unless agreed otherwise.
- **Liable days**: every local calendar day from L up to, not including, the day of discharge E:
  max(0, E − L) days. Notice Monday 6 March 2023, discharge Saturday 11 March → L = 9 March,
  liable 9 and 10 March: 2 days. A patient not yet discharged is liable up to (not including)
  today. Each day belongs to its own month and is priced at the day rate of its own year.
- **Preconditions** (otherwise nothing is liable, and the line says why): a ready notice; an
  admission notice when required (and sent within so many hours of admission when agreed); a
  call to a SIP within so many days of the notice when agreed.
- **Which agreement**: the version in force on the local date of the ready notice (before any
  cut-off moves it): a change on a date applies to notices on or after it.
- **Average model**: instead of per episode, the municipality pays per month for the days ready
  of its patients discharged that month (days ready = E − D) above the agreed target per
  patient: max(0, Σ days ready − patients × target) days, at the rate of the month's year.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from django.utils.translation import gettext_lazy as _

from samverkan.capacity.schedule import LOCAL  # noqa: F401 - others read it as liability.LOCAL
from samverkan.flow import grace

ONE_DAY = datetime.timedelta(days=1)
ORE = Decimal("0.01")


class Reason:
    """Why a line is or is not liable: a code (in exports and the API) and its explanation."""

    LIABLE = "liable"
    NO_ADMISSION_NOTICE = "no_admission_notice"
    LATE_ADMISSION_NOTICE = "late_admission_notice"
    NO_SIP_CALL = "no_sip_call"
    LATE_SIP_CALL = "late_sip_call"
    AVERAGE_MODEL = "average_model"

    LABELS = {
        LIABLE: _("Liable"),
        NO_ADMISSION_NOTICE: _("Not liable: the municipality got no admission notice"),
        LATE_ADMISSION_NOTICE: _("Not liable: the admission notice came too late"),
        NO_SIP_CALL: _("Not liable: no call to a SIP"),
        LATE_SIP_CALL: _("Not liable: the call to a SIP came too late"),
        AVERAGE_MODEL: _("Counted in the municipality's monthly average"),
    }


@dataclass(frozen=True)
class Terms:
    """One version of a county's agreement, as the calculation reads it."""

    valid_from: datetime.date = datetime.date.min
    grace_days_somatic: int = 3
    grace_days_psychiatric: int = 30
    notice_day_counts: bool = True
    cutoff_time: datetime.time | None = None
    admission_notice_required: bool = True
    admission_notice_within_hours: int | None = None
    sip_call_within_days: int | None = None
    model: str = "episode"
    average_target_days: Decimal | None = None
    dispute_days: int = 30
    answer_days: int = 30
    name: str = ""

    def grace_days(self, care_type: str) -> int:
        return grace.grace_days(self, care_type)

    @classmethod
    def of(cls, agreement: object) -> Terms:
        """The terms of an `Agreement` row (or anything with its fields)."""
        names = [f.name for f in cls.__dataclass_fields__.values()]
        return cls(**{name: getattr(agreement, name) for name in names})


LAW = Terms()  # no agreement recorded: the law's defaults


class EpisodeFacts(Protocol):
    """What the calculation reads of an episode (flow.Episode)."""

    @property
    def care_type(self) -> str: ...
    @property
    def admitted_at(self) -> datetime.datetime: ...
    @property
    def admission_notice_at(self) -> datetime.datetime | None: ...
    @property
    def ready_at(self) -> datetime.datetime | None: ...
    @property
    def sip_called_at(self) -> datetime.datetime | None: ...
    @property
    def discharged_at(self) -> datetime.datetime | None: ...


local_date = grace.local_date


class Agreements(grace.Rules):
    """A county's agreement versions, to find the one in force on a date (the law's before the first)."""

    default = LAW
    versions: list[Terms]  # type: ignore[assignment]

    def on(self, day: datetime.date) -> Terms:
        return super().on(day)  # type: ignore[return-value]


@dataclass(frozen=True)
class Liability:
    """An episode's liability explained: the ready day, the first liable day, the end (the day of
    discharge, not liable itself; None while in hospital) and the reason."""

    terms: Terms
    ready_day: datetime.date
    grace_days: int
    first_liable_day: datetime.date
    end: datetime.date | None
    reason: str

    @property
    def liable(self) -> bool:
        return self.reason == Reason.LIABLE

    def days_in(self, first: datetime.date, until: datetime.date) -> list[datetime.date]:
        """The liable days (whatever the preconditions) in [first, until), and before the end."""
        start = max(first, self.first_liable_day)
        stop = until if self.end is None else min(until, self.end)
        return [start + ONE_DAY * i for i in range(max(0, (stop - start).days))]


def ready_day(ready_at: datetime.datetime, terms: Terms) -> datetime.date:
    """The local date the notice counts from: its own, or the next after the cut-off time."""
    return grace.ready_day(ready_at, terms)


def reason_for(episode: EpisodeFacts, terms: Terms) -> str:
    """Whether the preconditions of `terms` hold for an episode with a ready notice."""
    if terms.admission_notice_required:
        if episode.admission_notice_at is None:
            return Reason.NO_ADMISSION_NOTICE
        hours = terms.admission_notice_within_hours
        if hours is not None and episode.admission_notice_at - episode.admitted_at > datetime.timedelta(hours=hours):
            return Reason.LATE_ADMISSION_NOTICE
    if terms.sip_call_within_days is not None:
        assert episode.ready_at is not None  # noqa: S101 - explain() asks only for episodes with a notice
        if episode.sip_called_at is None:
            return Reason.NO_SIP_CALL
        if local_date(episode.sip_called_at) > local_date(episode.ready_at) + ONE_DAY * terms.sip_call_within_days:
            return Reason.LATE_SIP_CALL
    if terms.model == "average":
        return Reason.AVERAGE_MODEL
    return Reason.LIABLE


def explain(episode: EpisodeFacts, agreements: Agreements) -> Liability | None:
    """The liability of one episode; None without a ready notice."""
    if episode.ready_at is None:
        return None
    period = grace.first_liable_day(episode.care_type, episode.ready_at, agreements)
    terms = period.rule
    assert isinstance(terms, Terms)  # noqa: S101 - the versions of Agreements are Terms
    end = local_date(episode.discharged_at) if episode.discharged_at is not None else None
    return Liability(
        terms, period.ready_day, period.grace_days, period.first_liable_day, end, reason_for(episode, terms)
    )


class MissingDayRate(ValueError):
    """Liable days in a year without a day rate: the statement cannot be priced."""

    def __init__(self, year: int):
        super().__init__(f"No liability day rate for {year}")
        self.year = year


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    """The first and the last day of a month."""
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class Line:
    """One episode's liability in one month."""

    episode: EpisodeFacts
    liability: Liability
    first_day: datetime.date | None  # the first and last liable day in the month (if any)
    last_day: datetime.date | None
    liable_days: int
    day_rate: Decimal | None
    amount: Decimal
    days_ready: int | None = None  # average model: E − D, counted in the month of discharge

    @property
    def reason(self) -> str:
        return self.liability.reason

    @property
    def reason_label(self) -> str:
        return str(Reason.LABELS[self.reason])


@dataclass(frozen=True)
class AverageLine:
    """A municipality's month under the average model: its patients discharged that month."""

    municipality: str
    terms: Terms
    patients: int
    days_ready: int
    target: Decimal
    liable_days: Decimal
    day_rate: Decimal | None
    amount: Decimal


@dataclass
class MunicipalityMonth:
    """A municipality's statement lines for a month, and their totals (always the sums of the lines)."""

    municipality: str
    lines: list[Line] = field(default_factory=list)
    averages: list[AverageLine] = field(default_factory=list)

    @property
    def liable_lines(self) -> list[Line]:
        return [line for line in self.lines if line.liable_days]

    @property
    def liable_days(self) -> Decimal:
        return Decimal(sum(line.liable_days for line in self.lines)) + sum(
            (a.liable_days for a in self.averages), Decimal(0)
        )

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0)) + sum(
            (a.amount for a in self.averages), Decimal(0)
        )


def _price(days: int | Decimal, year: int, rates: dict[int, Decimal]) -> tuple[Decimal | None, Decimal]:
    if not days:
        return rates.get(year), Decimal(0)
    if year not in rates:
        raise MissingDayRate(year)
    return rates[year], (rates[year] * days).quantize(ORE, rounding=ROUND_HALF_UP)


def month_statement(
    episodes: Iterable[tuple[str, EpisodeFacts]],
    *,
    agreements: Agreements,
    rates: dict[int, Decimal],
    year: int,
    month: int,
    today: datetime.date,
    explained: dict[int, Liability | None] | None = None,
) -> dict[str, MunicipalityMonth]:
    """The liability of `episodes` ((home municipality code, episode) pairs) in one month, per
    home municipality. An episode gets a line when days of its stay in the month fall after its
    grace days (liable or, with the reason, not), or under the average model when it was
    discharged in the month. Days from today on are not counted (today may still be the day of
    discharge). MissingDayRate when liable days fall in a year without a rate. `explained`: a cache
    of `explain` by the episodes' `pk`, for callers that count several months."""
    first, last = month_bounds(year, month)
    until = min(last + ONE_DAY, today)
    result: dict[str, MunicipalityMonth] = {}
    pools: dict[tuple[str, Terms], list[Line]] = {}
    for code, episode in episodes:
        if explained is None:
            liability = explain(episode, agreements)
        else:
            key = episode.pk  # type: ignore[attr-defined]
            if key not in explained:
                explained[key] = explain(episode, agreements)
            liability = explained[key]
        if liability is None:
            continue
        if liability.terms.model == "average":
            if liability.end is None or not first <= liability.end <= last:
                continue
            days_ready = (liability.end - liability.ready_day).days
            line = Line(episode, liability, None, None, 0, None, Decimal(0), days_ready=max(0, days_ready))
            result.setdefault(code, MunicipalityMonth(code)).lines.append(line)
            if liability.reason == Reason.AVERAGE_MODEL:
                pools.setdefault((code, liability.terms), []).append(line)
            continue
        # The days of `days_in(first, until)`, counted without listing them.
        start = max(first, liability.first_liable_day)
        stop = until if liability.end is None else min(until, liability.end)
        count = (stop - start).days
        if count <= 0:
            continue
        liable = count if liability.liable else 0
        rate, amount = _price(liable, year, rates)
        result.setdefault(code, MunicipalityMonth(code)).lines.append(
            Line(episode, liability, start, stop - ONE_DAY, liable, rate, amount)
        )
    for (code, terms), lines in pools.items():
        target = terms.average_target_days or Decimal(0)
        total = sum(line.days_ready or 0 for line in lines)
        liable_days = max(Decimal(0), Decimal(total) - target * len(lines))
        rate, amount = _price(liable_days, year, rates)
        result[code].averages.append(AverageLine(code, terms, len(lines), total, target, liable_days, rate, amount))
    return result


def plain_rule(terms: Terms) -> list[str]:
    """The agreement in plain Swedish (through the catalogue): one sentence per rule."""
    sentences = []
    for care, days in (
        (_("somatic care"), terms.grace_days_somatic),
        (_("psychiatric care"), terms.grace_days_psychiatric),
    ):
        start = days + 1
        sentences.append(
            str(
                _(
                    "For %(care)s the municipality pays from day %(start)d after the ready-for-discharge notice, "
                    "counting the day of the notice as day 1 (%(grace)d grace days)."
                )
                if terms.notice_day_counts
                else _(
                    "For %(care)s the municipality pays from day %(start)d, counting the day after the "
                    "ready-for-discharge notice as day 1 of %(grace)d grace days."
                )
            )
            % {"care": care, "start": start, "grace": days}
        )
    if terms.cutoff_time is not None:
        sentences.append(
            str(_("A notice sent at %(time)s or later counts as sent the next day."))
            % {"time": terms.cutoff_time.strftime("%H:%M")}
        )
    if terms.admission_notice_required:
        if terms.admission_notice_within_hours is not None:
            sentences.append(
                str(_("Only if the municipality got an admission notice within %(hours)d hours of admission."))
                % {"hours": terms.admission_notice_within_hours}
            )
        else:
            sentences.append(str(_("Only if the municipality got an admission notice.")))
    if terms.sip_call_within_days is not None:
        sentences.append(
            str(_("Only if a SIP was called within %(days)d days of the ready-for-discharge notice."))
            % {"days": terms.sip_call_within_days}
        )
    if terms.model == "average":
        sentences.append(
            str(
                _(
                    "The municipality pays per month for the days ready of its patients discharged that month above "
                    "%(target)s days per patient on average."
                )
            )
            % {"target": terms.average_target_days}
        )
    sentences.append(str(_("The day of discharge is not a liable day; each day is priced at the rate of its year.")))
    return sentences
