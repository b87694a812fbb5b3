import pytest
from django.utils import translation

from samverkan.flow.imports import source_for
from samverkan.flow.models import Source


@pytest.fixture
def source(db) -> Source:
    """Region Dalarna's hospital system."""
    return source_for("20", "Cosmic")


@pytest.fixture(autouse=True)
def english_messages():
    """Import errors are written in the importer's language; these tests read them in English."""
    with translation.override("en"):
        yield
