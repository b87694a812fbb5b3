"""The statistics page's figures as CSV and Excel: the same cells as the page (for those without
exact counts a reader's rounded figures, see flow.statistics.readers_figures)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from samverkan import tables
from samverkan.flow.statistics import Area, Statistics, cells, columns


def _header(stats: Statistics) -> list[str]:
    return [_("Code"), _("Area"), _("From"), _("To")] + [str(c.label) for c in columns(stats.grace_days)]


def municipality_rows(stats: Statistics, exact: bool) -> list[list]:
    """One row per municipality over the whole period, then the county total."""
    cols = columns(stats.grace_days)
    return [
        [area.code, area.name, stats.start.isoformat(), stats.end.isoformat()]
        + [c.export() for c in cells(area.total, cols, exact)]
        for area in [*stats.municipalities, stats.county]
    ]


def series_rows(stats: Statistics, area: Area, exact: bool) -> list[list]:
    """One row per day, week or month of the period for `area`."""
    cols = columns(stats.grace_days)
    return [
        [area.code, area.name, bucket.start.isoformat(), bucket.end.isoformat()]
        + [c.export() for c in cells(bucket.figures, cols, exact)]
        for bucket in area.buckets
    ]


def statistics_csv(stats: Statistics, area: Area, *, exact: bool) -> str:
    """The municipalities and the county total over the whole period, then `area` per bucket."""
    return tables.csv_text(_header(stats), municipality_rows(stats, exact) + series_rows(stats, area, exact))


def statistics_xlsx(stats: Statistics, area: Area, *, exact: bool) -> bytes:
    """Two sheets: the municipalities with the county total, and `area` per bucket."""
    header = _header(stats)
    return tables.xlsx_bytes(
        [
            tables.Sheet(header, municipality_rows(stats, exact), title=_("Municipalities"), frozen="C2"),
            tables.Sheet(header, series_rows(stats, area, exact), title=_("Over time"), frozen="C2"),
        ]
    )
