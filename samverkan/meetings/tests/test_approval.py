"""Approval of the minutes: sent for approval they are locked; the chair and the checker each
approve with an authenticator code; corrections are new, linked versions needing new approval."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from samverkan.accounts.models import Notification
from samverkan.audit.models import AuditEvent
from samverkan.meetings import services
from samverkan.meetings.minutes import content_hash, minutes_content
from samverkan.meetings.models import AgendaItem, MinutesStatus, MinutesVersion
from samverkan.meetings.tests.helpers import code_for, make_setting

pytestmark = pytest.mark.django_db


def _write(world, item, minutes: str):
    return services.agenda_item_update(
        item=item,
        title=item.title,
        kind=item.kind,
        presenter=item.presenter,
        description="",
        minutes=minutes,
        by=world.forum_secretary,
    )


def _approve(world, meeting):
    services.minutes_sign(meeting=meeting, code=code_for(world.falun_coordinator), by=world.falun_coordinator)
    return services.minutes_sign(meeting=meeting, code=code_for(world.region_coordinator), by=world.region_coordinator)


def test_minutes_sent_for_approval_are_locked_and_approved_by_both_signers(world):
    setting = make_setting(world)
    _write(world, setting.item, "Falun erbjuder Lunden, 34 platser.")
    services.decision_add(item=setting.item, text="Att Lunden används för länet", by=world.forum_secretary)
    version = services.minutes_send_for_approval(meeting=setting.meeting, by=world.forum_secretary)
    assert version.status == MinutesStatus.FOR_APPROVAL
    assert version.content_hash == content_hash(minutes_content(setting.meeting))
    assert version.content["items"][0]["decisions"] == [{"number": 1, "text": "Att Lunden används för länet"}]

    # Locked: no edit, decision, item or attendance change.
    with pytest.raises(ValidationError, match="locked"):
        _write(world, setting.item, "Ändrat i efterhand")
    with pytest.raises(ValidationError, match="locked"):
        services.decision_add(item=setting.item, text="Att smyga in", by=world.forum_secretary)
    with pytest.raises(ValidationError, match="locked"):
        services.agenda_item_add(meeting=setting.meeting, title="Sen punkt", by=world.forum_secretary)

    chair_signed = services.minutes_sign(
        meeting=setting.meeting, code=code_for(world.falun_coordinator), by=world.falun_coordinator
    )
    assert chair_signed.status == MinutesStatus.FOR_APPROVAL
    approved = services.minutes_sign(
        meeting=setting.meeting, code=code_for(world.region_coordinator), by=world.region_coordinator
    )
    assert approved.status == MinutesStatus.APPROVED and approved.approved_at is not None
    signatures = list(approved.signatures.values_list("role", "signer__email", "content_hash", "second_factor"))
    assert signatures == [
        ("chair", world.falun_coordinator.email, version.content_hash, True),
        ("checker", world.region_coordinator.email, version.content_hash, True),
    ]
    assert AgendaItem.objects.get(pk=setting.item.pk).minutes == "Falun erbjuder Lunden, 34 platser."
    with pytest.raises(ValidationError, match="locked"):
        _write(world, setting.item, "Ändrat efter justering")
    events = set(
        AuditEvent.objects.filter(event_type__startswith="meetings.minutes_").values_list("event_type", flat=True)
    )
    assert events == {"meetings.minutes_sent_for_approval", "meetings.minutes_signed", "meetings.minutes_approved"}


def test_a_wrong_code_or_a_missing_authenticator_signs_nothing(world):
    setting = make_setting(world)
    services.minutes_send_for_approval(meeting=setting.meeting, by=world.forum_secretary)
    code_for(world.falun_coordinator)
    with pytest.raises(ValidationError) as wrong:
        services.minutes_sign(meeting=setting.meeting, code="000000", by=world.falun_coordinator)
    assert "code" in wrong.value.message_dict
    with pytest.raises(ValidationError) as missing:
        services.minutes_sign(meeting=setting.meeting, code="123456", by=world.region_coordinator)
    assert "authenticator" in " ".join(missing.value.messages)
    assert not services.current_version(setting.meeting).signatures.exists()


def test_only_the_chair_and_the_checker_sign(world):
    setting = make_setting(world)
    services.minutes_send_for_approval(meeting=setting.meeting, by=world.forum_secretary)
    for persona in ("forum_secretary", "avesta_coordinator", "viewer", "outsider"):
        with pytest.raises(PermissionDenied):
            services.minutes_sign(meeting=setting.meeting, code=code_for(world.users[persona]), by=world.users[persona])
    with pytest.raises(ValidationError, match="chair and minutes checker"):
        services.minutes_sign(meeting=setting.meeting, code=code_for(world.admin), by=world.admin)
    services.minutes_sign(meeting=setting.meeting, code=code_for(world.falun_coordinator), by=world.falun_coordinator)
    with pytest.raises(ValidationError, match="already approved"):
        services.minutes_sign(meeting=setting.meeting, code="111111", by=world.falun_coordinator)


def test_returning_to_draft_drops_the_signatures_given(world):
    setting = make_setting(world)
    services.minutes_send_for_approval(meeting=setting.meeting, by=world.forum_secretary)
    services.minutes_sign(meeting=setting.meeting, code=code_for(world.falun_coordinator), by=world.falun_coordinator)
    version = services.minutes_return_to_draft(meeting=setting.meeting, by=world.forum_secretary)
    assert (version.status, version.signatures.count(), version.content_hash) == (MinutesStatus.DRAFT, 0, "")
    _write(world, setting.item, "Rättat före justering")


def test_a_correction_is_a_new_linked_version_that_needs_its_own_approval(world):
    setting = make_setting(world)
    _write(world, setting.item, "Lunden har 34 platser.")
    services.minutes_send_for_approval(meeting=setting.meeting, by=world.forum_secretary)
    first = _approve(world, setting.meeting)
    with pytest.raises(ValidationError):
        services.minutes_correct(meeting=setting.meeting, reason="  ", by=world.forum_secretary)

    correction = services.minutes_correct(
        meeting=setting.meeting, reason="Lunden kan utökas till 40 platser", by=world.forum_secretary
    )
    assert (correction.number, correction.corrects, correction.status) == (2, first, MinutesStatus.DRAFT)
    assert services.approved_version(setting.meeting) == first  # still the approved text until v2 is
    _write(world, setting.item, "Lunden har 34 platser och kan utökas till 40.")
    services.minutes_send_for_approval(meeting=setting.meeting, by=world.forum_secretary)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):  # a code is used only once
        second = _approve(world, setting.meeting)

    first.refresh_from_db()
    assert (first.status, second.status) == (MinutesStatus.SUPERSEDED, MinutesStatus.APPROVED)
    assert first.content["items"][0]["minutes"] == "Lunden har 34 platser."
    assert second.content["items"][0]["minutes"] == "Lunden har 34 platser och kan utökas till 40."
    assert first.content_hash != second.content_hash
    assert list(MinutesVersion.objects.filter(meeting=setting.meeting).values_list("number", "status")) == [
        (1, "superseded"),
        (2, "approved"),
    ]
    # A correction is opened only of approved minutes: not while one is a draft.
    services.minutes_correct(meeting=setting.meeting, reason="Stavfel", by=world.forum_secretary)
    with pytest.raises(ValidationError, match="Only approved minutes"):
        services.minutes_correct(meeting=setting.meeting, reason="Igen", by=world.forum_secretary)


def test_publishing_needs_approved_minutes_and_tells_the_members(world):
    setting = make_setting(world)
    with pytest.raises(ValidationError):
        services.meeting_publish(meeting=setting.meeting, by=world.forum_secretary)
    services.minutes_send_for_approval(meeting=setting.meeting, by=world.forum_secretary)
    _approve(world, setting.meeting)
    published = services.meeting_publish(meeting=setting.meeting, by=world.forum_secretary)
    assert published.is_published
    told = {
        persona
        for persona in (
            "falun_coordinator",
            "avesta_coordinator",
            "region_coordinator",
            "ludvika_coordinator",
            "outsider",
        )
        if Notification.objects.filter(user=world.users[persona], text__contains="are published").exists()
    }
    # Members: the forum's people and everyone in its member organisations (the region's
    # coordinator both); Ludvika is not a member, the outsider is in another county.
    assert told == {"falun_coordinator", "avesta_coordinator", "region_coordinator"}
