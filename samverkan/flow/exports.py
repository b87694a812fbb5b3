"""The statistics page's figures as CSV and Excel: the same cells as the page, small counts hidden
the same way for those without an exact-count role."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

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
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header(stats))
    for row in municipality_rows(stats, exact) + series_rows(stats, area, exact):
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def statistics_xlsx(stats: Statistics, area: Area, *, exact: bool) -> bytes:
    """Two sheets: the municipalities with the county total, and `area` per bucket."""
    workbook = Workbook()
    sheets = [
        (workbook.active, _("Municipalities"), municipality_rows(stats, exact)),
        (workbook.create_sheet(), _("Over time"), series_rows(stats, area, exact)),
    ]
    for sheet, title, rows in sheets:
        sheet.title = title[:31]
        sheet.append(_header(stats))
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "C2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
