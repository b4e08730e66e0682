"""Which URLs an endpoint may have (server-side request forgery).

An endpoint URL must be https (plain http only when WEBHOOK_ALLOW_HTTP), carry no user name or
password, and name a host whose every address is public: private (10/8, 172.16/12,
192.168/16, fc00::/7), loopback, link-local (169.254/16: cloud metadata), multicast, reserved,
shared (100.64/10) and unspecified addresses are refused unless WEBHOOK_ALLOW_PRIVATE_HOSTS.

The check runs when an endpoint is saved and again at each delivery, where the request then
goes to the very address that was checked (apps/webhooks/delivery.py), so a name that
resolves elsewhere between the check and the connection (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    """The URL may not receive webhooks (the message says why, for the admin)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`ip`, `port`) and what to ask for."""

    scheme: str
    host: str  # as written (the Host header and the TLS server name)
    port: int
    path: str  # with its query
    ip: str


def _resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_is_public(ip: IPAddress) -> bool:
    """Whether `ip` is an ordinary address on the internet."""
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        return address_is_public(mapped)
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def url_split(url: str) -> SplitResult:
    """The parts of an endpoint URL, or AddressRefused for one we never send to."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise AddressRefused(_("Enter a valid URL.")) from exc
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise AddressRefused(_("The URL must start with https://."))
    if not parts.hostname:
        raise AddressRefused(_("Enter a valid URL."))
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(
            _("Leave the user name and password out of the URL: the signature proves the sender.")
        )
    return parts


def url_target(url: str) -> Target:
    """Resolve and check `url`: the address to connect to, or AddressRefused."""
    parts = url_split(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError, ValueError) as exc:
        raise AddressRefused(_("%(host)s could not be found (DNS).") % {"host": host}) from exc
    if not addresses:
        raise AddressRefused(_("%(host)s could not be found (DNS).") % {"host": host})
    if not settings.WEBHOOK_ALLOW_PRIVATE_HOSTS:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not address_is_public(ip):
                raise AddressRefused(
                    _(
                        "%(host)s is a private, loopback or otherwise internal address "
                        "(%(ip)s): webhooks go to public addresses only."
                    )
                    % {"host": host, "ip": address}
                )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port, path=path, ip=addresses[0])
