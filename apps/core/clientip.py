"""The real client address of a request, the one identity every rate limit counts on.

Behind proxies the TCP peer (REMOTE_ADDR) is the nearest proxy, so the client is read from a
header the proxies write. Headers are client-controlled, so one is believed only as far as
the operator says proxies of theirs wrote it:

- ``TRUSTED_PROXY_COUNT`` (default 0): how many proxies under our control stand in front of
  the app. With 0 every header is ignored and REMOTE_ADDR is the client: a spoofed
  ``X-Forwarded-For`` counts for nothing.
- ``CLIENT_IP_HEADER`` (default ``X-Forwarded-For``): the header they write. Each proxy
  appends the address it received the request from, so the client is the
  ``TRUSTED_PROXY_COUNT``-th entry from the right; whatever the client put further left is
  ignored. For a single-value header such as ``X-Real-IP`` set the count to 1.

A header with fewer entries than trusted proxies, or no valid address where the client should
be, falls back to REMOTE_ADDR (never an error: a bad header must not break a form).
allauth's limits use the same function (apps.accounts.adapter overrides get_client_ip).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

DEFAULT_HEADER = "X-Forwarded-For"


def _clean(value: str) -> str | None:
    """A bare, normalised IP address from `value` ("1.2.3.4:5678", "[::1]:80" included)."""
    value = value.strip()
    if value.startswith("["):  # [IPv6] or [IPv6]:port
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # IPv4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's IP address ("" only when even REMOTE_ADDR is missing)."""
    remote = _clean(request.META.get("REMOTE_ADDR", "") or "") or ""
    count: int = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    header: str = getattr(settings, "CLIENT_IP_HEADER", "") or DEFAULT_HEADER
    raw = request.headers.get(header, "")
    entries = [e for e in (part.strip() for part in raw.split(",")) if e]
    if len(entries) < count:
        return remote
    return _clean(entries[-count]) or remote
