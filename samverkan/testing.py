"""Shared test personas and helpers (used by every app's tests and the browser tests).

The personas follow STYLE.md: a region coordinator in Dalarna, municipal coordinators of Falun
and Avesta, unit staff at Falun's short-term unit Lunden, a forum secretary, a viewer, an
administrator, and an outsider: the region coordinator of Örebro county."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.core.management import call_command
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.accounts.models import User
from samverkan.organisations.models import Membership, Municipality, Organisation, Role, Unit, UnitKind

PASSWORD = "Testlösen-2026!"  # noqa: S105 - test fixture


@dataclass
class World:
    """The organisations and users the tests talk about."""

    region: Organisation
    falun: Organisation
    avesta: Organisation
    orebro_region: Organisation
    lunden: Unit
    avesta_unit: Unit
    falun_ward: Unit
    orebro_unit: Unit
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


# persona -> (organisation attribute, role, unit attribute or None)
PERSONAS: dict[str, tuple[str, str, str | None]] = {
    "admin": ("region", Role.ADMIN, None),
    "region_coordinator": ("region", Role.REGION_COORDINATOR, None),
    "falun_coordinator": ("falun", Role.MUNICIPAL_COORDINATOR, None),
    "avesta_coordinator": ("avesta", Role.MUNICIPAL_COORDINATOR, None),
    "lunden_staff": ("falun", Role.UNIT_STAFF, "lunden"),
    "forum_secretary": ("region", Role.FORUM_SECRETARY, None),
    "viewer": ("region", Role.VIEWER, None),
    "outsider": ("orebro_region", Role.REGION_COORDINATOR, None),
}


def ensure_reference_data() -> None:
    if not Municipality.objects.exists():
        call_command("load_reference_data", stdout=io.StringIO())


def build_world() -> World:
    """Create (or fetch) the personas and their organisations. Needs the reference data."""
    ensure_reference_data()
    region = Organisation.objects.get(code="R20")
    falun = Organisation.objects.get(code="2080")
    avesta = Organisation.objects.get(code="2084")
    orebro_region = Organisation.objects.get(code="R18")

    def unit(code: str, name: str, kind: str, organisation: Organisation, municipality: str) -> Unit:
        return Unit.objects.get_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "organisation": organisation, "municipality_id": municipality},
        )[0]

    world = World(
        region=region,
        falun=falun,
        avesta=avesta,
        orebro_region=orebro_region,
        lunden=unit("t-lunden", "Lunden korttidsboende", UnitKind.SHORT_TERM, falun, "2080"),
        avesta_unit=unit("t-avesta", "Avesta korttidsboende", UnitKind.SHORT_TERM, avesta, "2084"),
        falun_ward=unit("t-falu-med", "Falu lasarett, medicin", UnitKind.HOSPITAL_WARD, region, "2080"),
        orebro_unit=unit(
            "t-orebro", "Örebro korttidsboende", UnitKind.SHORT_TERM, Organisation.objects.get(code="1880"), "1880"
        ),
    )
    for persona, (org_attr, role, unit_attr) in PERSONAS.items():
        email = f"{persona.replace('_', '.')}@test.samverkan.se"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, PASSWORD, full_name=persona.replace("_", " ").title()
        )
        Membership.objects.get_or_create(
            user=user,
            organisation=getattr(world, org_attr),
            role=role,
            unit=getattr(world, unit_attr) if unit_attr else None,
        )
        world.users[persona] = user
    return world


def totp_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def login(client: Client, user: User | None) -> Client:
    """Log the client in as `user` with a verified second factor (None: stay anonymous)."""
    if user is None:
        return client
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
    return client
