import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the source language), whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client, settings):
    """A browser that chose English with the language switch."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
