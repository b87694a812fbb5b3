"""Demo forum from the minutes: Dalarna's county collaboration group meets weekly during the
pandemic. Two weeks ago it met on short-term places (Avesta needs six, Falun offers Lunden,
Ludvika opens ten from 1 June, Smedjebacken has fifteen with five occupied), decided to share
places by a staged plan and gave assignments; those minutes are approved and published. One
assignment is overdue and stands on the agenda of next week's meeting with the other due then."""

from __future__ import annotations

import datetime
from fractions import Fraction
from typing import Any

from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.accounts.models import User
from samverkan.meetings import services
from samverkan.meetings.models import AttendanceStatus, Forum, ItemKind, SplitMethod
from samverkan.organisations.models import County, Organisation
from samverkan.organisations.roles import OrganisationKind

FORUM = "Länssamverkansgruppen Dalarna"


def _code(user: User) -> str:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    assert device is not None  # noqa: S101 - every demo user has an authenticator
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def load(stdout: Any) -> None:
    if Forum.objects.filter(county_id="20", name=FORUM).exists():
        stdout.write("Meeting demo data already present.")
        return
    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@demo.samverkan.se")}
    secretary = users["sekreterare"]
    region = Organisation.objects.get(code="R20")
    municipalities = Organisation.objects.filter(county_id="20", kind=OrganisationKind.MUNICIPALITY)
    forum = services.forum_create(
        county=County.objects.get(code="20"),
        name=FORUM,
        description="Regionens och länets kommuners chefer för vård och omsorg. Veckomöten under pandemin.",
        organisations=[region, *municipalities],
        by=secretary,
    )
    for local, code, title in (
        ("falun", "2080", "Ordförande"),
        ("region.dalarna", "R20", "Justerare"),
        ("avesta", "2084", ""),
        ("borlange", "2081", ""),
        ("ludvika", "2085", ""),
    ):
        services.forum_person_add(
            forum=forum, user=users[local], organisation=Organisation.objects.get(code=code), title=title, by=secretary
        )

    today = timezone.localdate()
    tz = timezone.get_current_timezone()

    def at(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(13, 0), tzinfo=tz)

    def meeting_input(day: datetime.date) -> services.MeetingInput:
        return services.MeetingInput(
            title=f"Veckomöte {day:%Y-%m-%d}",
            starts_at=at(day),
            ends_at=at(day) + datetime.timedelta(hours=1, minutes=30),
            place="Regionens hus, Falun",
            remote_link="https://moten.example.se/lansamverkan",
            series="Veckomöten under pandemin",
            chair=users["falun"],
            checker=users["region.dalarna"],
        )

    held = services.meeting_create(forum=forum, data=meeting_input(today - datetime.timedelta(days=14)), by=secretary)
    upcoming = services.meeting_create(
        forum=forum, data=meeting_input(today + datetime.timedelta(days=7)), by=secretary
    )
    rows = {row.name: row for row in held.attendance.all()}
    services.attendance_set(
        meeting=held,
        changes=[
            (rows["Björn Borlänge"].pk, AttendanceStatus.REMOTE, ""),
            (rows["Lina Ludvika"].pk, AttendanceStatus.ABSENT, ""),
        ],
        by=secretary,
    )
    services.attendance_add(
        meeting=held,
        name="Lisa Ersättare",
        organisation=Organisation.objects.get(code="2085"),
        status=AttendanceStatus.REMOTE,
        substitute_for="Lina Ludvika",
        by=secretary,
    )

    places = services.agenda_item_add(
        meeting=held, title="Korttidsplatser i länet", kind=ItemKind.DECISION, presenter="Filip Falun", by=secretary
    )
    services.agenda_item_update(
        item=places,
        title=places.title,
        kind=places.kind,
        presenter=places.presenter,
        description="Läget för korttidsplatser och behovet de närmaste veckorna.",
        minutes=(
            "Avesta behöver sex platser nu. Falun erbjuder Lunden: 34 platser som kan utökas till 40. "
            "Ludvika öppnar 10 nya platser från 1 juni. Smedjebacken har 15 platser, 5 belagda. "
            "Borlänge har sängar men kan inte lova bemanning.\n\n"
            "Gruppen vill ha en plan i steg för hur kommunerna delar platser innan nya enheter öppnas, "
            "till exempel i Mora."
        ),
        by=secretary,
    )
    decision = services.decision_add(
        item=places,
        text="Att kommunerna delar korttidsplatser enligt en plan i steg innan nya enheter öppnas.",
        by=secretary,
    )
    services.assignment_create(
        item=places,
        data=services.AssignmentInput(
            title="Presentera ett förslag till prioriteringsplan i steg",
            description="Trösklar för stabsläge och förstärkningsläge, vilka enheter som öppnas i vilken ordning.",
            owner_organisation=region,
            owner_person=users["region.dalarna"],
            due_meeting=upcoming,
            decision=decision,
        ),
        by=secretary,
    )
    equipment = services.agenda_item_add(
        meeting=held,
        title="Skyddsutrustning",
        kind=ItemKind.INFORMATION,
        presenter="Rebecka Regionsamordnare",
        by=secretary,
    )
    services.agenda_item_update(
        item=equipment,
        title=equipment.title,
        kind=equipment.kind,
        presenter=equipment.presenter,
        description="",
        minutes="Varje kommun rapporterar sitt lager av skyddsutrustning. Det är ett stort arbete med arbetsbladet.",
        by=secretary,
    )
    services.assignment_create(
        item=equipment,
        data=services.AssignmentInput(
            title="Återkoppla lagerrapporteringen av skyddsutrustning",
            owner_organisation=Organisation.objects.get(code="2081"),
            due_date=today - datetime.timedelta(days=4),
        ),
        by=secretary,
    )
    services.assignment_create(
        item=equipment,
        data=services.AssignmentInput(
            title="Sammanställa behovet av syrgaskoncentratorer",
            owner_organisation=Organisation.objects.get(code="2084"),
            due_date=today + datetime.timedelta(days=21),
        ),
        by=secretary,
    )
    services.minutes_send_for_approval(meeting=held, by=secretary)
    services.minutes_sign(meeting=held, code=_code(users["falun"]), by=users["falun"])
    services.minutes_sign(meeting=held, code=_code(users["region.dalarna"]), by=users["region.dalarna"])
    services.meeting_publish(meeting=held, by=secretary)
    # The overdue assignment goes on next week's agenda beside the one due by that meeting.
    services.assignments_carry_over(forum=forum, by=secretary)
    _trackers_costs_and_funds(users, forum)
    stdout.write(f"Meeting demo data: {FORUM} with two meetings, a status question, shared costs and funds.")


def _trackers_costs_and_funds(users: dict[str, User], forum: Forum) -> None:
    """Örebro's question from its minutes (asked here in Dalarna, the demo's county), a joint
    meeting's cost in Dalarna, and Västerbotten's key (1/6 municipalities, 5/6 region) and its
    17 million kronor of development funds."""
    secretary, admin = users["sekreterare"], users["admin"]
    today = timezone.localdate()
    tracker = services.tracker_create(
        county=County.objects.get(code="20"),
        question="Redo för digitala vårdmöten?",
        options=["Redo", "Nästan redo", "Inga uppgifter"],
        forum=forum,
        by=secretary,
    )
    for local, code, status, days in (
        ("falun", "2080", "Redo", 3),
        ("avesta", "2084", "Nästan redo", 2),
        ("borlange", "2081", "Redo", 5),
        ("ludvika", "2085", "Inga uppgifter", 1),
    ):
        services.tracker_answer(
            tracker=tracker,
            organisation=Organisation.objects.get(code=code),
            status=status,
            as_of=today - datetime.timedelta(days=days),
            by=users[local],
        )
    services.shared_cost_create(
        forum=forum,
        description="Gemensam workshop om prioriteringsplanen (lokal och fika)",
        amount_ore=18_450_00,
        region_share=Fraction(1, 2),
        method=SplitMethod.EQUAL,
        by=secretary,
    )
    vasterbotten = services.forum_create(
        county=County.objects.get(code="24"),
        name="Länssamverkansgruppen Västerbotten",
        description="Region Västerbotten och länets femton kommuner.",
        organisations=Organisation.objects.filter(county_id="24", kind__in=["region", "municipality"]),
        by=admin,
    )
    services.forum_person_add(
        forum=vasterbotten,
        user=users["region.vasterbotten"],
        organisation=Organisation.objects.get(code="R24"),
        by=admin,
    )
    services.shared_cost_create(
        forum=vasterbotten,
        description="Konsultstöd för SVU-processen",
        amount_ore=450_000_00,
        region_share=Fraction(5, 6),
        method=SplitMethod.POPULATION,
        by=admin,
    )
    funds = services.funding_round_create(
        forum=vasterbotten,
        name=f"UPH-medel {today.year}",
        budget=17_000_000,
        criteria="Projekt som stärker samverkan vid utskrivning och nära vård i hela länet.",
        closes_on=today + datetime.timedelta(days=60),
        by=admin,
    )
    for code, project, amount, decision, granted in (
        ("R24", "Digitala vårdmöten i hela länet", 6_500_000, "granted", 6_500_000),
        ("2480", "Mobila team för utskrivning", 5_000_000, "partly", 4_000_000),
        ("2482", "Gemensam kompetensutveckling i SIP", 3_000_000, "pending", 0),
    ):
        application = services.funding_application_create(
            funding=funds,
            data=services.ApplicationInput(
                organisation=Organisation.objects.get(code=code),
                project=project,
                amount=amount,
                starts_on=today + datetime.timedelta(days=30),
                ends_on=today + datetime.timedelta(days=395),
            ),
            by=admin,
        )
        if decision != "pending":
            services.funding_application_decide(application=application, decision=decision, granted=granted, by=admin)
