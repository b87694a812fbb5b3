"""Writes for discharge follow-up: agreement versions and day rates, issued statements, disputes
and their answers. Each is atomic, checked by the policy and audited in its transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from samverkan.accounts.models import User
from samverkan.accounts.services import notify
from samverkan.audit.services import audit_record, snapshot
from samverkan.flow import daily, grace
from samverkan.flow.models import Episode
from samverkan.followup import liability, selectors, tasks
from samverkan.followup.models import (
    Agreement,
    DayRate,
    Dispute,
    DisputeStatus,
    IndicatorTarget,
    LineKind,
    Statement,
    StatementLine,
)
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality, Organisation
from samverkan.organisations.roles import OrganisationKind, Role

AGREEMENT_FIELDS = (
    "name",
    "grace_days_somatic",
    "grace_days_psychiatric",
    "notice_day_counts",
    "cutoff_time",
    "admission_notice_required",
    "admission_notice_within_hours",
    "sip_call_within_days",
    "model",
    "average_target_days",
    "dispute_days",
    "answer_days",
)


def _region(county: County) -> Organisation | None:
    return Organisation.objects.filter(county=county, kind=OrganisationKind.REGION).first()


Row = TypeVar("Row", Agreement, DayRate, IndicatorTarget)


def _save(row: Row, *, before: dict[str, Any] | None, event_type: str, county: County, by: policy.Principal) -> Row:
    """Validate and save a row of the county's rules and record the change, in the caller's transaction."""
    row.full_clean()
    row.save()
    audit_record(
        by=by, event_type=event_type, obj=row, organisation=_region(county), before=before, after=snapshot(row)
    )
    return row


def agreement_save(
    *, county: County, valid_from: datetime.date, values: dict[str, Any], by: policy.Principal
) -> Agreement:
    """Create the county's agreement version in force from `valid_from`, or change the one that
    already starts then. `values`: the fields of AGREEMENT_FIELDS. ValidationError per field."""
    policy.require(by, "followup.manage_agreement", policy.Place(county=county.code))
    unknown = set(values) - set(AGREEMENT_FIELDS)
    if unknown:
        raise ValueError(f"unknown agreement fields {sorted(unknown)}")
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().filter(county=county, valid_from=valid_from).first()
        before = snapshot(agreement) if agreement else None
        if agreement is None:
            agreement = Agreement(county=county, valid_from=valid_from)
        for name, value in values.items():
            setattr(agreement, name, value)
        if agreement.model != "average":
            agreement.average_target_days = None
        saved = _save(agreement, before=before, event_type="followup.agreement_saved", county=county, by=by)
        # The flow statistics' grace days follow the agreement (flow.grace): their daily rows again.
        if daily.is_complete(county.code) and not daily.is_complete(
            county.code, grace.rules_for(county.code).fingerprint()
        ):
            daily.rebuild(county.code)
        tasks.build_later(county.code)  # the stored monthly figures counted with it (monthly.py)
        return saved


def day_rate_set(*, county: County, year: int, amount: Decimal, by: policy.Principal) -> DayRate:
    """Set the county's price per liable day for a year (a new year, or a changed price)."""
    policy.require(by, "followup.manage_agreement", policy.Place(county=county.code))
    if amount <= 0:
        raise ValidationError({"amount": [_("The price must be above zero.")]})
    with transaction.atomic():
        rate = DayRate.objects.select_for_update().filter(county=county, year=year).first()
        before = snapshot(rate) if rate else None
        if rate is None:
            rate = DayRate(county=county, year=year, amount=amount)
        rate.amount = amount
        tasks.build_later(county.code)  # the stored monthly figures priced with it (monthly.py)
        return _save(rate, before=before, event_type="followup.day_rate_set", county=county, by=by)


# Statements and disputes ---------------------------------------------------------------------

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


def _label(by: policy.Principal) -> str:
    if isinstance(by, User):
        return by.get_full_name() or by.get_username()
    return str(getattr(by, "name", None) or by)


def _person(by: policy.Principal) -> User | None:
    return by if isinstance(by, User) else None


def _coordinators(*, county: str, municipality: str | None) -> list[User]:
    """The region's coordinators of the county, or the municipal coordinators of a municipality."""
    if municipality is None:
        memberships = {"memberships__organisation__county_id": county, "memberships__role": Role.REGION_COORDINATOR}
        kind = OrganisationKind.REGION
    else:
        memberships = {
            "memberships__organisation__municipality_id": municipality,
            "memberships__role": Role.MUNICIPAL_COORDINATOR,
        }
        kind = OrganisationKind.MUNICIPALITY
    return list(User.objects.filter(is_active=True, memberships__organisation__kind=kind, **memberships).distinct())


def _line_values(line: liability.Line) -> dict[str, Any]:
    episode, explained = line.episode, line.liability
    return {
        "kind": LineKind.EPISODE,
        "episode_id": getattr(episode, "pk", None),
        "record_id": getattr(episode, "record_id", ""),
        "care_type": episode.care_type,
        "ready_at": episode.ready_at,
        "discharged_at": episode.discharged_at,
        "first_liable_day": explained.first_liable_day,
        "first_day": line.first_day,
        "last_day": line.last_day,
        "liable_days": Decimal(line.liable_days),
        "day_rate": line.day_rate,
        "amount": line.amount,
        "reason": line.reason,
        "note": f"{line.days_ready}" if line.days_ready is not None else "",
    }


def _average_values(average: liability.AverageLine) -> dict[str, Any]:
    return {
        "kind": LineKind.AVERAGE,
        "liable_days": average.liable_days,
        "day_rate": average.day_rate,
        "amount": average.amount,
        "reason": "average",
        "note": f"{average.patients} / {average.days_ready} / {average.target}",
    }


def statement_issue(
    *, municipality: Municipality, year: int, month: int, by: policy.Principal, today: datetime.date | None = None
) -> Statement:
    """Issue the municipality's statement for the month: the lines as `liability.month_statement`
    counts them now, frozen, with the next number for that month, and a credit line for every
    accepted dispute not yet credited. The municipality's coordinators are told.
    MissingDayRate when a liable day has no rate."""
    county = municipality.county
    policy.require(by, "followup.issue_statement", policy.Place(county=county.code, municipality=municipality.code))
    today = today or timezone.localdate()
    first, last = liability.month_bounds(year, month)
    if first >= today:
        raise ValidationError({"month": [_("A month can be issued from its second day on, when it has liable days.")]})
    with transaction.atomic():
        # The municipality's row serialises issuing, so two clicks cannot both take a number.
        Municipality.objects.select_for_update().filter(pk=municipality.pk).first()
        computed = selectors.compute(
            Episode.objects.filter(home_municipality=municipality), county.code, year, month, today
        ).get(municipality.code, liability.MunicipalityMonth(municipality.code))
        credits = list(
            Dispute.objects.select_for_update()
            .filter(municipality=municipality, status=DisputeStatus.ACCEPTED, credited_on__isnull=True)
            .select_related("line__statement")
        )
        previous = Statement.objects.filter(municipality=municipality, month=first).order_by("-number").first()
        statement = Statement.objects.create(
            county=county,
            municipality=municipality,
            month=first,
            number=(previous.number + 1) if previous else 1,
            issued_by=_person(by),
            issued_by_label=_label(by),
            liable_days=Decimal(0),
            amount=Decimal(0),
        )
        values = [_line_values(line) for line in computed.lines] + [_average_values(a) for a in computed.averages]
        for dispute in credits:
            disputed = dispute.line
            values.append(
                {
                    "kind": LineKind.CREDIT,
                    "episode_id": disputed.episode_id,
                    "record_id": disputed.record_id,
                    "care_type": disputed.care_type,
                    "ready_at": disputed.ready_at,
                    "discharged_at": disputed.discharged_at,
                    "first_day": disputed.first_day,
                    "last_day": disputed.last_day,
                    "liable_days": -disputed.liable_days,
                    "day_rate": disputed.day_rate,
                    "amount": -disputed.amount,
                    "reason": "credit",
                    "note": f"{dispute.pk}|{disputed.statement.month:%Y-%m}",
                }
            )
        lines = StatementLine.objects.bulk_create(StatementLine(statement=statement, **v) for v in values)
        statement.liable_days = sum((line.liable_days for line in lines), Decimal(0))
        statement.amount = sum((line.amount for line in lines), Decimal(0))
        statement.save(update_fields=["liable_days", "amount"])
        Dispute.objects.filter(pk__in=[d.pk for d in credits]).update(credited_on=statement)
        audit_record(
            by=by,
            event_type="followup.statement_issued",
            obj=statement,
            organisation=_region(county),
            after={
                "municipality": municipality.code,
                "month": f"{year}-{month:02d}",
                "number": statement.number,
                "lines": len(lines),
                "credits": [d.pk for d in credits],
                "liable_days": statement.liable_days,
                "amount": statement.amount,
            },
        )
        notify(
            users=_coordinators(county=county.code, municipality=municipality.code),
            text=_("The liability statement for %(month)s (no. %(number)s) is issued: %(amount)s kr.")
            % {"month": f"{year}-{month:02d}", "number": statement.number, "amount": f"{statement.amount:.2f}"},
            url=reverse("followup:issued", args=[statement.pk]),
            by=by,
        )
    return statement


def dispute_deadline(statement: Statement) -> datetime.date:
    """The last day the statement's lines may be disputed (the agreement in force in its month)."""
    terms = selectors.agreements_of(statement.county_id).on(statement.month)
    return timezone.localtime(statement.issued_at).date() + datetime.timedelta(days=terms.dispute_days)


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


def dispute_raise(
    *,
    line: StatementLine,
    reason: str,
    by: policy.Principal,
    attachment: Attachment | None = None,
    today: datetime.date | None = None,
) -> Dispute:
    """A municipal coordinator disputes a line of the latest statement of its month, within the
    agreement's days; the region's coordinators are told. ValidationError per field."""
    policy.require(by, "followup.raise_dispute", line)
    today = today or timezone.localdate()
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the line is wrong.")]
    if attachment is not None and len(attachment.data) > MAX_ATTACHMENT_BYTES:
        errors["attachment"] = [_("The attachment is larger than 5 MB.")]
    if line.kind == LineKind.CREDIT:
        errors.setdefault("line", []).append(_("A credit cannot be disputed."))
    with transaction.atomic():
        statement = Statement.objects.select_for_update().get(pk=line.statement_id)
        newer = Statement.objects.filter(
            municipality_id=statement.municipality_id, month=statement.month, number__gt=statement.number
        ).exists()
        if newer:
            errors.setdefault("line", []).append(
                _("A newer statement for this month has been issued; dispute its line instead.")
            )
        deadline = dispute_deadline(statement)
        if today > deadline:
            errors.setdefault("line", []).append(
                _("The time to dispute this statement ended on %(day)s.") % {"day": deadline.isoformat()}
            )
        if Dispute.objects.filter(line=line, status=DisputeStatus.OPEN).exists():
            errors.setdefault("line", []).append(_("This line is already disputed."))
        if errors:
            raise ValidationError(errors)
        terms = selectors.agreements_of(statement.county_id).on(statement.month)
        dispute = Dispute.objects.create(
            line=line,
            county_id=statement.county_id,
            municipality_id=statement.municipality_id,
            reason=reason,
            attachment_name=attachment.name[:200] if attachment else "",
            attachment_type=attachment.content_type[:100] if attachment else "",
            attachment=attachment.data if attachment else None,
            raised_by=_person(by),
            raised_by_label=_label(by),
            answer_due=today + datetime.timedelta(days=terms.answer_days),
        )
        audit_record(
            by=by,
            event_type="followup.dispute_raised",
            obj=dispute,
            organisation=_region(statement.county),
            after={**snapshot(dispute, fields=["line", "reason", "answer_due", "attachment_name"])},
        )
        notify(
            users=_coordinators(county=statement.county_id, municipality=None),
            text=_("%(municipality)s disputes a line of its liability statement for %(month)s.")
            % {"municipality": statement.municipality.name, "month": f"{statement.month:%Y-%m}"},
            url=reverse("followup:dispute", args=[dispute.pk]),
            by=by,
        )
    return dispute


def dispute_answer(*, dispute: Dispute, accept: bool, answer: str, by: policy.Principal) -> Dispute:
    """The region accepts a dispute (the line is credited on the municipality's next statement)
    or rejects it with a reason; the municipality's coordinators are told."""
    policy.require(by, "followup.answer_dispute", dispute)
    answer = answer.strip()
    if not accept and not answer:
        raise ValidationError({"answer": [_("Say why the dispute is rejected.")]})
    with transaction.atomic():
        locked: Dispute = (
            Dispute.objects.select_for_update().select_related("municipality", "county").get(pk=dispute.pk)
        )
        if locked.status != DisputeStatus.OPEN:
            raise ValidationError(
                {
                    "answer": [
                        _("The dispute is already answered (%(status)s).") % {"status": locked.get_status_display()}
                    ]
                }
            )
        before = snapshot(locked, fields=["status", "answer"])
        locked.status = DisputeStatus.ACCEPTED if accept else DisputeStatus.REJECTED
        locked.answer = answer
        locked.answered_by = _person(by)
        locked.answered_by_label = _label(by)
        locked.answered_at = timezone.now()
        locked.save()
        audit_record(
            by=by,
            event_type="followup.dispute_answered",
            obj=locked,
            organisation=_region(locked.county),
            before=before,
            after=snapshot(locked, fields=["status", "answer"]),
        )
        notify(
            users=_coordinators(county=locked.county_id, municipality=locked.municipality_id),
            text=(
                _("The region accepted your dispute; the line is credited on the next statement.")
                if accept
                else _("The region rejected your dispute: %(answer)s") % {"answer": answer}
            ),
            url=reverse("followup:dispute", args=[locked.pk]),
            by=by,
        )
    return locked


def indicator_target_set(
    *, county: County, indicator: str, valid_from: datetime.date, target: Decimal, by: policy.Principal
) -> IndicatorTarget:
    """Set the county's target for an indicator from a date (shares in per cent)."""
    policy.require(by, "followup.manage_agreement", policy.Place(county=county.code))
    with transaction.atomic():
        row = (
            IndicatorTarget.objects.select_for_update()
            .filter(county=county, indicator=indicator, valid_from=valid_from)
            .first()
        )
        before = snapshot(row) if row else None
        if row is None:
            row = IndicatorTarget(county=county, indicator=indicator, valid_from=valid_from, target=target)
        row.target = target
        return _save(row, before=before, event_type="followup.indicator_target_set", county=county, by=by)
