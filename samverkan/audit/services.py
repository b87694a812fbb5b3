"""Writing audit events and access-log rows. Call these inside the service's transaction."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, models, transaction
from django.forms.models import model_to_dict

from samverkan.audit.models import AccessLogEntry, AuditEvent
from samverkan.principals import ActingKey, OrganisationLike, Principal
from samverkan.requestcontext import current_request_id


class AuditOutsideTransaction(RuntimeError):
    """An audit event must be written in the same transaction as the change it records."""


# Never copied into audit rows: secrets and their hashes.
SECRET_FIELDS = frozenset({"password", "key_hash", "key", "bin_key"})


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe dict of a model instance's concrete fields, for before/after; secrets left out."""
    data = model_to_dict(instance, fields=fields)
    return {key: _json_safe(value) for key, value in data.items() if key not in SECRET_FIELDS}


def _json_safe(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return value


def actor_fields(by: Principal) -> dict[str, Any]:
    """Who acted, as the audit row's fields: a person, an API key, or the system."""
    if isinstance(by, AbstractBaseUser):
        return {"actor": by if by.is_authenticated else None, "api_key": None, "actor_label": by.get_username()}
    if isinstance(by, ActingKey):
        return {"actor": None, "api_key": by, "actor_label": f"API key {by.prefix} ({by.name})"}
    return {"actor": None, "api_key": None, "actor_label": "system"}


def audit_record(
    *,
    by: Principal,
    event_type: str,
    obj: models.Model | None = None,
    organisation: OrganisationLike | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one change. Raises if called outside a transaction, so a change cannot be
    committed while its audit row is lost (or the other way round)."""
    if not connection.in_atomic_block:
        raise AuditOutsideTransaction(f"audit_record({event_type!r}) must run inside transaction.atomic().")
    return AuditEvent.objects.create(
        **actor_fields(by),
        organisation_id=organisation.pk if organisation is not None else None,
        event_type=event_type,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        before=_json_safe(before) if before is not None else None,
        after=_json_safe(after) if after is not None else None,
        request_id=current_request_id.get(),
    )


def access_log_record(
    *,
    by: Principal,
    resource: str,
    reason: str,
    object_ids: Iterable[object] = (),
    organisation: OrganisationLike | None = None,
) -> AccessLogEntry:
    """Record a read of episode-level data (patient-data law requires who, what, when and why)."""
    with transaction.atomic():
        return AccessLogEntry.objects.create(
            **actor_fields(by),
            organisation_id=organisation.pk if organisation is not None else None,
            resource=resource,
            object_ids=[str(i) for i in object_ids],
            reason=reason,
            request_id=current_request_id.get(),
        )
