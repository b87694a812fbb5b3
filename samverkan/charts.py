"""The one charting approach: small SVG line charts rendered on the server.

No script and no inline style (colours come from CSS classes), so the CSP holds and the chart
shows without JavaScript. Every chart is paired with a table of the same figures in the template;
the SVG itself is marked as an image with a text alternative.

A day without a figure (None, or no point at all for a day the other series have) is a gap in
the line, never a zero; a figure with no neighbour is drawn as a dot. When every figure is a
whole number (counts: places, patients) the y axis is marked in whole numbers only."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 16, 16, 36


@dataclass
class Series:
    name: str
    points: list[tuple[datetime.date, float | None]]
    css_class: str = "series-1"


@dataclass
class Band:
    """A shaded range between two daily series (a prediction interval)."""

    name: str
    lower: list[tuple[datetime.date, float]]
    upper: list[tuple[datetime.date, float]]
    css_class: str = "band-1"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if value <= step * 5:
            return step * 5 if value > step * 4 else step * (int(value // step) + 1)
    return value * 1.1


def _whole_ticks(top: float) -> int:
    """How many intervals split 0..top into whole numbers (top itself whole)."""
    return next(n for n in (4, 5, 3, 2, 1) if top % n == 0)


def line_chart(series: list[Series], *, label: str, bands: list[Band] | None = None) -> SafeString:
    """An accessible SVG line chart of one or more daily series sharing a y axis from zero, over
    optional shaded bands (drawn first, widest first as given)."""
    bands = bands or []
    days = sorted({day for s in series for day, value in s.points} | {day for b in bands for day, _v in b.upper})
    if not days:
        return mark_safe("")  # noqa: S308 - constant
    values = [v for s in series for _, v in s.points if v is not None] + [v for b in bands for _, v in b.upper]
    whole = all(float(v).is_integer() for v in values)
    top = _nice_max(max(values, default=0))
    if whole:
        top = float(math.ceil(top))
    intervals = _whole_ticks(int(top)) if whole else 4
    plot_w, plot_h = WIDTH - MARGIN_LEFT - MARGIN_RIGHT, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    span = max((days[-1] - days[0]).days, 1)

    def x(day: datetime.date) -> float:
        return MARGIN_LEFT + plot_w * (day - days[0]).days / span

    def y(value: float) -> float:
        return MARGIN_TOP + plot_h * (1 - value / top)

    grid = []
    for i in range(intervals + 1):
        value = top * i / intervals
        grid.append(
            format_html(
                '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>',
                MARGIN_LEFT,
                WIDTH - MARGIN_RIGHT,
                f"{y(value):.1f}",
                f"{y(value):.1f}",
                MARGIN_LEFT - 6,
                f"{y(value) + 4:.1f}",
                f"{value:g}",
            )
        )
    step = max(len(days) // 6, 1)
    for day in days[::step]:
        grid.append(
            format_html(
                '<text class="chart-tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                f"{x(day):.1f}",
                HEIGHT - 12,
                day.strftime("%d/%m"),
            )
        )
    lines: list[SafeString] = []
    for band in bands:
        if not band.upper:
            continue
        outline = [f"{x(day):.1f},{y(value):.1f}" for day, value in band.upper] + [
            f"{x(day):.1f},{y(value):.1f}" for day, value in reversed(band.lower)
        ]
        lines.append(format_html('<polygon class="chart-band {}" points="{}"/>', band.css_class, " ".join(outline)))
    for s in series:
        by_day = dict(s.points)
        segments: list[list[tuple[float, float]]] = []
        current: list[tuple[float, float]] = []
        for day in days:
            point = by_day.get(day)
            if point is None:  # no figure that day: the line stops
                if current:
                    segments.append(current)
                current = []
            else:
                current.append((x(day), y(point)))
        if current:
            segments.append(current)
        for seg in segments:
            if len(seg) == 1:
                lines.append(
                    format_html(
                        '<circle class="chart-dot {}" cx="{}" cy="{}" r="3"/>',
                        s.css_class,
                        f"{seg[0][0]:.1f}",
                        f"{seg[0][1]:.1f}",
                    )
                )
            else:
                points = " ".join(f"{px:.1f},{py:.1f}" for px, py in seg)
                lines.append(format_html('<polyline class="chart-line {}" points="{}"/>', s.css_class, points))
    legend = format_html_join(
        "",
        '<tspan class="chart-legend {}" dx="12">&#9632; {}</tspan>',
        [(b.css_class, b.name) for b in bands] + [(s.css_class, s.name) for s in series],
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" focusable="false">'
        "{}{}<text class='chart-tick' x='{}' y='12'>{}</text></svg>",
        WIDTH,
        HEIGHT,
        label,
        mark_safe("".join(grid)),  # noqa: S308 - built with format_html above
        mark_safe("".join(lines)),  # noqa: S308
        MARGIN_LEFT,
        legend,
    )
