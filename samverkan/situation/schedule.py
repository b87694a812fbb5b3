"""When a county's situation report is due to be prepared automatically, and preparing the due
ones (`manage.py situation_prepare_due`, from cron or a timer every few minutes).

A county with an enabled schedule is due at its weekday and time (Europe/Stockholm) each week
(moments after the schedule was last saved). At or after that moment, if the county has no report whose figures are as of that moment or
later (a draft or a published one), a draft is prepared as the system: a new one, or the draft
in preparation taken anew (its comments kept). The coordinators and secretaries who prepare the
county's reports are told in the app and by e-mail. Running it again changes nothing."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from samverkan.accounts.models import User
from samverkan.accounts.services import notify
from samverkan.capacity.schedule import LOCAL
from samverkan.organisations import policy
from samverkan.organisations.roles import Role
from samverkan.situation import services
from samverkan.situation.models import SituationReport, SituationSettings


def last_due(schedule: SituationSettings, now: datetime.datetime) -> datetime.datetime:
    """The latest scheduled moment at or before `now`."""
    local_now = now.astimezone(LOCAL)
    days_back = (local_now.weekday() - schedule.weekday) % 7
    day = local_now.date() - datetime.timedelta(days=days_back)
    due = datetime.datetime.combine(day, schedule.time, tzinfo=LOCAL)
    if due > local_now:
        due = datetime.datetime.combine(day - datetime.timedelta(days=7), schedule.time, tzinfo=LOCAL)
    return due


def is_due(schedule: SituationSettings, now: datetime.datetime) -> bool:
    """Whether the last due moment came after the schedule was saved and the county has no report
    with figures as of that moment or later."""
    due = last_due(schedule, now)
    if not schedule.enabled or due < schedule.saved_at:
        return False
    return not SituationReport.objects.filter(county_id=schedule.county_id, as_of__gte=due).exists()


def _preparers(county_code: str) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation__county_id=county_code,
            memberships__role__in=[Role.REGION_COORDINATOR, Role.FORUM_SECRETARY],
        ).distinct()
    )


def prepare_due(now: datetime.datetime | None = None) -> list[SituationReport]:
    """Prepare the draft of every county that is due; the drafts prepared."""
    now = now or timezone.now()
    prepared = []
    for schedule in SituationSettings.objects.filter(enabled=True).select_related("county"):
        if not is_due(schedule, now):
            continue
        try:
            draft = services.report_prepare(county=schedule.county, by=policy.SYSTEM, now=now, automatically=True)
        except services.Conflict:  # pragma: no cover - a draft made at the same moment by hand
            continue
        notify(
            users=_preparers(schedule.county_id),
            text=_("The situation report of %(county)s is prepared as a draft; check it, comment and publish it.")
            % {"county": schedule.county.name},
            url=reverse("situation:detail", kwargs={"report_id": draft.pk}),
            by=policy.SYSTEM,
        )
        prepared.append(draft)
    return prepared
