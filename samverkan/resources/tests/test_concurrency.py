"""Two approvals cannot lend the same item twice: threads approving at once (each with its own
database connection) on either database, two app server processes on PostgreSQL, and the
database's own guard (one open loan per item) when the service's check is bypassed.

The data must be committed for other connections to see it, hence transactional tests."""

from __future__ import annotations

import datetime
import json
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.utils import load_backend

from samverkan.accounts.models import ApiKeyRole, User
from samverkan.accounts.services import api_key_create
from samverkan.organisations import policy
from samverkan.resources import services
from samverkan.resources.models import EquipmentItem, ItemStatus, Loan, LoanStatus
from samverkan.resources.tests.helpers import make_items, make_request
from samverkan.testing import app_servers, database_for_threads, database_url, post_simultaneously


@pytest.mark.django_db(transaction=True)
def test_approvals_at_once_lend_an_item_only_once(world, tmp_path):
    """Eight requests, each approved at the same moment with the same two items: one approval
    lends them, the others are told the items are no longer available."""
    items = make_items(world, 2)
    requests = [make_request(world, quantity=2) for _ in range(8)]
    barrier = threading.Barrier(len(requests), timeout=30)
    outcomes: list[str] = []

    def approve(request_id: int, settings_dict: dict) -> None:
        own = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
        connections["default"] = own
        try:
            request = services.LoanRequest.objects.get(pk=request_id)
            lender = User.objects.get(pk=world.region_coordinator.pk)
            chosen = list(EquipmentItem.objects.filter(pk__in=[i.pk for i in items]))
            barrier.wait()
            services.loan_request_approve(request=request, items=chosen, by=lender)
            outcomes.append("lent")
        except services.Conflict:
            outcomes.append("conflict")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(repr(error))
        finally:
            own.close()

    with database_for_threads(tmp_path) as settings_dict:
        threads = [threading.Thread(target=approve, args=(r.pk, settings_dict)) for r in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["conflict"] * 7 + ["lent"]
        assert Loan.objects.count() == 2
        assert services.LoanRequest.objects.filter(status=LoanStatus.LENT).count() == 1
        assert services.LoanRequest.objects.filter(status=LoanStatus.REQUESTED).count() == 7
        assert set(EquipmentItem.objects.values_list("status", flat=True)) == {ItemStatus.ON_LOAN}


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_loan_of_an_item(world):
    item = make_items(world, 1)[0]
    first, second = make_request(world), make_request(world)
    services.loan_request_approve(request=first, items=[item], by=world.region_coordinator)
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.create(
            request=second, item=item, unit=second.unit, starts_on=second.needed_from, due_on=second.needed_until
        )
    # Once returned, the item may be lent again.
    services.loan_return(loan=first.loans.get(), by=world.region_coordinator, condition="ok")
    services.loan_request_approve(request=second, items=[item], by=world.region_coordinator)
    assert Loan.objects.filter(item=item).count() == 2
    assert Loan.objects.filter(item=item, returned_at__isnull=True).get().request == second


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: two app server processes cannot share the test suite's SQLite database",
)
@pytest.mark.django_db(transaction=True)
def test_two_app_servers_approving_at_once_lend_once(world):
    items = make_items(world, 3)
    requests = [
        make_request(world, quantity=3, first=datetime.date(2030, 3, 4) + datetime.timedelta(days=i)) for i in range(20)
    ]
    key = api_key_create(
        organisation=world.region, name="System", role=ApiKeyRole.REGION_COORDINATOR, by=policy.SYSTEM
    )[1]
    body = json.dumps({"items": [item.pk for item in items]}).encode()
    with app_servers(database_url(connection.settings_dict), count=2, threads=6) as servers:
        burst = post_simultaneously(
            [
                (
                    servers[i % 2],
                    f"/api/v1/resources/loan-requests/{request.pk}/approve",
                    {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                )
                for i, request in enumerate(requests)
            ],
            body=body,
        )
    assert burst.others(200, 409) == [], burst.others(200, 409)
    assert (burst.count(200), burst.count(409)) == (1, 19)
    assert Loan.objects.count() == 3
