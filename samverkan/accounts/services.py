"""Writes for accounts: API keys, second-factor devices and login events, each audited."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.accounts import ratelimits
from samverkan.accounts.models import ApiKey, EnrolmentLink, Notification, User
from samverkan.audit.services import audit_record, snapshot
from samverkan.organisations import policy
from samverkan.organisations.models import Organisation

API_KEY_PREFIX = "sv"


def hash_api_key(raw_key: str) -> str:
    # Keys carry 256 bits of randomness, so a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, organisation: Organisation, name: str, role: str, by: policy.Principal) -> tuple[ApiKey, str]:
    """Create a key for `organisation` and return it with its raw value, which is never stored.
    The role must fit the organisation's kind and be one `by` holds there (any fitting role
    for an administrator or the system); ValidationError on `role` if not."""
    policy.require_api_key_role(by, organisation, role)
    prefix = secrets.token_hex(4)
    raw_key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            organisation=organisation,
            name=name,
            role=role,
            prefix=prefix,
            key_hash=hash_api_key(raw_key),
            created_by=by if isinstance(by, User) else None,
        )
        audit_record(
            by=by,
            event_type="accounts.api_key_created",
            obj=key,
            organisation=organisation,
            after=snapshot(key, ["organisation", "name", "role", "prefix"]),
        )
    return key, raw_key


def api_key_revoke(*, api_key: ApiKey, by: policy.Principal) -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
        if key.revoked_at is not None:
            return key
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(
            by=by,
            event_type="accounts.api_key_revoked",
            obj=key,
            organisation=key.organisation,
            before={"revoked_at": None},
            after={"revoked_at": key.revoked_at},
        )
    return key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The usable key with this value, or None. Marks it as used (at most once a minute)."""
    if not raw_key or not raw_key.startswith(f"{API_KEY_PREFIX}_"):
        return None
    key = ApiKey.objects.select_related("organisation").filter(key_hash=hash_api_key(raw_key)).first()
    if key is None or not key.is_usable:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def hash_token(raw: str) -> str:
    # Like API keys, enrolment tokens carry 256 bits of randomness: a plain SHA-256 suffices.
    return hashlib.sha256(raw.encode()).hexdigest()


def enrolment_link_send(*, user: User, by: policy.Principal) -> EnrolmentLink:
    """E-mail the user a new link to set up an authenticator app (once the link is saved),
    replacing any unused one. `by`: the user at their own password login, or the administrator
    (or the system) who sends it, which also lifts `enrolment_by_admin_only`."""
    by_administrator = by.pk != user.pk
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        EnrolmentLink.objects.filter(user=user, used_at__isnull=True).delete()
        link = EnrolmentLink.objects.create(
            user=user,
            token_hash=hash_token(raw),
            created_at=now,
            expires_at=now + datetime.timedelta(minutes=settings.ENROLMENT_LINK_MINUTES),
            sent_by=by if by_administrator and isinstance(by, User) else None,
        )
        if by_administrator and user.enrolment_by_admin_only:
            User.objects.filter(pk=user.pk).update(enrolment_by_admin_only=False)
            user.enrolment_by_admin_only = False
        audit_record(
            by=by,
            event_type="accounts.enrolment_link_sent",
            obj=user,
            after={"by_administrator": by_administrator, "expires_at": link.expires_at},
        )
    url = f"{settings.SITE_URL.rstrip('/')}{reverse('accounts:enrolment_link', args=[raw])}"
    subject, body = _enrolment_mail(url, link, by_administrator=by_administrator)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return link


def _enrolment_mail(url: str, link: EnrolmentLink, *, by_administrator: bool) -> tuple[str, str]:
    values = {
        "url": url,
        "minutes": settings.ENROLMENT_LINK_MINUTES,
        "time": timezone.localtime(link.expires_at).strftime("%H:%M"),
    }
    first = (
        _("An administrator has sent you a link to set up the authenticator app that gives your login codes.")
        if by_administrator
        else _("You have logged in to Samverkan with your password. Your role also needs an authenticator app.")
    )
    steps = _(
        "To set it up, log in with your e-mail address and password, then open this link in the same "
        "browser. It works once, for %(minutes)d minutes (until %(time)s):\n\n%(url)s"
    )
    warning = _(
        "If you did not just log in or ask for this, do not open the link, change your password and "
        "tell your administrator: someone else may know your password."
    )
    return _("Samverkan: set up your authenticator app"), f"{first}\n\n{steps % values}\n\n{warning}\n"


def enrolment_link_request(*, user: User) -> bool:
    """Send the user a link at their own request (their password login, or "send a new link"),
    unless only an administrator may (see `password_reset_completed`) or they asked for
    ENROLMENT_LINKS_PER_HOUR already. Whether it was sent."""
    if user.enrolment_by_admin_only:
        return False
    if not ratelimits.allow("enrolment_link", str(user.pk), limit=settings.ENROLMENT_LINKS_PER_HOUR):
        return False
    enrolment_link_send(user=user, by=user)
    return True


def enrolment_link_open(*, raw_token: str, user: User) -> TOTPDevice | None:
    """Use the link once, for `user` (who has just given their password in this session): a new
    authenticator device whose secret may now be shown, or None if the link is unknown, another
    user's, used, expired, or the user already has an authenticator. Earlier unconfirmed devices
    are removed, so a secret shown before never becomes valid."""
    with transaction.atomic():
        link = EnrolmentLink.objects.select_for_update().filter(token_hash=hash_token(raw_token)).first()
        if (
            link is None
            or link.user_id != user.pk
            or link.used_at is not None
            or link.expires_at <= timezone.now()
            or TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        ):
            return None
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
        audit_record(by=user, event_type="accounts.enrolment_link_opened", obj=user)
    return device


def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Confirm enrolment when the token matches; returns whether it did. The user's remaining
    links are deleted: none can be used once an authenticator is set up."""
    with transaction.atomic():
        if not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        EnrolmentLink.objects.filter(user=device.user).delete()
        audit_record(by=device.user, event_type="accounts.second_factor_enrolled", obj=device.user)
    return True


def password_reset_completed(*, user: User) -> None:
    """A new password chosen through an e-mailed reset link. Whoever reads the user's mailbox can
    do that, so if the user has no authenticator yet, their open set-up links are deleted and
    the next one must come from an administrator: a mailbox alone never gives both the password
    and the authenticator."""
    with transaction.atomic():
        enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        if not enrolled:
            EnrolmentLink.objects.filter(user=user, used_at__isnull=True).delete()
            User.objects.filter(pk=user.pk).update(enrolment_by_admin_only=True)
            user.enrolment_by_admin_only = True
        audit_record(
            by=user,
            event_type="accounts.password_reset",
            obj=user,
            after={"enrolment_by_admin_only": not enrolled},
        )


def login_recorded(*, user: User, second_factor: bool) -> None:
    with transaction.atomic():
        audit_record(by=user, event_type="accounts.login", obj=user, after={"second_factor": second_factor})


def user_create(*, email: str, password: str | None, full_name: str = "", by: policy.Principal, **extra: Any) -> User:
    with transaction.atomic():
        user = User.objects.create_user(email, password, full_name=full_name, **extra)
        audit_record(
            by=by,
            event_type="accounts.user_created",
            obj=user,
            after=snapshot(user, ["email", "full_name", "is_staff", "is_superuser", "is_active"]),
        )
    return user


def notify(*, users: Iterable[User], text: str, url: str = "", email: bool = True, by: policy.Principal) -> int:
    """Tell each user (but the actor) in the app, and by e-mail unless `email` is false. E-mail
    goes after the current transaction commits, so a rolled-back change mails no one (and its
    in-app notifications roll back with it). Returns the number of users told."""

    actor_id = by.pk if isinstance(by, User) else None
    recipients = {u.pk: u for u in users if u.is_active and u.pk != actor_id}
    if not recipients:
        return 0
    Notification.objects.bulk_create(Notification(user=u, text=text[:300], url=url) for u in recipients.values())
    if email:
        link = f"\n\n{settings.SITE_URL.rstrip('/')}{url}" if url else ""
        messages = [
            (f"Samverkan: {text[:120]}", f"{text}{link}", settings.DEFAULT_FROM_EMAIL, [u.email])
            for u in recipients.values()
        ]
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return len(recipients)


def notifications_mark_read(*, user: User) -> int:

    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
