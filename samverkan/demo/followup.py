"""Demo discharge follow-up: Dalarna's liability agreement (the law's defaults), day rates, and
last month's statements for four municipalities with disputes open, accepted and rejected."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from samverkan.accounts.models import User
from samverkan.followup import services
from samverkan.followup.models import Agreement, LineKind, Statement
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality

# 2023 is the example of the issue (10 500 kr); the later years are demo figures, not
# Socialstyrelsen's: an administrator or the region's coordinator enters the real ones.
DAY_RATES = {2023: "10500", 2024: "10900", 2025: "11300", 2026: "11700"}
TARGETS = {
    "mean_days_ready": "2",
    "same_day_share": "50",
    "within_grace_share": "90",
    "sip_share": "80",
    "care_contact_share": "100",
    "readmission_share": "15",
    "liable_days": "0",
}


def load(stdout) -> None:
    dalarna = County.objects.get(code="20")
    if Agreement.objects.filter(county=dalarna).exists():
        stdout.write("Follow-up demo data already present.")
        return
    services.agreement_save(
        county=dalarna,
        valid_from=datetime.date(2018, 1, 1),
        values={"name": "Överenskommelse om utskrivningsklara, Region Dalarna och länets kommuner"},
        by=policy.SYSTEM,
    )
    for year, amount in DAY_RATES.items():
        services.day_rate_set(county=dalarna, year=year, amount=Decimal(amount), by=policy.SYSTEM)
    # The forum's targets (Västerbotten's project: fewer days ready, more discharged on the ready
    # day, more SIPs, a named care contact for everyone, no liability).
    for indicator, target in TARGETS.items():
        services.indicator_target_set(
            county=dalarna,
            indicator=indicator,
            valid_from=datetime.date(2024, 1, 1),
            target=Decimal(target),
            by=policy.SYSTEM,
        )
    stdout.write("Follow-up demo data: Dalarna's liability agreement and day rates 2023–2026.")
    _statements_and_disputes(stdout)


# (municipality, demo user's e-mail local part, what happens to its dispute)
DISPUTES = [
    ("2080", "falun", "open"),
    ("2084", "avesta", "accepted"),
    ("2081", "borlange", "rejected"),
    ("2085", "ludvika", "open"),
]


def _statements_and_disputes(stdout) -> None:
    today = timezone.localdate()
    first = today.replace(day=1)
    last_month = (first - datetime.timedelta(days=1)).replace(day=1)
    region = User.objects.get(email="region.dalarna@demo.samverkan.se")
    raised = 0
    for code, user, outcome in DISPUTES:
        municipality = Municipality.objects.select_related("county").get(code=code)
        if Statement.objects.filter(municipality=municipality).exists():
            continue
        statement = services.statement_issue(
            municipality=municipality, year=last_month.year, month=last_month.month, by=region
        )
        line = statement.lines.filter(kind=LineKind.EPISODE, liable_days__gt=0).order_by("-amount").first()
        if line is None:
            continue
        coordinator = User.objects.get(email=f"{user}@demo.samverkan.se")
        dispute = services.dispute_raise(
            line=line,
            reason="Vi fick inget inskrivningsmeddelande för vårdtillfället; se loggen från meddelandesystemet.",
            by=coordinator,
        )
        raised += 1
        if outcome != "open":
            services.dispute_answer(
                dispute=dispute,
                accept=outcome == "accepted",
                answer=""
                if outcome == "accepted"
                else "Inskrivningsmeddelandet skickades inom 24 timmar enligt loggen.",
                by=region,
            )
    stdout.write(f"Follow-up demo data: last month's statements with {raised} disputes (open, accepted, rejected).")
