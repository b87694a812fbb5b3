"""Background work for discharge follow-up, run by the task worker (`manage.py db_worker`)."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from samverkan.followup import monthly


@task()
def month_figures_build(county_code: str) -> int:
    """Store the county's monthly figures that are missing or stale (followup/monthly.py); returns
    the number of months stored."""
    return monthly.build(county_code)


def build_later(county_code: str) -> None:
    """Queue `month_figures_build` for the county once the caller's transaction has committed."""
    transaction.on_commit(lambda: month_figures_build.enqueue(county_code=county_code))
