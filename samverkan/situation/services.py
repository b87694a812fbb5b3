"""Writes for the situation report: indicators, epidemiology figures, and the report's way from
draft to published. Every write is atomic and audited in its transaction; `by` is the acting
principal. A published report is never changed (models.SituationReport.save refuses too); a
correction is a new draft with the same number and the next version."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from samverkan import limits
from samverkan.accounts.models import User
from samverkan.audit.services import audit_record
from samverkan.capacity.schedule import LOCAL
from samverkan.flow.pseudonyms import PERSONNUMMER_LIKE
from samverkan.organisations import policy
from samverkan.organisations.models import County, Membership, Organisation
from samverkan.situation import compose
from samverkan.situation.models import (
    MAX_FIGURE,
    SECTIONS,
    STANDARD_INDICATORS,
    EpidemiologyFigure,
    FigureSource,
    Indicator,
    ReportDelivery,
    ReportStatus,
    SituationReport,
    SituationSettings,
    Subscription,
)

CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_COMMENT = 2000


class Conflict(Exception):
    """The report is not in a state that allows this (the message says why)."""


def _person(by: policy.Principal) -> User | None:
    return by if isinstance(by, User) else None


# Indicators -----------------------------------------------------------------------------------


def indicators_for(county_code: str) -> list[Indicator]:
    """The county's indicators, the four standard ones created the first time they are asked for
    (reference rows, like the escalation plan's default steps)."""
    indicators = list(Indicator.objects.filter(county_id=county_code).order_by("order", "name"))
    if any(indicator.standard for indicator in indicators):
        return indicators
    with transaction.atomic():
        for order, (code, name) in enumerate(STANDARD_INDICATORS, start=1):
            Indicator.objects.get_or_create(
                county_id=county_code, code=code, defaults={"name": name, "order": order, "standard": True}
            )
    return list(Indicator.objects.filter(county_id=county_code).order_by("order", "name"))


def indicator_create(*, county: County, code: str, name: str, by: policy.Principal) -> Indicator:
    """A further indicator the county follows (influenza, RS, …)."""
    policy.require(by, "situation.manage_indicators", policy.Place(county=county.code))
    code, name = (code or "").strip(), (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not CODE.match(code):
        errors["code"] = [_("Use 1–40 lower-case letters, digits and _, starting with a letter.")]
    elif Indicator.objects.filter(county=county, code=code).exists():
        errors["code"] = [_("The county already has an indicator with this code.")]
    if not name or len(name) > 100:
        errors["name"] = [_("Give a name of at most 100 characters.")]
    if errors:
        raise ValidationError(errors)
    indicators_for(county.code)
    with transaction.atomic():
        order = (Indicator.objects.filter(county=county).aggregate(m=Max("order"))["m"] or 0) + 1
        indicator = Indicator.objects.create(county=county, code=code, name=name, order=order)
        audit_record(
            by=by,
            event_type="situation.indicator_created",
            obj=indicator,
            after={"county": county.code, "code": code, "name": name},
        )
    return indicator


# Epidemiology figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureInput:
    """One value to record. Messages name where it came from: a file's `row` and column, else
    "<label>.<field>" (an API list's index), else the field."""

    date: datetime.date | None
    indicator: str
    value: int | None
    label: str = ""
    row: int | None = None


def _key(item: FigureInput, field: str) -> str:
    if item.row is not None:
        return _("row %(row)d, column %(column)s") % {
            "row": item.row,
            "column": "date" if field == "date" else item.indicator,
        }
    return f"{item.label}.{field}" if item.label else field


def figures_record(
    *, county_code: str, items: list[FigureInput], source: str, by: policy.Principal
) -> list[EpidemiologyFigure]:
    """Record epidemiology figures of a county, all or nothing: every item is checked first
    (ValidationError with a message per item and field, keyed "<label>.<field>"), then each is
    created or replaces the same indicator's figure of that day, audited with before and after."""
    policy.require(by, "situation.report_epidemiology", policy.Place(county=county_code))
    if source not in FigureSource.values:
        raise ValueError(f"unknown source {source!r}")
    indicators = {indicator.code: indicator for indicator in indicators_for(county_code)}
    today = timezone.now().astimezone(LOCAL).date()
    errors: dict[str, list[str]] = {}
    seen: dict[tuple[str, datetime.date], str] = {}
    for item in items:
        if item.indicator not in indicators:
            errors.setdefault(_key(item, "indicator"), []).append(
                _("Unknown indicator %(code)s; the county's indicators are %(codes)s.")
                % {"code": item.indicator, "codes": ", ".join(indicators)}
            )
        if item.date is None:
            errors.setdefault(_key(item, "date"), []).append(_("Give a date (YYYY-MM-DD)."))
        elif not limits.date_in_range(item.date):
            errors.setdefault(_key(item, "date"), []).append(limits.date_range_message())
        elif item.date > today:
            errors.setdefault(_key(item, "date"), []).append(_("The date is in the future."))
        if item.value is None or item.value < 0 or item.value > MAX_FIGURE:
            errors.setdefault(_key(item, "value"), []).append(
                _("Give a whole number from 0 to %(max)d.") % {"max": MAX_FIGURE}
            )
        if item.date is not None and item.indicator in indicators:
            where = _("row %(row)d") % {"row": item.row} if item.row is not None else item.label
            earlier = seen.setdefault((item.indicator, item.date), where)
            if earlier != where:
                errors.setdefault(_key(item, "date"), []).append(
                    _("%(code)s on %(date)s is given twice (also in %(other)s).")
                    % {"code": item.indicator, "date": item.date.isoformat(), "other": earlier}
                )
    if errors:
        raise ValidationError(errors)
    recorded = []
    now = timezone.now()
    with transaction.atomic():
        for item in items:
            if item.date is None or item.value is None:  # pragma: no cover - refused above
                raise ValueError(item)
            indicator = indicators[item.indicator]
            existing = (
                EpidemiologyFigure.objects.select_for_update().filter(indicator=indicator, date=item.date).first()
            )
            if existing is not None and existing.value == item.value:
                recorded.append(existing)
                continue
            before = {"value": existing.value} if existing is not None else None
            figure = existing or EpidemiologyFigure(indicator=indicator, date=item.date)
            figure.value = item.value
            figure.source = source
            figure.entered_by = _person(by)
            figure.entered_at = now
            figure.save()
            audit_record(
                by=by,
                event_type="situation.figure_recorded",
                obj=figure,
                before=before,
                after={
                    "county": county_code,
                    "indicator": indicator.code,
                    "date": item.date.isoformat(),
                    "value": item.value,
                    "source": source,
                },
            )
            recorded.append(figure)
    return recorded


# Reports --------------------------------------------------------------------------------------


def _latest_published(county_code: str) -> SituationReport | None:
    return (
        SituationReport.objects.filter(county_id=county_code, status=ReportStatus.PUBLISHED)
        .order_by("-published_at", "-pk")
        .first()
    )


def _lock(report: SituationReport) -> SituationReport:
    return SituationReport.objects.select_for_update().get(pk=report.pk)


def _save_draft(draft: SituationReport) -> None:
    """Save a draft; Conflict when the county has another one (one draft per county)."""
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError:
        raise Conflict(_("The county already has a report in preparation.")) from None


def report_prepare(
    *,
    county: County,
    by: policy.Principal,
    now: datetime.datetime | None = None,
    automatically: bool = False,
) -> SituationReport:
    """The county's draft with the figures as they stand now: a new draft, or the one in
    preparation with its figures taken anew (its comments kept)."""
    policy.require(by, "situation.prepare", policy.Place(county=county.code))
    now = now or timezone.now()
    figures = compose.compose(county.code, now=now)
    with transaction.atomic():
        draft = SituationReport.objects.select_for_update().filter(county=county, status=ReportStatus.DRAFT).first()
        previous = draft.corrects.previous if draft is not None and draft.corrects else _latest_published(county.code)
        created = draft is None
        if draft is None:
            draft = SituationReport(county=county)
        draft.as_of = now
        draft.figures = figures
        draft.previous = previous
        draft.prepared_automatically = automatically
        draft.prepared_by = _person(by)
        _save_draft(draft)
        audit_record(
            by=by,
            event_type="situation.report_prepared" if created else "situation.report_prepared_again",
            obj=draft,
            after={"county": county.code, "as_of": now.isoformat(), "automatically": automatically},
        )
    return draft


def report_comment(*, report: SituationReport, comments: dict[str, str], by: policy.Principal) -> SituationReport:
    """Set the comments of a draft's sections (an empty text removes one)."""
    policy.require(by, "situation.prepare", report)
    errors: dict[str, list[str]] = {}
    for section, text in comments.items():
        if section not in SECTIONS:
            errors.setdefault(section, []).append(_("Unknown section."))
        elif len(text) > MAX_COMMENT:
            errors.setdefault(section, []).append(_("Write at most %(count)d characters.") % {"count": MAX_COMMENT})
        elif PERSONNUMMER_LIKE.search(text):
            errors.setdefault(section, []).append(
                _("The text looks like it contains a personal identity number. Leave patient identity out.")
            )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        report = _lock(report)
        if report.is_published:
            raise Conflict(_("The report is published and can no longer be changed; correct it with a new version."))
        before = dict(report.comments)
        merged = {**report.comments, **{section: text.strip() for section, text in comments.items()}}
        report.comments = {section: text for section, text in merged.items() if text}
        report.save()
        audit_record(by=by, event_type="situation.report_commented", obj=report, before=before, after=report.comments)
    return report


def report_publish(*, report: SituationReport, by: policy.Principal) -> SituationReport:
    """Publish a draft: it gets the county's next number (a correction: its report's number and
    the next version), and never changes again."""
    policy.require(by, "situation.publish", report)
    with transaction.atomic():
        report = _lock(report)
        if report.is_published:
            raise Conflict(_("The report is already published."))
        if report.corrects is not None:
            report.number = report.corrects.number
            report.version = (
                SituationReport.objects.filter(county=report.county, number=report.number).aggregate(v=Max("version"))[
                    "v"
                ]
                or 0
            ) + 1
        else:
            report.number = (
                SituationReport.objects.filter(county=report.county).aggregate(n=Max("number"))["n"] or 0
            ) + 1
            report.version = 1
        report.status = ReportStatus.PUBLISHED
        report.published_at = timezone.now()
        report.published_by = _person(by)
        report.save()
        sent = _tell_subscribers(report)
        audit_record(
            by=by,
            event_type="situation.report_published",
            obj=report,
            after={"county": report.county_id, "number": report.number, "version": report.version, "sent_to": sent},
        )
    return report


def report_correct(
    *, report: SituationReport, by: policy.Principal, now: datetime.datetime | None = None
) -> SituationReport:
    """A draft correcting a published report: the figures taken anew and its comments copied;
    published, it becomes the next version of the same number."""
    policy.require(by, "situation.prepare", report)
    if not report.is_published:
        raise Conflict(_("Only a published report is corrected; change the draft instead."))
    now = now or timezone.now()
    figures = compose.compose(report.county_id, now=now)
    with transaction.atomic():
        draft = SituationReport(
            county_id=report.county_id,
            corrects=report,
            previous=report.previous,
            as_of=now,
            figures=figures,
            comments=dict(report.comments),
            prepared_by=_person(by),
        )
        _save_draft(draft)
        audit_record(
            by=by,
            event_type="situation.report_correction_started",
            obj=draft,
            after={"county": report.county_id, "corrects": report.pk, "number": report.number},
        )
    return draft


def report_discard(*, report: SituationReport, by: policy.Principal) -> None:
    """Throw a draft away (a published report stays)."""
    policy.require(by, "situation.prepare", report)
    with transaction.atomic():
        report = _lock(report)
        if report.is_published:
            raise PermissionDenied("a published report stays")
        audit_record(
            by=by,
            event_type="situation.report_discarded",
            obj=report,
            before={"county": report.county_id, "as_of": report.as_of.isoformat()},
        )
        report.delete()


def settings_save(
    *, county: County, enabled: bool, weekday: int, time: datetime.time, public: bool = False, by: policy.Principal
) -> SituationSettings:
    """Set when the county's draft is prepared automatically (situation/schedule.py) and whether
    its published reports are on the public page."""
    policy.require(by, "situation.prepare", policy.Place(county=county.code))
    if weekday not in range(7):
        raise ValidationError({"weekday": [_("Choose a weekday.")]})
    with transaction.atomic():
        schedule = SituationSettings.objects.select_for_update().filter(county=county).first()
        before = (
            {
                "enabled": schedule.enabled,
                "weekday": schedule.weekday,
                "time": schedule.time.isoformat(),
                "public": schedule.public,
            }
            if schedule
            else None
        )
        schedule = schedule or SituationSettings(county=county)
        schedule.enabled, schedule.weekday, schedule.time, schedule.public = enabled, weekday, time, public
        schedule.saved_at = timezone.now()
        schedule.save()
        audit_record(
            by=by,
            event_type="situation.settings_saved",
            obj=schedule,
            before=before,
            after={"enabled": enabled, "weekday": weekday, "time": time.isoformat(), "public": public},
        )
    return schedule


# Subscriptions --------------------------------------------------------------------------------


def _site(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _tell_subscribers(report: SituationReport) -> int:
    """E-mail every active subscriber of the county a link to the published report (and to the
    public page, if the county has one) with a link that ends the subscription, and keep who was
    sent it (`ReportDelivery`, in the publishing transaction). Sent after the transaction commits,
    in the site's language; returns the number of messages."""
    subscriptions = list(Subscription.objects.filter(county_id=report.county_id, unsubscribed_at__isnull=True))
    if not subscriptions:
        return 0
    public = SituationSettings.objects.filter(county_id=report.county_id, public=True).exists()
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Samverkan: situation report %(number)s for %(county)s is published") % {
            "number": report,
            "county": report.county.name,
        }
        lines = [
            subject,
            "",
            _("Log in to read it: %(url)s") % {"url": _site(reverse("situation:detail", args=[report.pk]))},
        ]
        if public:
            public_path = reverse("situation:public_report", args=[report.county_id, report.number])
            lines.append(_("Without login (aggregates only): %(url)s") % {"url": _site(public_path)})
        messages = [
            (
                subject,
                "\n".join(
                    [
                        *lines,
                        "",
                        _("To stop receiving these messages: %(url)s")
                        % {"url": _site(reverse("situation:unsubscribe", args=[subscription.token]))},
                    ]
                ),
                settings.DEFAULT_FROM_EMAIL,
                [subscription.email],
            )
            for subscription in subscriptions
        ]
    ReportDelivery.objects.bulk_create(
        ReportDelivery(
            report=report,
            subscription=subscription,
            email=subscription.email,
            organisation_id=subscription.organisation_id,
            sent_at=report.published_at or timezone.now(),
        )
        for subscription in subscriptions
    )
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return len(messages)


def subscription_add(
    *, county: County, email: str, organisation: Organisation | None = None, by: policy.Principal
) -> Subscription:
    """Add an address to the county's subscribers (again, if it had unsubscribed)."""
    policy.require(by, "situation.manage_subscriptions", policy.Place(county=county.code))
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Give a valid e-mail address.")]}) from None
    if organisation is not None and organisation.county_id != county.code:
        raise ValidationError({"organisation": [_("Choose an organisation of the county.")]})
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(county=county, email=email).first()
        if subscription is not None and subscription.is_active:
            raise ValidationError({"email": [_("The address already subscribes.")]})
        subscription = subscription or Subscription(county=county, email=email)
        subscription.organisation = organisation
        subscription.unsubscribed_at = None
        subscription.save()
        audit_record(
            by=by,
            event_type="situation.subscription_added",
            obj=subscription,
            organisation=organisation,
            after={"county": county.code, "email": email},
        )
    return subscription


def subscriptions_add_members(*, county: County, organisation: Organisation, by: policy.Principal) -> int:
    """Add every active member of an organisation of the county (a municipality, a private
    provider, …) who does not subscribe yet; the number added."""
    policy.require(by, "situation.manage_subscriptions", policy.Place(county=county.code))
    if organisation.county_id != county.code:
        raise ValidationError({"organisation": [_("Choose an organisation of the county.")]})
    emails = sorted(
        {
            email.lower()
            for email in Membership.objects.filter(organisation=organisation, user__is_active=True).values_list(
                "user__email", flat=True
            )
        }
    )
    active = set(
        Subscription.objects.filter(county=county, email__in=emails, unsubscribed_at__isnull=True).values_list(
            "email", flat=True
        )
    )
    added = 0
    with transaction.atomic():
        for email in emails:
            if email not in active:
                subscription_add(county=county, email=email, organisation=organisation, by=by)
                added += 1
    return added


def subscription_remove(*, subscription: Subscription, by: policy.Principal) -> None:
    """End a subscription on the subscribers' page."""
    policy.require(by, "situation.manage_subscriptions", subscription)
    _end(subscription, by=by, via="page")


def unsubscribe(*, token: str) -> Subscription | None:
    """End the subscription whose link was followed (no login: the token is the proof)."""
    subscription = Subscription.objects.filter(token=token).first() if token else None
    if subscription is None:
        return None
    _end(subscription, by=policy.SYSTEM, via="link")
    return subscription


def _end(subscription: Subscription, *, by: policy.Principal, via: str) -> None:
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if not subscription.is_active:
            return
        subscription.unsubscribed_at = timezone.now()
        subscription.save()
        audit_record(
            by=by,
            event_type="situation.subscription_ended",
            obj=subscription,
            before={"email": subscription.email},
            after={"via": via},
        )
