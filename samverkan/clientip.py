"""The address of the client a request comes from, the same for lock-out (django-axes) and the
rate limits.

Without proxies it is the connection's address (REMOTE_ADDR). Behind TRUSTED_PROXY_COUNT proxies
(a load balancer, perhaps a CDN in front of it) REMOTE_ADDR is the nearest proxy's, and each proxy
appends the address it saw to X-Forwarded-For: the client's address is then the N-th entry from
the right, the one the outermost trusted proxy wrote. Entries further left were written by the
client and are never read."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(entry: str) -> str | None:
    """The IP address in one X-Forwarded-For entry (a proxy may add the port), or None."""
    entry = entry.strip()
    if entry.startswith("[") and "]" in entry:  # [IPv6]:port
        entry = entry[1 : entry.index("]")]
    elif entry.count(":") == 1:  # IPv4:port
        entry = entry.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
        if entries:
            # Fewer entries than proxies: the request came in through the inner ones only, and
            # every entry is a proxy's, the left-most the client's.
            address = _address(entries[-min(proxies, len(entries))])
            if address is not None:
                return address
    return remote
