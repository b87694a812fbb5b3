"""The statement's lines as table rows (one layout for CSV, Excel, the command and the API) and
the PDFs of statements and the indicator report."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from samverkan.capacity.schedule import LOCAL
from samverkan.followup import liability, pdf

COLUMNS = [
    "source_id",
    "home_municipality",
    "care_type",
    "ready_at",
    "discharged_at",
    "ready_day",
    "first_liable_day",
    "first_day",
    "last_day",
    "liable_days",
    "day_rate",
    "amount",
    "reason",
]


NUMBER_COLUMNS = frozenset({"liable_days", "day_rate", "amount"})


def with_numbers(columns: list[str], table: list[list]) -> list[list]:
    """The table with its number columns as numbers, for a page's CSV (a decimal comma there,
    samverkan/tables.py); the API keeps the texts ("94500.00")."""
    return [
        [
            Decimal(value) if column in NUMBER_COLUMNS and value not in ("", None) else value
            for column, value in zip(columns, row, strict=True)
        ]
        for row in table
    ]


def _moment(value: datetime.datetime | None) -> str:
    return value.astimezone(LOCAL).isoformat(timespec="minutes") if value else ""


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _money(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def line_row(code: str, line: liability.Line) -> dict[str, str | int]:
    episode, explained = line.episode, line.liability
    return {
        "source_id": getattr(episode, "record_id", ""),
        "home_municipality": code,
        "care_type": episode.care_type,
        "ready_at": _moment(episode.ready_at),
        "discharged_at": _moment(episode.discharged_at),
        "ready_day": _day(explained.ready_day),
        "first_liable_day": _day(explained.first_liable_day),
        "first_day": _day(line.first_day),
        "last_day": _day(line.last_day),
        "liable_days": line.liable_days,
        "day_rate": _money(line.day_rate),
        "amount": _money(line.amount),
        "reason": line.reason,
    }


def average_row(average: liability.AverageLine) -> dict[str, str | int]:
    return {
        **dict.fromkeys(COLUMNS, ""),
        "home_municipality": average.municipality,
        "liable_days": f"{average.liable_days}",
        "day_rate": _money(average.day_rate),
        "amount": _money(average.amount),
        "reason": f"average: {average.patients} patients, {average.days_ready} days ready, target {average.target}",
    }


def rows(months: dict[str, liability.MunicipalityMonth]) -> Iterator[dict[str, str | int]]:
    for code, found in sorted(months.items()):
        for line in found.lines:
            yield line_row(code, line)
        for average in found.averages:
            yield average_row(average)


ISSUED_COLUMNS = [
    "municipality",
    "month",
    "number",
    "kind",
    "source_id",
    "care_type",
    "ready_at",
    "discharged_at",
    "first_liable_day",
    "first_day",
    "last_day",
    "liable_days",
    "day_rate",
    "amount",
    "reason",
]


def issued_rows(statement: Any, lines: list[Any]) -> Iterator[list[str]]:
    """An issued statement's lines (followup.StatementLine) in ISSUED_COLUMNS, and its total."""
    for line in lines:
        yield [
            statement.municipality_id,
            f"{statement.month:%Y-%m}",
            str(statement.number),
            line.kind,
            line.record_id,
            line.care_type,
            _moment(line.ready_at),
            _moment(line.discharged_at),
            _day(line.first_liable_day),
            _day(line.first_day),
            _day(line.last_day),
            f"{line.liable_days.normalize():f}",
            _money(line.day_rate),
            _money(line.amount),
            line.reason,
        ]
    yield [
        statement.municipality_id,
        f"{statement.month:%Y-%m}",
        str(statement.number),
        "total",
        *[""] * 7,
        f"{statement.liable_days.normalize():f}",
        "",
        _money(statement.amount),
        "",
    ]


def _sek(value: Decimal | None) -> str:
    return number_format(value, 2, force_grouping=True) if value is not None else "–"


# The statement tables' eight columns (fractions of the line) in 7-point letters: each holds its
# longest word without breaking it — a record id, a date and time, "betalningsansvar" in the
# headers, an amount, "inskrivningsmeddelande" in an explanation.
STATEMENT_COLUMNS = [0.105, 0.125, 0.125, 0.13, 0.13, 0.085, 0.1, 0.2]


def statement_pdf(title: str, intro: list[str], found: liability.MunicipalityMonth) -> bytes:
    """The month's statement lines of a municipality as counted now, as a PDF."""
    document = pdf.Document(title)
    for sentence in intro:
        document.paragraph(sentence)
    header = [
        str(_("Source id")),
        str(_("Ready-for-discharge notice")),
        str(_("Discharged")),
        str(_("First liable day")),
        str(_("Liable days")),
        str(_("Day rate")),
        str(_("Amount (SEK)")),
        str(_("Explanation")),
    ]
    rows = [
        [
            str(getattr(line.episode, "record_id", "")),
            _moment(line.episode.ready_at).replace("T", " ")[:16],
            _moment(line.episode.discharged_at).replace("T", " ")[:16] or "–",
            _day(line.liability.first_liable_day),
            str(line.liable_days),
            _sek(line.day_rate),
            _sek(line.amount),
            line.reason_label,
        ]
        for line in found.lines
    ]
    rows += [
        [str(_("Monthly average")), "", "", "", f"{a.liable_days}", _sek(a.day_rate), _sek(a.amount), ""]
        for a in found.averages
    ]
    rows.append(["∑" + str(_("Total")), "", "", "", f"{found.liable_days}", "", _sek(found.amount), ""])
    document.table(header, rows, STATEMENT_COLUMNS, {4, 5, 6}, size=7)
    return document.render()


def issued_pdf(title: str, intro: list[str], statement: Any, lines: list[Any]) -> bytes:
    """An issued statement (the invoice basis) as a PDF."""
    document = pdf.Document(title)
    for sentence in intro:
        document.paragraph(sentence)
    header = [
        str(_("Source id")),
        str(_("Ready-for-discharge notice")),
        str(_("Discharged")),
        str(_("Liable in the month")),
        str(_("Liable days")),
        str(_("Day rate")),
        str(_("Amount (SEK)")),
        str(_("Explanation")),
    ]
    rows = [
        [
            line.record_id or str(line.get_kind_display()),
            _moment(line.ready_at).replace("T", " ")[:16] or "–",
            _moment(line.discharged_at).replace("T", " ")[:16] or "–",
            f"{_day(line.first_day)} – {_day(line.last_day)}" if line.first_day else "–",
            f"{line.liable_days.normalize():f}",
            _sek(line.day_rate),
            _sek(line.amount),
            str(_("Credit of an accepted dispute")) if line.kind == "credit" else line.reason_label,
        ]
        for line in lines
    ]
    rows.append(
        ["∑" + str(_("Total")), "", "", "", f"{statement.liable_days.normalize():f}", "", _sek(statement.amount), ""]
    )
    document.table(header, rows, STATEMENT_COLUMNS, {4, 5, 6}, size=7)
    return document.render()


def report_pdf(title: str, report: Any) -> bytes:
    """The indicator report for the forum as a PDF: summary, indicators against targets, the 12
    months of each indicator as a table and as a chart per indicator (with its target)."""
    document = pdf.Document(title)
    document.heading(str(_("Summary")))
    for sentence in report.summary:
        document.paragraph(sentence)

    def shown(value: Decimal | None, places: int = 2) -> str:
        return number_format(value, places, force_grouping=True) if value is not None else "–"

    def in_trend(code: str, value: Decimal | None) -> str:
        """The 12 months' cells are narrow: amounts in thousands, the rest with one decimal."""
        if value is not None and code == "liable_amount":
            return shown(value / 1000, 0)
        return shown(value, 1)

    document.heading(str(_("Indicators against targets")))
    rows = []
    for row in report.rows:
        sign = "<=" if row.indicator.lower_is_better else ">="
        met = "–" if row.met is None else str(_("Yes")) if row.met else str(_("No"))
        unit = " (%)" if row.indicator.kind == "share" else ""
        target = f"{sign} {shown(row.target)}" if row.target is not None else "–"
        rows.append([f"{row.indicator.label}{unit}", shown(row.value), target, met, shown(row.year_before)])
    document.table(
        [str(_("Indicator")), str(_("This month")), str(_("Target")), str(_("Target met")), str(_("A year before"))],
        rows,
        [0.44, 0.14, 0.14, 0.12, 0.16],
        {1, 2, 4},
    )
    if report.population_note:
        document.paragraph(report.population_note)
    document.heading(str(_("The last 12 months")))
    months = [day.strftime("%y-%m") for day, _value, _target in report.rows[0].trend]
    document.table(
        [str(_("Indicator")), *months],
        [
            [
                str(_("Liability (thousand SEK)"))
                if row.indicator.code == "liable_amount"
                else str(row.indicator.label),
                *[in_trend(row.indicator.code, value) for _day_, value, _t in row.trend],
            ]
            for row in report.rows
        ],
        [0.28] + [0.06] * 12,
        set(range(1, 13)),
    )
    document.heading(str(_("Charts")))
    document.paragraph(str(_("Each chart: the month's value (solid line) and the target (dashed), 12 months.")))
    document.charts(
        [
            pdf.Chart(
                title=str(_("Liability (thousand SEK)"))
                if row.indicator.code == "liable_amount"
                else f"{row.indicator.label}{' (%)' if row.indicator.kind == 'share' else ''}",
                labels=[day.strftime("%y-%m") for day, _value, _target in row.trend],
                values=[_scaled(row.indicator.code, value) for _day, value, _target in row.trend],
                targets=[_scaled(row.indicator.code, target) for _day, _value, target in row.trend],
                empty=str(_("No values: no patients, or too few to show.")),
            )
            for row in report.rows
        ]
    )
    return document.render()


def _scaled(code: str, value: Decimal | None) -> float | None:
    """A chart's value: amounts in thousands, as in the table."""
    if value is None:
        return None
    return float(value / 1000) if code == "liable_amount" else float(value)
