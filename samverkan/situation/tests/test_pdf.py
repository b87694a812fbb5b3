"""The report as a PDF: generated from the same figures as the page, for members (exact) and on
the public page (small counts hidden). Its pages were rendered to images and looked at."""

from __future__ import annotations

import datetime
import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from samverkan.capacity.tests.helpers import at, local, report
from samverkan.situation import services
from samverkan.situation.pdf import report_pdf
from samverkan.situation.presentation import report_view
from samverkan.situation.services import FigureInput
from samverkan.testing import login

pytestmark = pytest.mark.django_db

NOW = local(2026, 4, 17, 9, 0)


@pytest.fixture
def published(world):
    report(world.lunden, world.lunden_staff, when=local(2026, 4, 17, 8), physical=40, staffed=34, occupied=17)
    report(world.avesta_unit, world.avesta_coordinator, when=local(2026, 4, 17, 8), staffed=10, occupied=7)
    with at(NOW):
        services.figures_record(
            county_code="20",
            items=[
                *(FigureInput(datetime.date(2026, 4, 17) - datetime.timedelta(days=n), "covid_ward", 66 - n)
                  for n in range(14)),
                FigureInput(datetime.date(2026, 4, 17), "confirmed_cases", 564),
                FigureInput(datetime.date(2026, 4, 17), "deaths", 3),
            ],
            source="form",
            by=world.region_coordinator,
        )  # fmt: skip
        draft = services.report_prepare(county=world.region.county, by=world.forum_secretary)
        services.report_comment(
            report=draft,
            comments={
                "capacity": "Lunden kan växa till 40 platser – från 1 juni.",
                "flow": "Jåhkåmåhkke och Čohkkiras: ŋ, đ, ŧ, ž; −3 sedan i fredags.",
            },
            by=world.forum_secretary,
        )
        return services.report_publish(report=draft, by=world.forum_secretary)


def _pdf(report, *, public: bool) -> bytes:
    return report_pdf(
        report_view(report, public=public), county_name="Dalarnas län", title="Lägesbild 1", compress=False
    )


def _text(content: bytes) -> str:
    """The PDF's text as a reader copies it (through the embedded fonts' Unicode maps)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_carries_the_report(published):
    content = _pdf(published, public=False)
    if folder := os.environ.get("SAMVERKAN_SCREENSHOTS"):  # to render and look at: pdftoppm -png
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "situation-report.pdf").write_bytes(content)
        (Path(folder) / "situation-report-public.pdf").write_bytes(_pdf(published, public=True))
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    text = _text(content)
    for shown in ("Lägesbild 1", "Capacity and free places", "Lunden kan växa till 40 platser – från 1 juni.",
                  "Avlidna", "564", "Falun", "Avesta", "Equipment and supplies"):  # fmt: skip
        assert shown in text, shown
    assert "Avlidna 3 2026-04-17" in text  # members see the exact count of deaths
    assert len(PdfReader(io.BytesIO(content)).pages) >= 2


def test_every_letter_is_written_as_typed_in_an_embedded_font(published):
    """Swedish and Sámi letters, dashes and the minus sign come out as they went in (no "?" or
    "-" stand-ins), drawn by the embedded DejaVu Sans, not by whatever font a viewer has."""
    content = _pdf(published, public=False)
    assert "Jåhkåmåhkke och Čohkkiras: ŋ, đ, ŧ, ž; −3 sedan i fredags." in _text(content)
    assert b"/FontFile2" in content and b"DejaVuSans" in content
    assert b"/Helvetica" not in content


def test_the_public_pdf_hides_small_counts(published):
    assert "<5" in _text(_pdf(published, public=True)) and "<5" not in _text(_pdf(published, public=False))


def test_pdf_downloads(published, world, client):
    login(client, world.viewer)
    response = client.get(f"/lagesbild/{published.pk}/data.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    services.settings_save(
        county=world.region.county, enabled=False, weekday=3, time=datetime.time(7), public=True, by=world.admin
    )
    client.logout()
    public = client.get(f"/lagesbild/offentlig/20/{published.number}/data.pdf")
    assert public.status_code == 200 and public.content.startswith(b"%PDF-")
