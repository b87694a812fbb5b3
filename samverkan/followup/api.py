"""The follow-up API: the month's liability statements, issued statements, disputes (with their
attachments) and the indicators: the same selectors and services as the pages."""

from __future__ import annotations

import base64
import binascii
import datetime
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from samverkan import limits
from samverkan.apischema import BODY, CountyCode, Id, MunicipalityCode, choice, responses, text
from samverkan.followup import exports, indicators, liability, selectors, services
from samverkan.followup.models import Dispute, Statement, StatementLine
from samverkan.organisations import policy
from samverkan.organisations.models import Municipality

router = Router(tags=["followup"])

Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]


class LiabilityLineOut(Schema):
    source_id: str
    home_municipality: str
    care_type: str
    ready_at: str
    discharged_at: str
    ready_day: str
    first_liable_day: str
    first_day: str
    last_day: str
    liable_days: str
    day_rate: str
    amount: str
    reason: str


class LiabilityMunicipalityOut(Schema):
    code: str
    liable_days: str
    amount: str
    lines: list[LiabilityLineOut]


class LiabilityStatementOut(Schema):
    county: str
    month: str
    liable_days: str
    amount: str
    municipalities: list[LiabilityMunicipalityOut]


def _acting(request) -> policy.Principal:
    """Who acts through the API (its authentication lets only principals through)."""
    who = policy.principal_of(request)
    if isinstance(who, (policy.SystemPrincipal, policy.Person, policy.ActingKey)):
        return who
    raise PermissionDenied


@router.get(
    "/followup/statements",
    url_name="followup_statements",
    response=responses({200: LiabilityStatementOut}, 422),
    summary="The month's payment-liability statement lines per home municipality (access-logged)",
)
def statements(request, county: CountyCode, month: Month, municipality: MunicipalityCode | None = None):
    """Lines of the municipalities whose residents' episodes you may see (or only `municipality`);
    amounts in SEK as decimal strings; the totals are the sums of the lines."""
    chosen = limits.month(month)
    if chosen is None:
        return Status(422, {"detail": "month: a month YYYY-MM within the supported years."})
    year, number = chosen
    try:
        months = selectors.statement(
            _acting(request),
            county,
            year,
            number,
            municipality=municipality or None,
            reason=f"API: betalningsansvar {month}",
        )
    except liability.MissingDayRate as missing:
        return Status(422, {"detail": f"No day rate for {missing.year}: the month cannot be priced."})
    out = []
    for code, found in months.items():
        lines = [{k: str(v) for k, v in row.items()} for row in exports.rows({code: found})]
        out.append(
            {"code": code, "liable_days": str(found.liable_days), "amount": f"{found.amount:.2f}", "lines": lines}
        )
    return {
        "county": county,
        "month": month,
        "liable_days": str(sum((m.liable_days for m in months.values()), Decimal(0))),
        "amount": f"{sum((m.amount for m in months.values()), Decimal(0)):.2f}",
        "municipalities": out,
    }


class DisputeOut(Schema):
    id: int
    municipality: str
    statement: int
    month: str
    line: int
    source_id: str
    amount: str
    status: str
    reason: str
    raised_at: datetime.datetime
    answer_due: datetime.date
    answer: str
    credited_on: int | None
    attachment: str | None = Field(
        description="The attachment's file name (null without one); the file: GET /followup/disputes/{id}/attachment"
    )

    @staticmethod
    def resolve_municipality(obj: Dispute) -> str:
        return obj.municipality_id

    @staticmethod
    def resolve_attachment(obj: Dispute) -> str | None:
        return obj.attachment_name or None

    @staticmethod
    def resolve_statement(obj: Dispute) -> int:
        return obj.line.statement_id

    @staticmethod
    def resolve_month(obj: Dispute) -> str:
        return f"{obj.line.statement.month:%Y-%m}"

    @staticmethod
    def resolve_line(obj: Dispute) -> int:
        return obj.line_id

    @staticmethod
    def resolve_source_id(obj: Dispute) -> str:
        return obj.line.record_id

    @staticmethod
    def resolve_amount(obj: Dispute) -> str:
        return f"{obj.line.amount:.2f}"

    @staticmethod
    def resolve_credited_on(obj: Dispute) -> int | None:
        return obj.credited_on_id


class AttachmentIn(Schema):
    name: Annotated[str, text(Dispute, "attachment_name")] = Field(min_length=1, description="The file's name.")
    content_type: Annotated[str, text(Dispute, "attachment_type")] = "application/octet-stream"
    content_base64: str = Field(
        description="The file, base64-encoded: at most 5 MB, and the whole body at most the API's body limit."
    )


class DisputeIn(Schema):
    line: Id
    reason: Annotated[str, text(Dispute, "reason")] = Field(
        description="Why the line is wrong. No names or personal identity numbers."
    )
    attachment: AttachmentIn | None = None


class AnswerIn(Schema):
    accept: bool
    answer: Annotated[str, text(Dispute, "answer")] = ""


class IssueIn(Schema):
    municipality: MunicipalityCode
    month: Month


class IssuedOut(Schema):
    id: int
    municipality: str
    month: str
    number: int
    liable_days: str
    amount: str
    lines: int

    @staticmethod
    def resolve_municipality(obj: Statement) -> str:
        return obj.municipality_id

    @staticmethod
    def resolve_month(obj: Statement) -> str:
        return f"{obj.month:%Y-%m}"

    @staticmethod
    def resolve_liable_days(obj: Statement) -> str:
        return str(obj.liable_days)

    @staticmethod
    def resolve_amount(obj: Statement) -> str:
        return f"{obj.amount:.2f}"

    @staticmethod
    def resolve_lines(obj: Statement) -> int:
        return obj.lines.count()


@router.post(
    "/followup/statements/issue",
    url_name="followup_statement_issue",
    response=responses({201: IssuedOut}, *BODY, 404),
    summary="Issue a municipality's statement for a month (the lines as counted now, frozen)",
)
def issue_statement(request, payload: IssueIn):
    chosen = limits.month(payload.month)
    if chosen is None:
        return Status(422, {"detail": {"month": ["A month YYYY-MM within the supported years."]}})
    municipality = get_object_or_404(Municipality.objects.select_related("county"), code=payload.municipality)
    try:
        issued = services.statement_issue(
            municipality=municipality, year=chosen[0], month=chosen[1], by=_acting(request)
        )
    except liability.MissingDayRate as missing:
        return Status(422, {"detail": f"No day rate for {missing.year}: the month cannot be priced."})
    return Status(201, issued)


@router.get("/followup/disputes", url_name="followup_disputes", response=responses({200: list[DisputeOut]}, 422))
def list_disputes(request, county: CountyCode, status: Annotated[str, choice(Dispute, "status")] | None = None):
    return list(selectors.dispute_list(policy.principal_of(request), county, status=status or None)[:500])


@router.post(
    "/followup/disputes",
    url_name="followup_disputes_create",
    response=responses({201: DisputeOut}, *BODY, 404),
    summary="Dispute a line of an issued statement (a municipal coordinator of the municipality billed)",
)
def create_dispute(request, payload: DisputeIn):
    who = _acting(request)
    line = StatementLine.objects.visible_to(who, "followup.raise_dispute").get_or_404(pk=payload.line)
    attachment = None
    if payload.attachment is not None:
        try:
            data = base64.b64decode(payload.attachment.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError({"attachment.content_base64": [_("Not base64.")]}) from None
        attachment = services.Attachment(payload.attachment.name, payload.attachment.content_type, data)
    return Status(201, services.dispute_raise(line=line, reason=payload.reason, by=who, attachment=attachment))


@router.get(
    "/followup/disputes/{dispute_id}",
    url_name="followup_dispute",
    response=responses({200: DisputeOut}, 404),
    summary="One dispute (names an episode's source id: an access-log row)",
)
def dispute(request, dispute_id: Id):
    return selectors.dispute_detail(_acting(request), dispute_id)


@router.get(
    "/followup/disputes/{dispute_id}/attachment",
    url_name="followup_dispute_attachment",
    response=responses({200: None}, 404),
    summary="A dispute's attachment, as a download (404 without one)",
)
def dispute_attachment(request, dispute_id: Id):
    found = selectors.dispute_attachment(_acting(request), dispute_id)
    response = HttpResponse(bytes(found.attachment or b""), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, found.attachment_name) or "attachment"
    return response


@router.post(
    "/followup/disputes/{dispute_id}/answer",
    url_name="followup_dispute_answer",
    response=responses({200: DisputeOut}, *BODY, 404),
    summary="Accept (credit on the next statement) or reject (with a reason) a dispute",
)
def answer_dispute(request, dispute_id: Id, payload: AnswerIn):
    who = _acting(request)
    dispute = Dispute.objects.visible_to(who, "followup.answer_dispute").get_or_404(pk=dispute_id)
    answered = services.dispute_answer(dispute=dispute, accept=payload.accept, answer=payload.answer, by=who)
    return Status(200, Dispute.objects.select_related("line__statement").get(pk=answered.pk))


class IndicatorOut(Schema):
    code: str
    value: str | None
    target: str | None
    met: bool | None
    year_before: str | None


class MunicipalityIndicatorsOut(Schema):
    code: str
    name: str
    values: dict[str, str | None]


class IndicatorsOut(Schema):
    county: str
    area: str
    month: str
    patients: int
    exact: bool
    summary: list[str]
    indicators: list[IndicatorOut]
    municipalities: list[MunicipalityIndicatorsOut]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@router.get(
    "/followup/indicators",
    url_name="followup_indicators",
    response=responses({200: IndicatorsOut}, 404, 422),
    summary="The month's discharge follow-up indicators against the county's targets (as on the page)",
)
def indicator_report(request, county: CountyCode, month: Month, municipality: MunicipalityCode | None = None):
    """Shares in per cent; values null where there is nothing to count or, for roles without
    exact counts, fewer than 10 patients."""
    chosen = limits.month(month)
    if chosen is None:
        return Status(422, {"detail": "month: a month YYYY-MM within the supported years."})
    try:
        report = selectors.indicator_report(
            policy.principal_of(request), county, chosen[0], chosen[1], area=municipality or None
        )
    except liability.MissingDayRate as missing:
        return Status(422, {"detail": f"No day rate for {missing.year}: the month cannot be priced."})
    codes = [i.code for i in indicators.INDICATORS]
    return {
        "county": county,
        "area": report.area,
        "month": month,
        "patients": report.patients,
        "exact": report.exact,
        "summary": report.summary,
        "indicators": [
            {
                "code": row.indicator.code,
                "value": _text(row.value),
                "target": _text(row.target),
                "met": row.met,
                "year_before": _text(row.year_before),
            }
            for row in report.rows
        ],
        "municipalities": [
            {"code": code, "name": name, "values": {c: _text(v) for c, v in zip(codes, values, strict=True)}}
            for code, name, values in report.municipalities
        ],
    }
