"""The PDFs of a statement (counted now and issued) and of the indicator report: real PDF files
whose text holds the lines and totals. (They were also rendered to images and looked at.)"""

from __future__ import annotations

import datetime
import re
import zlib
from decimal import Decimal

import pytest

from samverkan.followup import services
from samverkan.followup.pdf import Document
from samverkan.organisations.models import Municipality
from samverkan.testing import login

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    """The text a PDF written by followup.pdf shows: its strings, page by page."""
    assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
    strings = []
    for stream in re.findall(rb"stream\n(.*?)\nendstream", content, re.S):
        for found in re.findall(rb"\((.*?)(?<!\\)\) Tj", zlib.decompress(stream)):
            strings.append(found.replace(b"\\(", b"(").replace(b"\\)", b")").replace(b"\\\\", b"\\").decode("cp1252"))
    return " ".join(" ".join(strings).split())


def _issue_falun_march(world):
    return services.statement_issue(
        municipality=Municipality.objects.get(code="2080"),
        year=2023,
        month=3,
        by=world.region_coordinator,
        today=datetime.date(2023, 4, 5),
    )


def test_document_pages_and_letters():
    document = Document("Underlag – Västerås")
    document.table(["Källid", "Belopp"], [[f"R{n}", "1,00"] for n in range(150)], [0.5, 0.5], {1})
    text = pdf_text(document.render())
    assert "Underlag – Västerås" in text and "R149" in text
    assert "1 / 3" in text and "3 / 3" in text  # 150 rows: three pages, each with its header
    assert text.count("Källid") == 3


def test_statement_pdfs(client, world, march):
    login(client, world.region_coordinator)
    client.cookies["django_language"] = "en"
    response = client.get("/uppfoljning/underlag/2080/?month=2023-03&format=pdf")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Liability statement – Falun, March 2023" in text
    assert "F1" in text and "F2" in text and "F3" in text and "31,500.00" in text
    assert "Not liable: the municipality got no admission notice" in text

    statement = _issue_falun_march(world)
    text = pdf_text(client.get(f"/uppfoljning/utfardade/{statement.pk}/?format=pdf").content)
    assert "Statement no. 1 – Falun, March 2023" in text and "2023-03-09 – 2023-03-10" in text
    assert "31,500.00" in text and statement.amount == Decimal("31500.00")


def test_indicator_report_pdf(client, world, march):
    login(client, world.forum_secretary)
    client.cookies["django_language"] = "en"
    response = client.get("/uppfoljning/indikatorer/?county=20&month=2023-03&format=pdf")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Discharge follow-up – Dalarnas län, March 2023" in text or "Discharge follow-up – " in text
    assert "Indicators against targets" in text and "Share readmitted within 30 days" in text
    assert "22-04" in text and "23-03" in text  # the twelve months of the trend


def test_the_report_pdf_has_a_chart_per_indicator_with_its_target(client, world, march):
    """One chart per indicator: its title, the months' values drawn as a line with a point each
    (a filled square per month with a value) and the target as a dashed line where one is set.
    In Swedish the PDF keeps å, ä and ö (WinAnsi). (Rendered with pdftoppm and looked at.)"""
    services.indicator_target_set(
        county=world.region.county,
        indicator="same_day_share",
        valid_from=datetime.date(2022, 1, 1),
        target=Decimal("40"),
        by=world.region_coordinator,
    )
    login(client, world.forum_secretary)
    content = client.get("/uppfoljning/indikatorer/?county=20&month=2023-03&format=pdf").content
    text = pdf_text(content)
    streams = b"\n".join(zlib.decompress(s) for s in re.findall(rb"stream\n(.*?)\nendstream", content, re.S))
    assert text.count("Andel utskrivna samma dag som utskrivningsklara (%)") >= 2  # targets table and chart title
    assert (
        "Diagram" in text and "Betalningsansvar (tkr)" in text and "Uppföljning av utskrivningar – Dalarnas län" in text
    )
    assert streams.count(b"[3 2] 0 d") == 1  # one target: one dashed line
    points = streams.count(b" re f")
    assert points >= 10  # every indicator has at least March 2023's value drawn


def test_a_word_wider_than_its_column_is_broken_with_a_hyphen_and_kept_whole():
    from samverkan.followup.pdf import _wrap, text_width

    lines = _wrap("Dagar med betalningsansvar", 40, 8)
    assert lines[:1] == ["Dagar med"] and all(text_width(line, 8) <= 40 for line in lines)
    assert all(line.endswith("-") for line in lines[1:-1])
    assert "".join(line.removesuffix("-") for line in lines[1:]) == "betalningsansvar"


def test_the_swedish_statement_headers_break_between_words_only(client, world, march):
    """Each column gives its header's longest word room: a header once read "betalningsan svar"."""
    login(client, world.region_coordinator)
    client.cookies["django_language"] = "sv"
    counted = pdf_text(client.get("/uppfoljning/underlag/2080/?month=2023-03&format=pdf").content)
    statement = _issue_falun_march(world)
    issued = pdf_text(client.get(f"/uppfoljning/utfardade/{statement.pk}/?format=pdf").content)
    for text in (counted, issued):
        assert "betalningsansvar" in text and not re.search(r"\w- \w", text), text
