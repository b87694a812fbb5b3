"""Printable PDFs of a statement and of the indicator report: text, tables and small line charts on
A4 pages in the PDF's built-in Helvetica (WinAnsi encoding, which holds the Swedish letters å, ä,
ö), written out here without a PDF library. Every page carries the document's title and its page
number."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 42
LEADING = 12
# Characters Windows-1252 lacks, written as the nearest it has.
REPLACEMENTS = str.maketrans({"≤": "<=", "≥": ">=", "→": "->", "−": "-", "\u00a0": " ", "\u202f": " "})
# Helvetica's widths (per 1 000 of the font size) of the characters tables use most; others 556.
_NARROW = dict.fromkeys(" .,:;!|il'", 278) | dict.fromkeys("()-rtf[]", 333) | dict.fromkeys("ijl", 222)
_WIDE = dict.fromkeys("ABEKPSVXY", 667) | dict.fromkeys("CDHNRUw", 722) | dict.fromkeys("mM", 833) | {"W": 944}


def text_width(text: str, size: float) -> float:
    return sum(_NARROW.get(c, _WIDE.get(c, 556)) for c in text) * size / 1000


def _escape(text: str) -> bytes:
    encoded = text.translate(REPLACEMENTS).encode("cp1252", errors="replace")
    return encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrap(text: str, width: float, size: float) -> list[str]:
    """`text` in lines that fit `width` points, broken between words; a word wider than a line is
    broken where it must, with a hyphen, so that nothing is ever cut off."""
    pieces: list[str] = []
    for word in text.split(" "):
        while text_width(word, size) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and text_width(word[:cut] + "-", size) > width:
                cut -= 1
            pieces.append(word[:cut] + "-")
            word = word[cut:]
        pieces.append(word)
    lines: list[str] = []
    line = ""
    for piece in pieces:
        candidate = f"{line} {piece}" if line else piece
        if text_width(candidate, size) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = piece
    lines.append(line)
    return lines


@dataclass(frozen=True)
class Chart:
    """One indicator's months for `Document.charts`: labels (e.g. "24-03"), values and targets (None: none)."""

    title: str
    labels: list[str]
    values: list[float | None]
    targets: list[float | None]
    empty: str = ""  # written across the plot when no month has a value


def _number(value: float) -> str:
    """An axis value, short: 12 000 as 12 000, 0.5 as 0,5 (Swedish-style, in the PDF's letters)."""
    if value >= 100 or value == int(value):
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.1f}".replace(".", ",")


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _polyline(points: list[tuple[float, float] | None]) -> list[bytes]:
    """Path commands for the points, broken where a point is missing."""
    commands, drawing = [], False
    for point in points:
        if point is None:
            drawing = False
            continue
        commands.append(b"%.1f %.1f %s" % (point[0], point[1], b"l" if drawing else b"m"))
        drawing = True
    return commands


def _chart_commands(chart: Chart, x: float, y: float, width: float, height: float) -> list[bytes]:
    """A chart in the box with lower left (x, y); the title above the plot, axis labels beside it."""
    plot_left, plot_bottom = x + 34, y + 16
    plot_width, plot_height = width - 40, height - 34
    known = [v for v in chart.values + chart.targets if v is not None]
    top = _nice_top(max(known, default=0))
    count = max(len(chart.labels), 1)

    def at(index: int, value: float) -> tuple[float, float]:
        return (
            plot_left + plot_width * (index + 0.5) / count,
            plot_bottom + plot_height * max(0.0, value) / top,
        )

    def text(left: float, base: float, words: str, size: float, bold: bool = False) -> bytes:
        font = b"F2" if bold else b"F1"
        return b"BT /" + font + b" %.1f Tf %.1f %.1f Td (" % (size, left, base) + _escape(words) + b") Tj ET"

    title = _wrap(chart.title, width, 8)[0]
    commands = [
        text(x, y + height - 8, title, 8, bold=True),
        b"q 0.5 w 0.75 G",
        *[
            b"%.1f %.1f m %.1f %.1f l S"
            % (plot_left, plot_bottom + plot_height * i / 2, plot_left + plot_width, plot_bottom + plot_height * i / 2)
            for i in range(3)
        ],
        b"Q",
        text(x, plot_bottom - 2, "0", 6),
        text(x, plot_bottom + plot_height / 2 - 2, _number(top / 2), 6),
        text(x, plot_bottom + plot_height - 2, _number(top), 6),
    ]
    for index, label in enumerate(chart.labels):
        if (count - 1 - index) % 2 == 0:  # every other month, the last always
            left = at(index, 0)[0] - text_width(label, 6) / 2
            commands.append(text(left, y + 4, label, 6))
    targets = [at(i, v) if v is not None else None for i, v in enumerate(chart.targets)]
    if any(targets):
        commands += [b"q 1 w 0.80 0.35 0.10 RG [3 2] 0 d", *_polyline(targets), b"S Q"]
    values = [at(i, v) if v is not None else None for i, v in enumerate(chart.values)]
    commands += [b"q 1.4 w 0.05 0.30 0.60 RG", *_polyline(values), b"S Q", b"q 0.05 0.30 0.60 rg"]
    commands += [b"%.1f %.1f 2.4 2.4 re f" % (p[0] - 1.2, p[1] - 1.2) for p in values if p is not None]
    commands.append(b"Q")
    if chart.empty and not any(v is not None for v in chart.values):
        left = plot_left + (plot_width - text_width(chart.empty, 7)) / 2
        commands.append(text(left, plot_bottom + plot_height * 0.7, chart.empty, 7))
    return commands


@dataclass
class Document:
    title: str
    pages: list[list[bytes]] = field(default_factory=list)
    y: float = 0
    header: list[str] | None = None  # the header of the table being written (again on each page)
    table_size: float = 8  # the size of its letters

    def _page(self) -> list[bytes]:
        if not self.pages or self.y < MARGIN + LEADING:
            self.pages.append([])
            self.y = PAGE_HEIGHT - MARGIN - 18
        return self.pages[-1]

    def _text(self, x: float, text: str, size: float = 9, bold: bool = False) -> None:
        font = b"F2" if bold else b"F1"
        self._page().append(
            b"BT /" + font + b" %.1f Tf %.1f %.1f Td (" % (size, x, self.y) + _escape(text) + b") Tj ET"
        )

    def heading(self, text: str) -> None:
        self.y -= 6
        self._page()
        self._text(MARGIN, text, 12, bold=True)
        self.y -= LEADING + 6

    def paragraph(self, text: str, size: float = 9) -> None:
        """A paragraph wrapped at the page's width."""
        words, line = text.split(), ""
        for word in words:
            candidate = f"{line} {word}".strip()
            if text_width(candidate, size) > PAGE_WIDTH - 2 * MARGIN and line:
                self._page()
                self._text(MARGIN, line, size)
                self.y -= LEADING
                line = word
            else:
                line = candidate
        if line:
            self._page()
            self._text(MARGIN, line, size)
            self.y -= LEADING
        self.y -= 4

    def table(
        self, header: list[str], rows: list[list[str]], widths: list[float], right: set[int], size: float = 8
    ) -> None:
        """A table: columns of `widths` (fractions of the page's width), right-aligned where
        their index is in `right`, in letters of `size` points; the header again on every new page."""
        total = PAGE_WIDTH - 2 * MARGIN
        starts, x = [], float(MARGIN)
        for w in widths:
            starts.append(x)
            x += w * total

        self._page()
        self.header, self.table_size = header, size
        self._row(header, starts, widths, total, right, True)
        for cells in rows:
            self._row(cells, starts, widths, total, right, cells[:1] != [] and cells[0].startswith("∑"))
        self.header = None
        self.y -= 6

    def _row(self, cells, starts, widths, total, right, bold) -> None:
        """One table row; a cell too wide for its column wraps onto more lines."""
        size = self.table_size
        wrapped = [_wrap(cell.lstrip("∑"), w * total - 4, size) for cell, w in zip(cells, widths, strict=True)]
        height = max((len(lines) for lines in wrapped), default=1)
        if self.y - (height - 1) * LEADING < MARGIN + LEADING or self.y < MARGIN + LEADING:
            self.y = 0  # a new page for the whole row, the table's header first
            self._page()
            if self.header is not None and cells is not self.header:
                self._row(self.header, starts, widths, total, right, True)
        top = self.y
        for index, (lines, x, w) in enumerate(zip(wrapped, starts, widths, strict=True)):
            self.y = top
            for text in lines:
                left = x + w * total - 4 - text_width(text, size) if index in right else x
                self._text(left, text, size, bold)
                self.y -= LEADING
        self.y = top - height * LEADING

    def charts(self, charts: list[Chart]) -> None:
        """Small line charts, two to a row (a new page when a row does not fit): each with its
        title, a y axis from zero with its top value, the months' values as a solid line with
        points, and the target (where there is one) as a dashed line."""
        gap = 18
        width = (PAGE_WIDTH - 2 * MARGIN - gap) / 2
        height = 118
        for start in range(0, len(charts), 2):
            if self.y - height < MARGIN + LEADING:
                self.y = 0
            page = self._page()
            for column, chart in enumerate(charts[start : start + 2]):
                page.extend(_chart_commands(chart, MARGIN + column * (width + gap), self.y - height, width, height))
            self.y -= height + 10

    def render(self) -> bytes:
        """The PDF file."""
        count = max(1, len(self.pages))
        objects: list[bytes] = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"",  # the page tree, once the pages' numbers are known
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        ]
        kids = []
        for number, commands in enumerate(self.pages or [[]], start=1):
            header = [
                b"BT /F2 10 Tf %d %d Td (" % (MARGIN, PAGE_HEIGHT - MARGIN) + _escape(self.title) + b") Tj ET",
                b"BT /F1 8 Tf %d %d Td (" % (PAGE_WIDTH - MARGIN - 40, MARGIN - 20)
                + _escape(f"{number} / {count}")
                + b") Tj ET",
            ]
            stream = zlib.compress(b"\n".join(header + commands))
            objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
            objects.append(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] " % (PAGE_WIDTH, PAGE_HEIGHT)
                + b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>" % (len(objects))
            )
            kids.append(len(objects))
        objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
            b" ".join(b"%d 0 R" % k for k in kids),
            len(kids),
        )
        out = bytearray(b"%PDF-1.4\n%\xe5\xe4\xf6\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
        return bytes(out)
