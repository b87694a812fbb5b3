"""The API at /api/v1/: session auth for the browser, bearer API keys for systems.

Each app adds its router here; handlers are thin and call the app's selectors and services.

Every error is JSON `{"detail": …}` with the status the operations document (apischema.responses):
the handlers below turn Django's and django-ninja's exceptions into one, invalid input into 422
with its messages per field, a body that cannot be read into 400 (or 413), and anything
unexpected into a logged 500; samverkan/portal/views.py answers Django's own 400, 404 and 500
under /api/ through `error_response` too, also with DJANGO_DEBUG=0."""

from __future__ import annotations

import logging
import math

import orjson
from django.conf import settings
from django.core import signals
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as InvalidInput
from ninja.parser import Parser

from samverkan import apischema
from samverkan.apiauth import ApiKeyAuth, PerAddress, PerKey, VerifiedSessionAuth
from samverkan.capacity.api import router as capacity_router
from samverkan.flow.api import router as flow_router
from samverkan.followup.api import router as followup_router
from samverkan.forecasting.api import router as forecasting_router
from samverkan.meetings.api import router as meetings_router
from samverkan.organisations.api import router as organisations_router
from samverkan.placements.api import router as placements_router
from samverkan.resources.api import router as resources_router
from samverkan.situation.api import router as situation_router

PATH = "/api/"
logger = logging.getLogger("django.request")


class UnreadableBody(ValueError):
    """A request body that is not JSON, or holds text that cannot be stored. The message says why."""


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class StrictJsonParser(Parser):
    """JSON bodies read with orjson, which refuses a lone surrogate (\\ud800 without its pair: not
    text); and refused when any string holds a NUL character. PostgreSQL stores neither, so either
    used to fail as a server error deep in a write."""

    def parse_body(self, request: HttpRequest):
        body = request.body
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as bad:
            raise UnreadableBody(_("The body is not valid JSON text: %(reason)s.") % {"reason": bad}) from None
        if b"\\u0000" in body and _holds_nul(data):
            raise UnreadableBody(_("The body holds a NUL character (\\u0000), which no field accepts."))
        return data


# The API's rate limits: per key (or user) and per client address; samverkan/apiauth.py.
PER_ADDRESS = PerAddress()
api = NinjaAPI(
    title="Samverkan API",
    version="1",
    description="Care transitions between a region and its municipalities. All figures and rules as in the web "
    'interface. Every error is JSON {"detail": …}; invalid input is 422 with the messages per field.',
    urls_namespace="api",
    auth=[ApiKeyAuth(), VerifiedSessionAuth()],
    parser=StrictJsonParser(),
    throttle=[PerKey(), PER_ADDRESS],
)


def error_response(request: HttpRequest, status: int, detail=None) -> HttpResponse:
    """The JSON error every API path answers with; `detail` defaults to the status's message."""
    if detail is None:
        detail = {
            400: _(
                "The request cannot be read: its address holds something no parameter accepts, such as a NUL character."
            ),
            404: "Not found, or not visible to you.",
            500: _("Something went wrong on our side. It has been logged; please try again later."),
        }.get(status, "")
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return error_response(request, 403, "You may not do this with your role.")


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(request, 404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    """Refused requests count against their address's limit too (ninja's throttles run only after
    authentication), so guessing keys from one address is slowed down like any other request."""
    if not PER_ADDRESS.allow_request(request):
        return throttled(request, Throttled(wait=PER_ADDRESS.wait()))
    return error_response(request, 401, "Log in, or send an API key as 'Authorization: Bearer <key>'.")


@api.exception_handler(Throttled)
def throttled(request, exc):
    """Over a rate limit (API_RATE_PER_KEY, API_RATE_PER_IP): 429, and when to try again."""
    seconds = max(math.ceil(exc.wait or 1), 1)
    response = error_response(
        request,
        429,
        ngettext(
            "Too many requests: try again in %(seconds)s second.",
            "Too many requests: try again in %(seconds)s seconds.",
            seconds,
        )
        % {"seconds": seconds},
    )
    response["Retry-After"] = str(seconds)
    return response


@api.exception_handler(ValidationError)
def invalid(request, exc):
    """A service's refusal: its messages per field, or all of them as one message."""
    return error_response(request, 422, exc.message_dict if hasattr(exc, "error_dict") else " ".join(exc.messages))


@api.exception_handler(InvalidInput)
def invalid_input(request, exc):
    return error_response(request, 422, apischema.field_errors(exc.errors))


@api.exception_handler(HttpError)
def http_error(request, exc):
    """django-ninja's own errors; a body it could not parse keeps our parser's reason."""
    if isinstance(exc.__cause__, UnreadableBody):
        return error_response(request, 400, str(exc.__cause__))
    return error_response(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def too_large(request, exc):
    return error_response(
        request,
        413,
        _("The body is larger than %(size)s MB: send fewer items per call.")
        % {"size": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1 << 20):g}"},
    )


@api.exception_handler(SuspiciousOperation)
def suspicious(request, exc):
    return error_response(request, 400)


@api.exception_handler(Exception)
def unexpected(request, exc):
    """A bug, not the client's doing: logged (and signalled, as Django does) and answered 500."""
    logger.error(
        "Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500, "request": request}
    )
    signals.got_request_exception.send(sender=None, request=request)
    return error_response(request, 500)


api.add_router("", organisations_router)
api.add_router("", capacity_router)
api.add_router("", placements_router)
api.add_router("", flow_router)
api.add_router("", resources_router)
api.add_router("", situation_router)
api.add_router("", meetings_router)
api.add_router("", followup_router)
api.add_router("", forecasting_router)
