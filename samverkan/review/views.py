from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from samverkan.organisations import policy
from samverkan.organisations.models import Organisation
from samverkan.review import selectors
from samverkan.review.forms import AuditFilterForm

PAGE_SIZE = 50


@login_required
def review(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "audit.review")
    show_access_log = request.GET.get("log") == "access"
    form = AuditFilterForm(
        request.GET or None,
        event_types=selectors.audit_event_types(request.user),
        organisations=Organisation.objects.visible_to(request.user, "organisations.view"),
    )
    filters = selectors.AuditFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.AuditFilter(
            event_type=data["event_type"],
            organisation_id=data["organisation"].pk if data["organisation"] else None,
            actor=data["actor"],
            since=data["since"],
            until=data["until"],
        )
    rows = (
        selectors.access_log_list(request.user, filters)
        if show_access_log
        else selectors.audit_event_list(request.user, filters)
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "review/review.html",
        {"form": form, "page": page, "show_access_log": show_access_log, "query": query.urlencode()},
    )
