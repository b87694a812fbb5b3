import pytest

from samverkan.flow.imports import source_for
from samverkan.flow.models import Source


@pytest.fixture
def source(db) -> Source:
    """Region Dalarna's hospital system."""
    return source_for("20", "Cosmic")
