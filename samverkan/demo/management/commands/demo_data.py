"""Deterministic demo data: Dalarna from the forum minutes, plus Örebro and Västerbotten for isolation.

Later issues extend this command with capacity reports, requests and episodes."""

from __future__ import annotations

import base64
import hashlib

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.accounts import services as account_services
from samverkan.accounts.models import User
from samverkan.demo import capacity as demo_capacity
from samverkan.demo import flow as demo_flow
from samverkan.demo import followup as demo_followup
from samverkan.demo import forecasting as demo_forecasting
from samverkan.demo import meetings as demo_meetings
from samverkan.demo import placements as demo_placements
from samverkan.demo import resources as demo_resources
from samverkan.demo import situation as demo_situation
from samverkan.demo import staff as demo_staff
from samverkan.demo import supply as demo_supply
from samverkan.organisations import policy
from samverkan.organisations import services as org_services
from samverkan.organisations.models import Membership, Municipality, Organisation, Unit, UnitKind
from samverkan.organisations.roles import Role

DEMO_PASSWORD = "Samverkan-demo-2026!"
DEMO_DOMAIN = "demo.samverkan.se"

# Region Dalarna's hospitals (municipality code, hospital, wards).
DALARNA_HOSPITALS = [
    (
        "2080",
        "Falu lasarett",
        [
            ("Medicinavdelning 1", UnitKind.HOSPITAL_WARD),
            ("Geriatrisk avdelning", UnitKind.HOSPITAL_WARD),
            ("Ortopedavdelning", UnitKind.HOSPITAL_WARD),
            ("IVA", UnitKind.ICU),
        ],
    ),
    ("2062", "Mora lasarett", [("Medicinavdelning", UnitKind.HOSPITAL_WARD), ("IVA", UnitKind.ICU)]),
    ("2084", "Avesta lasarett", [("Medicinavdelning", UnitKind.HOSPITAL_WARD)]),
    (
        "2085",
        "Ludvika lasarett",
        [("Medicinavdelning", UnitKind.HOSPITAL_WARD), ("Psykiatrisk avdelning", UnitKind.HOSPITAL_WARD)],
    ),
]
# Named municipal units from the minutes; every other municipality gets one short-term unit.
NAMED_MUNICIPAL_UNITS = {
    "2080": [("lunden", "Lunden korttidsboende", UnitKind.SHORT_TERM)],
    "2081": [
        ("tjarnan", "Tjärnans korttidsenhet", UnitKind.SHORT_TERM),
        ("kvarnbacken", "Kvarnbackens korttidsboende", UnitKind.SHORT_TERM),
    ],
    "2061": [("korttid", "Smedjebackens korttidsboende", UnitKind.SHORT_TERM)],
    "2085": [("marnas", "Marnäs korttidsenhet", UnitKind.SHORT_TERM)],
    "2084": [("korttid", "Avesta korttidsboende", UnitKind.SHORT_TERM)],
    "2062": [
        ("korttid", "Mora korttidsenhet", UnitKind.SHORT_TERM),
        ("saebo", "Morkarlbyhöjden, särskilt boende", UnitKind.NURSING_HOME),
    ],
}
OTHER_HOSPITALS = {
    "18": (
        "1880",
        "Universitetssjukhuset Örebro",
        [("Medicinavdelning", UnitKind.HOSPITAL_WARD), ("IVA", UnitKind.ICU)],
    ),
    "24": (
        "2480",
        "Norrlands universitetssjukhus",
        [("Medicinavdelning", UnitKind.HOSPITAL_WARD), ("IVA", UnitKind.ICU)],
    ),
}
DEMO_COUNTIES = ["20", "18", "24"]

# (e-mail local part, name, organisation code, role, unit code or None, superuser)
DEMO_USERS = [
    ("admin", "Alva Admin", "R20", Role.ADMIN, None, True),
    ("region.dalarna", "Rebecka Regionsamordnare", "R20", Role.REGION_COORDINATOR, None, False),
    ("falun", "Filip Falun", "2080", Role.MUNICIPAL_COORDINATOR, None, False),
    ("avesta", "Amira Avesta", "2084", Role.MUNICIPAL_COORDINATOR, None, False),
    ("borlange", "Björn Borlänge", "2081", Role.MUNICIPAL_COORDINATOR, None, False),
    ("ludvika", "Lina Ludvika", "2085", Role.MUNICIPAL_COORDINATOR, None, False),
    ("lunden", "Lars Lunden", "2080", Role.UNIT_STAFF, "2080-lunden", False),
    ("sekreterare", "Sara Sekreterare", "R20", Role.FORUM_SECRETARY, None, False),
    ("analytiker", "Ali Analytiker", "R20", Role.VIEWER, None, False),
    ("region.orebro", "Olle Örebro", "R18", Role.REGION_COORDINATOR, None, False),
    ("orebro", "Oskar Örebro kommun", "1880", Role.MUNICIPAL_COORDINATOR, None, False),
    ("region.vasterbotten", "Vera Västerbotten", "R24", Role.REGION_COORDINATOR, None, False),
]


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def demo_totp_key(email: str) -> str:
    """A fixed authenticator secret per demo user, so the demo's second factor is reproducible."""
    return hashlib.sha256(f"samverkan-demo-totp:{email}".encode()).hexdigest()[:40]


class Command(BaseCommand):
    help = "Create or refresh the deterministic demo data (needs the reference data)."

    def handle(self, *args, **options):
        if not Municipality.objects.exists():
            call_command("load_reference_data", stdout=self.stdout)
        # One transaction: the figures of a half-loaded demo (a few units reported, places
        # reserved before the others report) are never committed, so the escalation check and
        # its notifications (run on commit) see only the finished demo.
        with transaction.atomic():
            self._units()
            users = self._users()
            demo_capacity.load(self.stdout)
            demo_placements.load(self.stdout)
            demo_flow.load(self.stdout)
            demo_resources.load(self.stdout)
            demo_supply.load(self.stdout)
            demo_staff.load(self.stdout)
            demo_forecasting.load(self.stdout)  # before the situation reports, which summarise the forecast
            demo_situation.load(self.stdout)
            demo_meetings.load(self.stdout)
            demo_followup.load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self._print_users(users)

    def _unit(
        self, *, code: str, name: str, kind: str, organisation: Organisation, municipality_code: str, site: str = ""
    ):
        existing = Unit.objects.filter(code=code).first()
        if existing:
            return existing
        unit = Unit(
            code=code, name=name, kind=kind, organisation=organisation, municipality_id=municipality_code, site=site
        )
        return org_services.unit_save(unit=unit, by=policy.SYSTEM)

    def _units(self) -> None:
        region = Organisation.objects.get(code="R20")
        for municipality_code, hospital, wards in DALARNA_HOSPITALS:
            for ward, kind in wards:
                slug = hashlib.sha256(f"{hospital}{ward}".encode()).hexdigest()[:6]
                self._unit(
                    code=f"R20-{slug}",
                    name=f"{hospital}, {ward}",
                    kind=kind,
                    organisation=region,
                    municipality_code=municipality_code,
                    site=hospital,
                )
        for county_code, (municipality_code, hospital, wards) in OTHER_HOSPITALS.items():
            county_region = Organisation.objects.get(code=f"R{county_code}")
            for ward, kind in wards:
                slug = hashlib.sha256(f"{hospital}{ward}".encode()).hexdigest()[:6]
                self._unit(
                    code=f"R{county_code}-{slug}",
                    name=f"{hospital}, {ward}",
                    kind=kind,
                    organisation=county_region,
                    municipality_code=municipality_code,
                    site=hospital,
                )
        for municipality in Municipality.objects.filter(county_id__in=DEMO_COUNTIES):
            organisation = Organisation.objects.get(municipality=municipality)
            units = NAMED_MUNICIPAL_UNITS.get(
                municipality.code, [("korttid", f"{municipality.name} korttidsboende", UnitKind.SHORT_TERM)]
            )
            for slug, name, kind in units:
                self._unit(
                    code=f"{municipality.code}-{slug}",
                    name=name,
                    kind=kind,
                    organisation=organisation,
                    municipality_code=municipality.code,
                )
            self._unit(
                code=f"{municipality.code}-hemtjanst",
                name=f"Hemtjänst {municipality.name}",
                kind=UnitKind.HOME_CARE,
                organisation=organisation,
                municipality_code=municipality.code,
            )

    def _users(self) -> list[tuple[User, Membership]]:
        result = []
        for local, name, org_code, role, unit_code, superuser in DEMO_USERS:
            email = demo_email(local)
            user = User.objects.filter(email=email).first()
            if user is None:
                user = account_services.user_create(
                    email=email,
                    password=DEMO_PASSWORD,
                    full_name=name,
                    is_staff=superuser,
                    is_superuser=superuser,
                    by=policy.SYSTEM,
                )
            else:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            organisation = Organisation.objects.get(code=org_code)
            unit = Unit.objects.get(code=unit_code) if unit_code else None
            membership = Membership.objects.filter(user=user, organisation=organisation, role=role, unit=unit).first()
            if membership is None:
                membership = org_services.membership_save(
                    membership=Membership(user=user, organisation=organisation, role=role, unit=unit), by=policy.SYSTEM
                )
            TOTPDevice.objects.update_or_create(
                user=user, name="Demo authenticator", defaults={"key": demo_totp_key(email), "confirmed": True}
            )
            result.append((user, membership))
        return result

    def _print_users(self, users) -> None:
        for line in users_table(users):
            self.stdout.write(line)


def users_table(users: list[tuple[User, Membership]]) -> list[str]:
    """The lines printed last by `make demo`: each demo user, whether the login asks for an
    authenticator code (policy.requires_second_factor), whether statistics show exact counts
    (the rule flow.exact_counts; everyone else sees small counts rounded) and the TOTP secret."""
    lines = ["", f"Demo users (password for all: {DEMO_PASSWORD}; log in at {settings.SITE_URL}/konto/login/)"]
    lines.append(f"  {'E-mail':<40} {'Role':<22} {'Organisation':<20} {'Code':<5} {'Counts':<8} TOTP secret")
    for user, membership in users:
        secret = base64.b32encode(bytes.fromhex(demo_totp_key(user.email))).decode()
        code = "yes" if policy.requires_second_factor(user) else "no"
        exact = policy.can(user, "flow.exact_counts", policy.Place(county=membership.organisation.county_id))
        lines.append(
            f"  {user.email:<40} {membership.get_role_display():<22} {membership.organisation.name:<20} "
            f"{code:<5} {'exact' if exact else 'rounded':<8} {secret}"
        )
    lines += [
        "",
        "Code: the login asks for an authenticator code (administrators and coordinators). Counts: the",
        "flow statistics show exact counts, or small counts rounded (every other role; README, 'Demo users').",
        "Second factor: add the TOTP secret to an authenticator app, or print the current code with",
        "  .venv/bin/python manage.py demo_code <e-mail>      (or: make demo-code EMAIL=<e-mail>)",
    ]
    return lines
