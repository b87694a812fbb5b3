"""The minutes as a PDF (reportlab) and a Word document (python-docx).

Both print one version's text: the frozen text of a version sent for approval or approved (so
what is printed is what was signed, with the signatures and the fingerprint), or the live draft,
marked as a draft. Labels follow the active language; the text is the minutes' own."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import docx
import reportlab
from django.utils import timezone
from django.utils.translation import gettext as _
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt, RGBColor
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from samverkan.meetings.minutes import content_hash, minutes_content
from samverkan.meetings.models import (
    AttendanceStatus,
    ItemKind,
    Meeting,
    MinutesSignature,
    MinutesStatus,
    MinutesVersion,
)

# Bitstream Vera, shipped with reportlab: Swedish letters, dashes and "§" included.
_FONTS = Path(reportlab.__file__).parent / "fonts"
_REGISTERED: list[bool] = []


def _fonts() -> None:
    if not _REGISTERED:
        pdfmetrics.registerFont(TTFont("Vera", str(_FONTS / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont("Vera-Bold", str(_FONTS / "VeraBd.ttf")))
        pdfmetrics.registerFontFamily("Vera", normal="Vera", bold="Vera-Bold", italic="Vera", boldItalic="Vera-Bold")
        _REGISTERED.append(True)


@dataclass(frozen=True)
class Signature:
    role: str
    name: str
    signed_at: str


@dataclass(frozen=True)
class Printed:
    """What an export prints: a version's text, its state and signatures."""

    content: dict[str, Any]
    number: int
    status: str
    status_label: str
    fingerprint: str
    signatures: list[Signature]
    corrects: int | None
    reason: str

    @property
    def is_draft(self) -> bool:
        return self.status in (MinutesStatus.DRAFT, MinutesStatus.FOR_APPROVAL)


def printed(meeting: Meeting) -> Printed:
    """The version to print: the latest approved one, else the current (draft or for approval)."""
    versions = list(meeting.minutes_versions.order_by("-number"))
    approved = [v for v in versions if v.status == MinutesStatus.APPROVED]
    version: MinutesVersion = approved[0] if approved else versions[0]
    content = version.content if version.content is not None else minutes_content(meeting)
    signatures: list[MinutesSignature] = list(version.signatures.all())
    return Printed(
        content=content,
        number=version.number,
        status=version.status,
        status_label=str(version.get_status_display()),
        fingerprint=version.content_hash or content_hash(content),
        signatures=[
            Signature(
                role=str(s.get_role_display()),
                name=s.signer_label,
                signed_at=timezone.localtime(s.signed_at).strftime("%Y-%m-%d %H:%M"),
            )
            for s in signatures
        ],
        corrects=version.corrects.number if version.corrects else None,
        reason=version.reason,
    )


def _attendance_label(status: str) -> str:
    return str(AttendanceStatus(status).label) if status in AttendanceStatus.values else status


def _kind_label(kind: str) -> str:
    return str(ItemKind(kind).label) if kind in ItemKind.values else kind


def _when(content: dict[str, Any]) -> str:
    ends = content["ends_at"][-5:] if content.get("ends_at") else ""
    return f"{content['starts_at']}{'–' + ends if ends else ''}"


def _facts(content: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [(_("Forum"), content["forum"]), (_("When"), _when(content))]
    if content.get("place"):
        rows.append((_("Place"), content["place"]))
    if content.get("remote_link"):
        rows.append((_("Remote"), content["remote_link"]))
    rows += [(_("Chair"), content.get("chair") or "–"), (_("Minutes checker"), content.get("checker") or "–")]
    return rows


def _state_line(doc: Printed) -> str:
    line = _("Version %(n)s: %(status)s") % {"n": doc.number, "status": doc.status_label}
    if doc.corrects:
        line += " – " + _("corrects version %(n)s: %(reason)s") % {"n": doc.corrects, "reason": doc.reason}
    return line


def _assignment_due(a: dict[str, Any]) -> str:
    parts = [a["due"]] if a.get("due") else []
    if a.get("due_meeting"):
        parts.append(_("by %(m)s") % {"m": a["due_meeting"]})
    return " ".join(parts)


# PDF ------------------------------------------------------------------------------------------


def minutes_pdf(meeting: Meeting) -> bytes:
    _fonts()
    doc = printed(meeting)
    content = doc.content
    base = ParagraphStyle("base", fontName="Vera", fontSize=10, leading=13.5, alignment=TA_LEFT)
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor=colors.HexColor("#444444"))
    h1 = ParagraphStyle("h1", parent=base, fontName="Vera-Bold", fontSize=17, leading=21, spaceAfter=4)
    h2 = ParagraphStyle(
        "h2", parent=base, fontName="Vera-Bold", fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=4
    )
    h3 = ParagraphStyle("h3", parent=base, fontName="Vera-Bold", fontSize=11, leading=14, spaceBefore=8, spaceAfter=2)
    decision = ParagraphStyle(
        "decision", parent=base, leftIndent=8, borderPadding=(2, 2, 2, 6), borderColor=colors.HexColor("#1f4e79")
    )
    draft = ParagraphStyle("draft", parent=h2, textColor=colors.HexColor("#b00020"))

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
        t = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
        style = [
            ("FONT", (0, 0), (-1, -1), "Vera", 9),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        if header:
            style += [
                ("FONT", (0, 0), (-1, 0), "Vera-Bold", 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ]
        t.setStyle(TableStyle(style))
        return t

    width = A4[0] - 40 * mm
    story: list[Any] = [p(_("Minutes"), small), p(content["title"], h1)]
    if doc.is_draft:
        story.append(p(_("DRAFT – not approved"), draft))
    story.append(table([[p(k, small), p(v)] for k, v in _facts(content)], [35 * mm, width - 35 * mm], header=False))
    story.append(p(_state_line(doc), small))

    story.append(p(_("Attendance"), h2))
    rows: list[list[Any]] = [[_("Name"), _("Organisation"), _("Attendance"), _("Substitute for")]]
    rows += [
        [p(a["name"]), p(a["organisation"]), p(_attendance_label(a["status"])), p(a["substitute_for"])]
        for a in content["attendance"]
    ]
    story.append(table(rows, [0.28 * width, 0.28 * width, 0.19 * width, 0.25 * width]))

    story.append(p(_("Agenda and minutes"), h2))
    for item in content["items"]:
        story.append(p(f"§ {item['position']} {item['title']}", h3))
        meta = _kind_label(item["kind"])
        if item.get("presenter"):
            meta += " · " + _("Presenter:") + " " + item["presenter"]
        story.append(p(meta, small))
        if item.get("description"):
            story.append(p(item["description"]))
        if item.get("minutes"):
            story.append(Spacer(1, 3))
            story.append(p(item["minutes"]))
        for d in item["decisions"]:
            story.append(Spacer(1, 3))
            story.append(
                Paragraph(
                    "<b>" + escape(_("Decision § %(n)s:") % {"n": d["number"]}) + "</b> " + escape(d["text"]), decision
                )
            )
        for document in item.get("documents", []):
            story.append(p(f"{document['title']}: {document['url']}", small))

    if content["assignments"]:
        story.append(p(_("Assignments given at this meeting"), h2))
        rows = [[_("Assignment"), _("Owner"), _("Due"), "§"]]
        rows += [
            [p(a["title"]), p(a["owner"]), p(_assignment_due(a)), p(str(a["item"] or ""))]
            for a in content["assignments"]
        ]
        story.append(table(rows, [0.45 * width, 0.27 * width, 0.2 * width, 0.08 * width]))

    story.append(p(_("Approval of the minutes"), h2))
    if doc.signatures:
        for s in doc.signatures:
            story.append(
                p(
                    _("Approved electronically by %(who)s (%(role)s) %(when)s")
                    % {"who": s.name, "role": s.role, "when": s.signed_at}
                )
            )
    else:
        story.append(p(_("Not yet approved.")))
    story.append(p(_("Fingerprint of the text:") + f" {doc.fingerprint}", small))

    buffer = io.BytesIO()
    title = f"{_('Minutes')} – {content['title']}"

    def footer(canvas: Any, pdf: Any) -> None:
        canvas.saveState()
        canvas.setFont("Vera", 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(20 * mm, 12 * mm, f"{content['forum']} · {content['title']}")
        canvas.drawRightString(A4[0] - 20 * mm, 12 * mm, _("Page %(n)s") % {"n": pdf.page})
        canvas.restoreState()

    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=content["forum"],
        subject=_("Minutes"),
    ).build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# Word -----------------------------------------------------------------------------------------


def minutes_docx(meeting: Meeting) -> bytes:
    doc = printed(meeting)
    content = doc.content
    document = docx.Document()
    styles = document.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(10.5)
    document.core_properties.title = f"{_('Minutes')} – {content['title']}"
    document.core_properties.author = content["forum"]

    document.add_paragraph(_("Minutes")).runs[0].font.size = Pt(9)
    document.add_heading(content["title"], level=0)
    if doc.is_draft:
        run = document.add_paragraph().add_run(_("DRAFT – not approved"))
        run.bold = True
        run.font.color.rgb = RGBColor(0xB0, 0x00, 0x20)
    facts = document.add_table(rows=0, cols=2)
    facts.style = "Table Grid"
    for key, value in _facts(content):
        cells = facts.add_row().cells
        cells[0].text, cells[1].text = key, value
        cells[0].paragraphs[0].runs[0].bold = True
    document.add_paragraph(_state_line(doc)).runs[0].font.size = Pt(9)

    def grid(header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        """A table with a header row; `widths` in centimetres (16 in all on A4 with Word's margins)."""
        table = document.add_table(rows=1, cols=len(header))
        table.style = "Light List Accent 1"
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width)
        for row_texts in [header, *rows]:
            cells = table.rows[0].cells if row_texts is header else table.add_row().cells
            for cell, text, width in zip(cells, row_texts, widths, strict=True):
                cell.text = text
                cell.width = Cm(width)

    document.add_heading(_("Attendance"), level=1)
    grid(
        [_("Name"), _("Organisation"), _("Attendance"), _("Substitute for")],
        [
            [a["name"], a["organisation"], _attendance_label(a["status"]), a["substitute_for"]]
            for a in content["attendance"]
        ],
        [4.5, 4.5, 3, 4],
    )

    document.add_heading(_("Agenda and minutes"), level=1)
    for item in content["items"]:
        document.add_heading(f"§ {item['position']} {item['title']}", level=2)
        meta = _kind_label(item["kind"])
        if item.get("presenter"):
            meta += " · " + _("Presenter:") + " " + item["presenter"]
        run = document.add_paragraph().add_run(meta)
        run.italic = True
        run.font.size = Pt(9)
        if item.get("description"):
            document.add_paragraph(item["description"])
        for paragraph in (item.get("minutes") or "").split("\n\n"):
            if paragraph.strip():
                document.add_paragraph(paragraph.strip())
        for d in item["decisions"]:
            decision = document.add_paragraph()
            decision.add_run(_("Decision § %(n)s:") % {"n": d["number"]} + " ").bold = True
            decision.add_run(d["text"])
        for doc_link in item.get("documents", []):
            document.add_paragraph(f"{doc_link['title']}: {doc_link['url']}").runs[0].font.size = Pt(9)

    if content["assignments"]:
        document.add_heading(_("Assignments given at this meeting"), level=1)
        grid(
            [_("Assignment"), _("Owner"), _("Due"), "§"],
            [[a["title"], a["owner"], _assignment_due(a), str(a["item"] or "")] for a in content["assignments"]],
            [7.5, 4, 3.5, 1],
        )

    document.add_heading(_("Approval of the minutes"), level=1)
    for s in doc.signatures:
        document.add_paragraph(
            _("Approved electronically by %(who)s (%(role)s) %(when)s")
            % {"who": s.name, "role": s.role, "when": s.signed_at}
        )
    if not doc.signatures:
        document.add_paragraph(_("Not yet approved."))
    fingerprint = document.add_paragraph(_("Fingerprint of the text:") + f" {doc.fingerprint}")
    fingerprint.runs[0].font.size = Pt(8)
    fingerprint.alignment = WD_ALIGN_PARAGRAPH.LEFT

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
