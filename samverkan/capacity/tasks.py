"""Background work for capacity, run by the task worker (`manage.py db_worker`)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from samverkan.capacity import schedule as sched
from samverkan.capacity import selectors
from samverkan.organisations import policy
from samverkan.organisations.models import County, Membership, Unit
from samverkan.organisations.roles import Role


@task()
def send_overdue_reminders(county_code: str) -> int:
    """E-mail the staff and coordinators of every unit in the county whose report is overdue.
    Returns the number of e-mails sent."""
    with translation.override(settings.LANGUAGE_CODE):
        schedule = selectors.schedule_for(County.objects.get(code=county_code))
        now = timezone.now()
        due = sched.last_due(now, sched.Rule.of(schedule))
        # Only on a reporting day, once its due time has passed.
        if not schedule.reminders_enabled or due is None or due.date() != now.astimezone(sched.LOCAL).date():
            return 0
        overview = selectors.county_overview(policy.SYSTEM, county_code, now=now)
        overdue = [row for row in overview.rows if row.stale]
        if not overdue:
            return 0
        unit_ids = {row.unit_id for row in overdue}
        recipients: dict[int, set[str]] = {row.unit_id: set() for row in overdue}
        memberships = Membership.objects.filter(user__is_active=True).select_related("user", "unit")
        for m in memberships.filter(role=Role.UNIT_STAFF, unit_id__in=unit_ids):
            if m.unit_id is not None:
                recipients[m.unit_id].add(m.user.email)
        by_organisation: dict[int, set[str]] = {}
        for organisation_id, email in (
            memberships.filter(role=Role.MUNICIPAL_COORDINATOR, organisation__units__in=unit_ids)
            .values_list("organisation_id", "user__email")
            .distinct()
        ):
            by_organisation.setdefault(organisation_id, set()).add(email)
        units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids)}
        mails = []
        for row in overdue:
            unit = units[row.unit_id]
            to = sorted(recipients[row.unit_id] | by_organisation.get(unit.organisation_id, set()))
            if not to:
                continue
            link = settings.SITE_URL.rstrip("/") + reverse("capacity:report", kwargs={"unit_id": unit.pk})
            subject = _("Samverkan: %(unit)s has no current capacity report") % {"unit": unit.name}
            body = _(
                "The report for %(unit)s was due by %(time)s. Report the unit's places here:\n\n%(link)s\n\n"
                "The county overview shows the unit as stale until a new report arrives."
            ) % {"unit": unit.name, "time": schedule.due_time.strftime("%H:%M"), "link": link}
            mails.append((subject, body, settings.DEFAULT_FROM_EMAIL, to))
        send_mass_mail(mails, fail_silently=False)
        return len(mails)
