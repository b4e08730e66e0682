"""Reads of the program settings page (/console/settings/)."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from apps.tenancy.models import Tenant, TenantHost

# The IANA areas of canonical zone names ("Europe/Paris"); legacy aliases ("US/Eastern",
# "Etc/GMT+3", "Japan") are left out of the choice so every program stores a canonical name.
TIME_ZONE_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@cache
def time_zone_names() -> frozenset[str]:
    """Every time zone a program may choose: "UTC" and the canonical IANA names."""
    return frozenset(
        {"UTC"}
        | {name for name in zoneinfo.available_timezones() if name.split("/")[0] in TIME_ZONE_AREAS}
    )


@cache
def time_zone_choices() -> list[tuple[str, object]]:
    """The time zones grouped by area for a <select> ("Europe" → "Europe/Paris"), UTC
    first; each keeps its area in its label, so the closed select is unambiguous."""
    groups: dict[str, list[tuple[str, str]]] = {area: [] for area in TIME_ZONE_AREAS}
    for name in sorted(time_zone_names() - {"UTC"}):
        groups[name.split("/", 1)[0]].append((name, name.replace("_", " ")))
    return [("UTC", "UTC"), *((area, zones) for area, zones in groups.items() if zones)]


def program_hosts(*, tenant: Tenant) -> list[TenantHost]:
    """The program's hostnames, the primary first, then by name (one query)."""
    return list(TenantHost.objects.filter(tenant=tenant).order_by("-is_primary", "hostname"))


def host_is_served(hostname: str) -> bool:
    """Whether the server configuration (ALLOWED_HOSTS) lets requests for `hostname` through.

    A host the configuration does not list gets Django's 400 before the tenant is resolved,
    so the page says so instead of letting the admin think the address works.
    """
    domain, _port = split_domain_port(hostname)
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)
