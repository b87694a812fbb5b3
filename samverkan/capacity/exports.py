"""The county overview as CSV and Excel: the same rows and totals as the page."""

from __future__ import annotations

from django.utils.translation import gettext as _

from samverkan import tables
from samverkan.capacity.schedule import LOCAL
from samverkan.capacity.selectors import Overview
from samverkan.organisations.models import UnitKind


def _header() -> list[str]:
    return [
        _("Municipality code"),
        _("Municipality"),
        _("Unit"),
        _("Kind"),
        _("Physical"),
        _("Staffed"),
        _("Occupied"),
        _("Reserved"),
        _("Free"),
        _("Surge"),
        _("Occupancy rate"),
        _("Open for admission"),
        _("Reported at"),
        _("Stale"),
    ]


def _kind(code: str) -> str:
    """The unit kind in words (\"Korttidsenhet\", not \"short_term\")."""
    return str(UnitKind(code).label) if code in UnitKind.values else code


def _rows(overview: Overview) -> list[list]:
    rows = []
    for group in overview.municipalities:
        for r in group.rows:
            rows.append(
                [
                    r.municipality_code,
                    r.municipality_name,
                    r.unit_name,
                    _kind(r.unit_kind),
                    r.physical,
                    r.staffed,
                    r.occupied,
                    r.reserved,
                    r.free,
                    r.surge,
                    round(r.occupancy_rate, 3) if r.occupancy_rate is not None else None,
                    None if r.open_for_admission is None else (_("yes") if r.open_for_admission else _("no")),
                    r.reported_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if r.reported_at else None,
                    _("yes") if r.stale else _("no"),
                ]
            )
    t = overview.totals
    rows.append(
        [
            "",
            _("County total"),
            "",
            "",
            t.physical,
            t.staffed,
            t.occupied,
            t.reserved,
            t.free,
            t.surge,
            round(t.occupancy_rate, 3) if t.occupancy_rate is not None else None,
            "",
            "",
            "",
        ]
    )
    return rows


def overview_csv(overview: Overview) -> str:
    return tables.csv_text(_header(), _rows(overview))


def overview_xlsx(overview: Overview) -> bytes:
    return tables.xlsx_bytes([tables.Sheet(_header(), _rows(overview), title=_("Capacity"), frozen="A2")])
