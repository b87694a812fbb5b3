"""Writes for accounts: API keys, second-factor devices and login events, each audited."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from samverkan.accounts.models import ApiKey, Notification, User
from samverkan.audit.services import audit_record, snapshot
from samverkan.organisations import policy

API_KEY_PREFIX = "sv"


def hash_api_key(raw_key: str) -> str:
    # Keys carry 256 bits of randomness, so a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, organisation, name: str, role: str, by: User | None) -> tuple[ApiKey, str]:
    """Create a key for `organisation` and return it with its raw value, which is never stored.
    The role must fit the organisation's kind and be one `by` holds there (any fitting role
    for an administrator, or for the system when `by` is None); ValidationError on `role` if not."""
    policy.require_api_key_role(by if by is not None else policy.SYSTEM, organisation, role)
    prefix = secrets.token_hex(4)
    raw_key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            organisation=organisation,
            name=name,
            role=role,
            prefix=prefix,
            key_hash=hash_api_key(raw_key),
            created_by=by,
        )
        audit_record(
            by=by,
            event_type="accounts.api_key_created",
            obj=key,
            organisation=organisation,
            after=snapshot(key, ["organisation", "name", "role", "prefix"]),
        )
    return key, raw_key


def api_key_revoke(*, api_key: ApiKey, by: User | None) -> ApiKey:
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


def totp_device_for_enrolment(*, user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator device, created on first need."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
    return device


def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Confirm enrolment when the token matches; returns whether it did."""
    with transaction.atomic():
        if not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(by=device.user, event_type="accounts.second_factor_enrolled", obj=device.user)
    return True


def login_recorded(*, user: User, second_factor: bool) -> None:
    with transaction.atomic():
        audit_record(by=user, event_type="accounts.login", obj=user, after={"second_factor": second_factor})


def user_create(*, email: str, password: str | None, full_name: str = "", by: User | None = None, **extra) -> User:
    with transaction.atomic():
        user = User.objects.create_user(email, password, full_name=full_name, **extra)
        audit_record(
            by=by,
            event_type="accounts.user_created",
            obj=user,
            after=snapshot(user, ["email", "full_name", "is_staff", "is_superuser", "is_active"]),
        )
    return user


def notify(*, users, text: str, url: str = "", email: bool = True, by=None) -> int:
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
