"""The authenticator code's back-off, said in words.

django-otp refuses every code, the right one too, for a while after a wrong one (1, 2, 4, 8 …
seconds). A page that then said "the code is wrong" would be untrue; it says how long to wait
instead, and the refused try is not counted as a wrong code."""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice


def wait_seconds(devices: Iterable[TOTPDevice]) -> int:
    """Seconds until a code may be tried again (0: now). With several devices, the shortest wait."""
    waits = []
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if allowed:
            return 0
        locked_until = (info or {}).get("locked_until")
        if locked_until is None:
            continue
        waits.append(max(1, math.ceil((locked_until - timezone.now()).total_seconds())))
    return min(waits) if waits else 0


def wait_message(seconds: int) -> str:
    return ngettext(
        "A wrong code was just given. Wait %(n)d second, then give the code now shown in the app.",
        "A wrong code was just given. Wait %(n)d seconds, then give the code now shown in the app.",
        seconds,
    ) % {"n": seconds}
