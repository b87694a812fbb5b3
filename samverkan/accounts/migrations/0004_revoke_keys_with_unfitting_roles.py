"""Revoke API keys whose role their organisation's kind cannot hold (a municipality's key acting
as region coordinator, made before the key page checked it). The policy already gives such keys
no rights; revoking them shows it on the key page, and each revocation is audited."""

from django.db import migrations
from django.utils import timezone

from samverkan.organisations import policy

REASON = "The key's role does not fit its organisation's kind (issue 17)."


def revoke_unfitting_keys(apps, schema_editor):
    ApiKey = apps.get_model("accounts", "ApiKey")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    now = timezone.now()
    for key in ApiKey.objects.filter(revoked_at__isnull=True).select_related("organisation"):
        if policy.role_fits(key.organisation.kind, key.role):
            continue
        key.revoked_at = now
        key.save(update_fields=["revoked_at"])
        AuditEvent.objects.create(
            actor_label="system",
            organisation_id=key.organisation_id,
            event_type="accounts.api_key_revoked",
            object_type="accounts.apikey",
            object_id=str(key.pk),
            before={"revoked_at": None},
            after={"revoked_at": now.isoformat(), "reason": REASON},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_notification"),
        ("audit", "0001_initial"),
        ("organisations", "0001_initial"),
    ]

    operations = [migrations.RunPython(revoke_unfitting_keys, migrations.RunPython.noop)]
