"""Shared test personas and helpers (used by every app's tests and the browser tests).

The personas follow STYLE.md: a region coordinator in Dalarna, municipal coordinators of Falun
and Avesta, unit staff at Falun's short-term unit Lunden, a forum secretary, a viewer, an
administrator, and an outsider: the region coordinator of Örebro county. Ludvika's coordinator
is the bystander of Dalarna's requests between the others."""

from __future__ import annotations

import contextlib
import csv
import datetime
import http.client
import io
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.db.utils import load_backend
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.accounts.models import User
from samverkan.capacity import services as capacity
from samverkan.capacity.models import UnitCapacity
from samverkan.organisations.models import Membership, Municipality, Organisation, Unit, UnitKind
from samverkan.organisations.roles import Role
from samverkan.placements.models import OfferStatus, PlaceOffer, PlaceRequest, RequestStatus

PASSWORD = "Testlösen-2026!"  # noqa: S105 - test fixture


@dataclass
class World:
    """The organisations and users the tests talk about."""

    region: Organisation
    falun: Organisation
    avesta: Organisation
    ludvika: Organisation
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
    "ludvika_coordinator": ("ludvika", Role.MUNICIPAL_COORDINATOR, None),
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
    ludvika = Organisation.objects.get(code="2085")
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
        ludvika=ludvika,
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


_ENROLMENT_LINK = re.compile(r"https?://\S+?(/konto/login/authenticator/[A-Za-z0-9_-]+/)")


def enrolment_links(user: User) -> list[str]:
    """The paths of the authenticator set-up links e-mailed to `user` (the test mail outbox), oldest first."""
    found = (_ENROLMENT_LINK.search(str(m.body)) for m in mail.outbox if m.to == [user.email])
    return [match.group(1) for match in found if match]


def csv_rows(content: bytes) -> list[list[str]]:
    """The rows of a CSV downloaded from a page, read as Excel in Swedish reads it: it must start
    with the UTF-8 byte order mark and separate fields by semicolons (samverkan/tables.py)."""
    if not content.startswith(b"\xef\xbb\xbf"):
        raise AssertionError("a page's CSV starts with the UTF-8 byte order mark")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def login(client: Client, user: User | None) -> Client:
    """Log the client in as `user` with a verified second factor (None: stay anonymous)."""
    if user is None:
        return client
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
    return client


# Concurrency checks: real app server processes racing for the same places (the test in
# samverkan/placements/tests/test_concurrency.py and benchmarks/bench_placements.py).

ROOT = Path(__file__).resolve().parent.parent


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the PostgreSQL database described by a Django settings dict (e.g. the test database)."""
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'])}"


def contended_offers(*, unit: Unit, requester: Organisation, free: int, count: int, by) -> list:
    """Give `unit` a report with exactly `free` free places and nothing reserved, and create `count`
    requests from `requester` to the unit, each with one open offer of 1 place there (bulk-created,
    in the states the services would leave them in: request "offered", offer "open")."""

    capacity.capacity_report_create(
        data=capacity.ReportInput(unit=unit, physical=free + 20, staffed=free + 10, occupied=10), by=by
    )
    UnitCapacity.objects.filter(unit=unit).update(reserved=0)
    now = timezone.now()
    requests = PlaceRequest.objects.bulk_create(
        PlaceRequest(
            county_id=requester.county_id,
            from_organisation=requester,
            places=1,
            wanted_from=timezone.localdate(),
            to_unit=unit,
            status=RequestStatus.OFFERED,
            created_at=now,
            sent_at=now,
            expires_at=now + datetime.timedelta(hours=48),
        )
        for _ in range(count)
    )
    return PlaceOffer.objects.bulk_create(
        PlaceOffer(request=request, unit=unit, places=1, status=OfferStatus.OPEN, created_at=now)
        for request in requests
    )


@contextlib.contextmanager
def database_for_threads(tmp_path: Path) -> Iterator[dict]:
    """Database settings for threads that each open their own connection, with the main thread
    switched to the same database (concurrency tests).

    PostgreSQL: the test database itself. SQLite: pytest-django's test database lives in memory
    with a shared cache, where a second writer fails at once ("database table is locked") instead of
    waiting; so the threads work on a file copy of it, like the deployed SQLite database, with the
    settings' options (BEGIN IMMEDIATE, a busy timeout)."""
    if connection.vendor != "sqlite":
        yield connection.settings_dict
        return
    path = tmp_path / "threads.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    settings_dict = {**connection.settings_dict, "NAME": str(path)}
    original = connections["default"]
    connections["default"] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    try:
        yield settings_dict
    finally:
        connections["default"].close()
        connections["default"] = original


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def app_servers(db_url: str, *, count: int = 2, threads: int = 8, timeout: float = 30) -> Iterator[list[str]]:
    """Start `count` gunicorn processes (`samverkan.wsgi`, one worker with `threads` threads each) on
    free localhost ports against `db_url`; yield their base URLs once all answer; stop them on exit
    (only the processes started here, by their pid)."""
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "samverkan.settings",
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    servers: list[tuple[subprocess.Popen, str, Path]] = []
    logs = Path(tempfile.mkdtemp(prefix="samverkan-servers-"))
    try:
        for index in range(count):
            port = free_port()
            log = logs / f"gunicorn-{index}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    [
                        *(sys.executable, "-m", "gunicorn", "samverkan.wsgi"),
                        *("--workers", "1", "--threads", str(threads), "--bind", f"127.0.0.1:{port}"),
                        *("--chdir", str(ROOT), "--graceful-timeout", "5", "--timeout", "60"),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            servers.append((process, f"http://127.0.0.1:{port}", log))
        deadline = time.monotonic() + timeout
        for process, url, log in servers:
            while not _answers(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"App server {url} did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
        yield [url for _process, url, _log in servers]
    finally:
        for process, _url, _log in servers:
            if process.poll() is None:
                process.terminate()
        for process, _url, _log in servers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        shutil.rmtree(logs, ignore_errors=True)


def _answers(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=2)
    try:
        connection.request("GET", "/tillganglighet/")
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


@dataclass
class Burst:
    """The answers to simultaneous calls: (status, body) per call, 0 for a call that failed to connect."""

    answers: list[tuple[int, str]]
    seconds: float  # from the barrier's release to the last answer

    def count(self, status: int) -> int:
        return sum(1 for answer_status, _body in self.answers if answer_status == status)

    def others(self, *expected: int) -> list[tuple[int, str]]:
        return [(status, body) for status, body in self.answers if status not in expected]


def post_simultaneously(
    calls: list[tuple[str, str, dict[str, str]]], *, timeout: float = 60, body: bytes = b""
) -> Burst:
    """POST every (base_url, path, headers) call, each with `body`, from its own thread: each
    thread connects first, then all wait at one barrier and send together."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    answers: list[tuple[int, str]] = [(0, "")] * len(calls)
    started: list[float] = []
    finished: list[float] = []

    def post(index: int, url: str, path: str, headers: dict[str, str]) -> None:
        host, port = url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
        connected = True
        try:
            connection.connect()
        except OSError as error:
            answers[index] = (0, f"connect: {error!r}")
            connected = False
        try:
            barrier.wait()
            if not connected:
                return
            started.append(time.perf_counter())
            connection.request("POST", path, body=body, headers={"Content-Length": str(len(body)), **headers})
            response = connection.getresponse()
            answers[index] = (response.status, response.read().decode(errors="replace"))
            finished.append(time.perf_counter())
        except (OSError, threading.BrokenBarrierError, http.client.HTTPException) as error:
            answers[index] = (0, repr(error))
        finally:
            connection.close()

    workers = [threading.Thread(target=post, args=(i, *call)) for i, call in enumerate(calls)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return Burst(answers, (max(finished) - min(started)) if started and finished else 0.0)
