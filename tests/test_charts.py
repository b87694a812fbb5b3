"""The SVG line chart (samverkan/charts.py): a day without a figure is a gap, never 0; counts get
whole-number axes (issue 16, parts 6 and 10)."""

from __future__ import annotations

import datetime
import re

from samverkan.charts import MARGIN_LEFT, Series, line_chart

D = datetime.date


def _polylines(svg: str) -> list[list[tuple[float, float]]]:
    return [
        [tuple(float(n) for n in point.split(",")) for point in points.split()]
        for points in re.findall(r'<polyline class="chart-line [^"]*" points="([^"]*)"', svg)
    ]


def _ticks(svg: str) -> list[str]:
    return re.findall(
        rf'<text class="chart-tick" x="{MARGIN_LEFT - 6}" y="[^"]*" text-anchor="end">([^<]*)</text>', svg
    )


def test_a_day_without_a_figure_is_a_gap_not_zero():
    days = [D(2026, 3, d) for d in range(1, 6)]
    svg = str(line_chart([Series("Free", list(zip(days, [5, None, 7, 8, 6], strict=True)))], label="x"))
    lines = _polylines(svg)
    assert len(lines) == 1 and len(lines[0]) == 3  # 3, 4 and 5 March joined; 2 March left out
    assert svg.count("<circle") == 1  # 1 March alone: a dot
    bottom = max(float(y) for y in re.findall(r'<line class="chart-grid" [^>]*y1="([^"]*)"', svg))
    assert all(y < bottom for line in lines for _x, y in line)  # nothing drawn at zero


def test_a_day_missing_from_one_series_is_a_gap_in_it():
    days = [D(2026, 3, d) for d in range(1, 5)]
    full = Series("Occupied", [(day, 10) for day in days], "series-2")
    holed = Series("Free", [(days[0], 4), (days[1], 5), (days[3], 6)])  # no point on 3 March
    svg = str(line_chart([holed, full], label="x"))
    free_lines = re.findall(r'<polyline class="chart-line series-1" points="([^"]*)"', svg)
    assert [len(points.split()) for points in free_lines] == [2]
    assert svg.count('<circle class="chart-dot series-1"') == 1


def test_counts_get_whole_numbers_on_the_axis():
    days = [D(2026, 3, d) for d in range(1, 4)]
    svg = str(line_chart([Series("Beds", list(zip(days, [44, 50, 47], strict=True)))], label="x"))
    ticks = _ticks(svg)
    assert ticks == ["0", "10", "20", "30", "40", "50"]
    small = _ticks(str(line_chart([Series("Beds", [(days[0], 1), (days[1], 3)])], label="x")))
    assert small == ["0", "1", "2", "3", "4"]


def test_fractions_keep_quarter_ticks():
    days = [D(2026, 3, d) for d in range(1, 3)]
    ticks = _ticks(str(line_chart([Series("Mean days", [(days[0], 1.5), (days[1], 2.25)])], label="x")))
    assert len(ticks) == 5 and any("." in tick for tick in ticks)
