"""A situation report as a PDF (A4), from the same ReportView as its page: the change sentences,
and each section with its comment, key figures, a line chart and its table.

fpdf2 with DejaVu Sans embedded (samverkan/situation/fonts/, its source and licence there): every
letter a report may hold (å, ä, ö, Sámi names' č, ŋ, đ …) and the dashes are written as they are,
whatever fonts the reader has. Charts are drawn with lines, one colour per series as on the page,
and every chart is followed by its figures as a table."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from samverkan.situation.presentation import ReportView

COLOURS = ((11, 79, 108), (179, 89, 0), (46, 125, 50))  # app.css .series-1 … -3
CHART_W, CHART_H = 170.0, 45.0
Point = tuple[datetime.date, float | None]
FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _shown(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


class ReportPDF(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.report_title = title
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(20, 15, 20)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.report_title} – {self.page_no()}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: int = 13) -> None:
        self.ln(3)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, _text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def paragraph(self, text: str, *, bold_prefix: str = "", size: int = 10) -> None:
        self.set_font(FONT, size=size)
        if bold_prefix:
            self.set_font(FONT, "B", size)
            self.write(5, _text(bold_prefix + " "))
            self.set_font(FONT, size=size)
        self.multi_cell(0, 5, _text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def key_figures(self, figures: Sequence[tuple[str, object]]) -> None:
        if not figures:
            return
        width = (self.w - self.l_margin - self.r_margin) / len(figures)
        y = self.get_y()
        for i, (label, value) in enumerate(figures):
            x = self.l_margin + i * width
            self.set_draw_color(200, 200, 200)
            self.rect(x, y, width - 2, 15)
            self.set_xy(x + 1.5, y + 1)
            self.set_font(FONT, size=7)
            self.cell(width - 4, 4, _text(label)[:40])
            self.set_xy(x + 1.5, y + 6)
            self.set_font(FONT, "B", 13)
            self.cell(width - 4, 7, _text(_shown(value)))
        self.set_xy(self.l_margin, y + 17)

    def chart(self, series: Sequence[tuple[str, Sequence[Point]]]) -> None:
        """A line chart from zero, one colour per series, with its legend and first and last day."""
        days = sorted({day for _, points in series for day, value in points})
        values = [value for _, points in series for _, value in points if value is not None]
        if not days or not values:
            return
        if self.get_y() + CHART_H + 14 > self.h - self.b_margin:
            self.add_page()
        top = max(max(values), 1.0)
        x0, y0 = self.l_margin + 12, self.get_y() + 2
        span = max((days[-1] - days[0]).days, 1)
        self.set_font(FONT, size=7)
        self.set_draw_color(210, 210, 210)
        self.set_line_width(0.2)
        for i in range(5):
            y = y0 + CHART_H * (1 - i / 4)
            self.line(x0, y, x0 + CHART_W - 12, y)
            self.set_xy(self.l_margin, y - 2)
            self.cell(11, 4, _shown(round(top * i / 4, 1) if top < 8 else round(top * i / 4)), align="R")
        legend_x = x0
        for index, (name, points) in enumerate(series):
            colour = COLOURS[index % len(COLOURS)]
            self.set_draw_color(*colour)
            self.set_fill_color(*colour)
            self.set_line_width(0.6)
            previous: tuple[float, float] | None = None
            for day, value in points:
                if value is None:
                    previous = None
                    continue
                x = x0 + (CHART_W - 12) * (day - days[0]).days / span
                y = y0 + CHART_H * (1 - value / top)
                if previous is not None:
                    self.line(previous[0], previous[1], x, y)
                self.circle(x, y, 0.7, style="F")  # a lone point shows too
                previous = (x, y)
            label = _text(name)
            self.rect(legend_x, y0 + CHART_H + 6.5, 3, 3, style="F")
            self.set_xy(legend_x + 4, y0 + CHART_H + 5.5)
            self.cell(self.get_string_width(label) + 1, 5, label)
            legend_x += self.get_string_width(label) + 10
        self.set_fill_color(255, 255, 255)
        self.set_xy(x0, y0 + CHART_H + 1)
        self.cell(30, 4, days[0].isoformat())
        self.set_xy(x0 + CHART_W - 12 - 30, y0 + CHART_H + 1)
        self.cell(30, 4, days[-1].isoformat(), align="R")
        self.set_line_width(0.2)
        self.set_draw_color(0, 0, 0)
        self.set_xy(self.l_margin, y0 + CHART_H + 13)

    def figures_table(self, header: Sequence[str], rows: Sequence[Sequence[object]], caption: str = "") -> None:
        if caption:
            self.set_font(FONT, "B", 9)
            self.cell(0, 6, _text(caption), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=8)
        widths = [2.2] + [1.0] * (len(header) - 1)
        self.set_fill_color(255, 255, 255)
        self.set_draw_color(160, 160, 160)
        with self.table(
            col_widths=widths,
            headings_style=FontFace(emphasis="BOLD", fill_color=(226, 234, 240)),
            cell_fill_color=(246, 247, 248),
            cell_fill_mode="ROWS",
            text_align=("LEFT", *("RIGHT",) * (len(header) - 1)),
            line_height=4.5,
            first_row_as_headings=True,
        ) as table:
            table.row([_text(cell) for cell in header])
            for row in rows:
                table.row([_text(_shown(cell)) for cell in row])
        self.set_draw_color(0, 0, 0)
        self.ln(2)


def report_pdf(view: ReportView, *, county_name: str, title: str, compress: bool = True) -> bytes:
    """The PDF; `compress=False` leaves its text readable in the bytes (for tests)."""
    report = view.report
    pdf = ReportPDF(title)
    pdf.set_compression(compress)
    pdf.set_title(_text(title))
    pdf.set_creator("Samverkan")
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 9, _text(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    facts = [
        (_("Figures as of"), _moment(report.as_of)),
        (_("Published"), _moment(report.published_at)),
    ]
    for label, value in facts:
        pdf.paragraph(str(value), bold_prefix=f"{label}:")
    pdf.heading(_("What has changed"))
    for sentence in view.sentences:
        pdf.paragraph(f"- {sentence}")

    capacity, totals = view.capacity, view.capacity.get("totals", {})
    pdf.heading(_("Capacity and free places"))
    if report.comments.get("capacity"):
        pdf.paragraph(report.comments["capacity"], bold_prefix=_("Comment:"))
    occupancy = totals.get("occupancy_percent")
    pdf.key_figures(
        [
            (_("Free places"), totals.get("free")),
            (_("Staffed"), totals.get("staffed")),
            (_("Occupied"), totals.get("occupied")),
            (_("Reserved"), totals.get("reserved")),
            (_("Occupancy"), f"{_shown(occupancy)} %" if occupancy is not None else None),
        ]
    )
    pdf.chart([(_("Free places"), [(p["day"], _number(p["free"])) for p in view.trend])])
    pdf.figures_table(
        [_("Municipality"), _("Free"), _("Staffed"), _("Occupied"), _("Reserved"), _("Reports not current")],
        [
            [m["name"], m["free"], m["staffed"], m["occupied"], m["reserved"], m["stale_units"]]
            for m in capacity.get("municipalities", [])
        ],
        caption=_("Places per municipality"),
    )
    pdf.figures_table(
        [_("Date"), _("Free"), _("Units with a current report")],
        [[p["day"].isoformat(), p["free"], p["reporting_units"]] for p in view.trend],
        caption=_("Free places per day"),
    )

    placements = view.placements
    escalation = placements.get("escalation", {})
    pdf.heading(_("Place requests and escalation"))
    if report.comments.get("placements"):
        pdf.paragraph(report.comments["placements"], bold_prefix=_("Comment:"))
    pdf.key_figures(
        [
            (_("Open requests"), placements.get("open_requests")),
            (_("Places asked for"), placements.get("places_asked")),
            (_("Places shared now"), placements.get("shared_places")),
            (_("Escalation step"), escalation.get("current", {}).get("order")),
        ]
    )
    current, suggested = escalation.get("current", {}), escalation.get("suggested", {})
    pdf.paragraph(
        _("Escalation step %(order)s: %(name)s") % {"order": current.get("order"), "name": current.get("name", "")}
    )
    pdf.paragraph(
        _("The figures suggest step %(order)s: %(name)s.")
        % {"order": suggested.get("order"), "name": suggested.get("name", "")}
    )
    for reason in escalation.get("reasons", []):
        pdf.paragraph(f"- {reason}")
    pdf.figures_table(
        [_("Figure"), _("Number")],
        [
            [_("Open requests (sent or offered)"), placements.get("open_requests")],
            [_("Places asked for by open requests"), placements.get("places_asked")],
            [
                _("Open requests waiting longer than %(hours)s hours") % {"hours": placements.get("waiting_hours")},
                placements.get("waiting_long"),
            ],
            [_("Requests accepted or in place"), placements.get("shared_requests")],
            [_("Places shared between municipalities"), placements.get("shared_places")],
        ],
        caption=_("Place requests in the county"),
    )

    pdf.heading(_("Patient flow"))
    if report.comments.get("flow"):
        pdf.paragraph(report.comments["flow"], bold_prefix=_("Comment:"))
    weeks = view.weeks
    if weeks:
        pdf.chart(
            [
                (_("Admissions"), [(w["start"], _number(w["admissions"])) for w in weeks]),
                (_("Discharges"), [(w["start"], _number(w["discharges"])) for w in weeks]),
                (_("Ready, in hospital at end"), [(w["start"], _number(w["ready_in_hospital"])) for w in weeks]),
            ]
        )
        pdf.figures_table(
            [
                _("Week"),
                _("Admissions"),
                _("Discharges"),
                _("Ready notices"),
                _("In hospital at end"),
                _("Ready, in hospital at end"),
            ],  # fmt: skip
            [
                [
                    f"{w['start']:%Y-%m-%d} – {w['end']:%Y-%m-%d}",
                    w["admissions"],
                    w["discharges"],
                    w["ready_notices"],
                    w["in_hospital"],
                    w["ready_in_hospital"],
                ]  # fmt: skip
                for w in weeks
            ],
            caption=_("Patient flow per week"),
        )
        pdf.figures_table(
            [_("Destination"), _("Discharges")],
            view.destinations,
            caption=_("Destinations after discharge, latest week"),
        )

    pdf.heading(_("Equipment and supplies"))
    if report.comments.get("resources"):
        pdf.paragraph(report.comments["resources"], bold_prefix=_("Comment:"))
    if view.resources:
        equipment = view.equipment
        pdf.figures_table(
            [_("Equipment type"), _("Available"), _("On loan"), _("In service"), _("Loans past their last day")],
            [
                [row["name"], row["available_now"], row["on_loan"], row["in_service"], row["overdue"]]
                for row in equipment
            ],
            caption=_("Shared equipment now"),
        )
        on_chart = equipment[: len(COLOURS)]
        pdf.chart([(row["name"], [(w["start"], _number(w["free"])) for w in row["weeks"]]) for row in on_chart])
        if view.equipment_weeks:
            pdf.figures_table(
                [_("Week from"), *(row["name"] for row in on_chart)],
                [[start.isoformat() if start else None, *values] for start, values in view.equipment_weeks],
                caption=_("Free items per week"),
            )
        pdf.figures_table(
            [_("Article"), _("In stock"), _("Used in 7 days"), _("Days of supply"), _("Places with less than 7 days")],
            [
                [
                    row["name"],
                    f"{_shown(row['on_hand'])} {row['counted_in']}",
                    row["used_7_days"],
                    row["days"] if row["days"] is not None else row["bucket"],
                    row["low_places"],
                ]
                for row in view.supplies
            ],
            caption=_("Supplies in the county"),
        )
    else:
        pdf.paragraph(_("This report was prepared before equipment and supplies were part of it."))

    pdf.heading(_("Forecast"))
    if report.comments.get("forecast"):
        pdf.paragraph(report.comments["forecast"], bold_prefix=_("Comment:"))
    forecast = view.forecast
    if forecast.get("available"):
        shortage = forecast.get("shortage_7d")
        pdf.key_figures(
            [(_("Probability of a shortage within 7 days"), f"{_shown(shortage)} %" if shortage is not None else None)]
        )
        pdf.paragraph(
            _(
                "The probability that the county's demand for short-term places exceeds the staffed places on "
                "some day of the coming week, by the latest forecast (data up to %(day)s)."
            )
            % {"day": forecast.get("data_until")}
        )
        days = view.forecast_days
        if days:
            pdf.chart(
                [
                    (_("Expected occupied short-term places"), [(d["day"], _number(d["expected"])) for d in days]),
                    (_("Staffed places"), [(d["day"], _number(d["staffed"])) for d in days]),
                ]
            )
            pdf.figures_table(
                [_("Date"), _("Expected occupied"), _("80 % interval"), _("Staffed"), _("Probability above staffed")],
                [
                    [
                        d["day"].isoformat() if d["day"] else None,
                        d["expected"],
                        f"{_shown(d['low'])}–{_shown(d['high'])}",
                        d["staffed"],
                        f"{_shown(d['above_staffed_percent'])} %" if d["above_staffed_percent"] is not None else None,
                    ]
                    for d in days
                ],
                caption=_("Forecast of short-term places per day"),
            )
        if forecast.get("municipalities"):
            pdf.figures_table(
                [_("Municipality"), _("Probability")],
                [[m["name"], f"{_shown(m['shortage_percent'])} %"] for m in forecast["municipalities"]],
                caption=_("Probability of a shortage within 7 days per municipality"),
            )
    elif forecast:
        pdf.paragraph(_("The county has no finished forecast yet."))
    else:
        pdf.paragraph(_("This report was prepared before the forecast was part of it."))

    pdf.heading(_("Epidemiology"))
    if report.comments.get("epidemiology"):
        pdf.paragraph(report.comments["epidemiology"], bold_prefix=_("Comment:"))
    pdf.figures_table(
        [_("Indicator"), _("Latest"), _("Date"), _("A week earlier"), _("Change")],
        [
            [row.name, row.value, row.date.isoformat() if row.date else None, row.week_before_value, row.difference]
            for row in view.indicators
        ],
        caption=_("Latest figures and a week earlier"),
    )
    charted = view.charted
    if charted:
        pdf.chart([(row.name, [(day, _number(value)) for day, value in row.series]) for row in charted])
    pdf.set_font(FONT, size=7)
    pdf.paragraph(_text(county_name), size=7)
    return bytes(pdf.output())


def _moment(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "–"


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
