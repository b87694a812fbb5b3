"""schemathesis over the API's OpenAPI schema: every operation called with generated input, valid
and invalid (extreme numbers and dates, odd text, missing and extra fields, wrong methods), through
the whole Django stack in process, as an API key of Region Dalarna's region coordinator (the widest
rights a key has). No answer may be a server error, an answer the operation does not document, or
one that does not fit its documented schema and content type (issue 17, finding 5).

Deterministic (derandomized), with a bounded number of examples per operation: the default run
takes a minute or two; `make test-all` adds a larger one (marked slow)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from samverkan.accounts.services import api_key_create
from samverkan.api import api
from samverkan.organisations import policy

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BOUNDED = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def app(db):
    """The project's WSGI application, called in the test's database transaction: Django's request
    signals would otherwise close the connection after each request, as the test client avoids too."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def region_key(world) -> dict[str, str]:
    _key, raw = api_key_create(
        organisation=world.region, name="schemathesis", role="region_coordinator", by=policy.SYSTEM
    )
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@BOUNDED
def test_every_operation_answers_as_documented(case, app, region_key):
    case.call_and_validate(app=app, headers=region_key, checks=CHECKS)


@pytest.mark.slow
@schema.parametrize()
@settings(BOUNDED, max_examples=300)
def test_every_operation_answers_as_documented_with_more_examples(case, app, region_key):
    case.call_and_validate(app=app, headers=region_key, checks=CHECKS)
