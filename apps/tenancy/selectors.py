from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import BooleanField, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django_scopes import scopes_disabled

from apps.tenancy.models import Membership, Role, Tenant, TenantHost

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from apps.accounts.models import User

logger = logging.getLogger(__name__)


def _host_normalise(hostname: str) -> str:
    return hostname.split(":", 1)[0].strip().lower().rstrip(".")


def tenant_for_host_all_tenants(*, hostname: str) -> Tenant | None:
    """The tenant served on `hostname`, or None, read from the database (services checking
    who owns a host use this one). Platform code: looks across tenants."""
    host = _host_normalise(hostname)
    if not host:
        return None
    with scopes_disabled():
        row = TenantHost.objects.select_related("tenant").filter(hostname=host).first()
    return row.tenant if row else None


# The tenant per host, cached for the middleware (every request): a process-local dict
# {hostname: (generation, read at, tenant or None)}, valid while the shared generation in
# the default cache is the one it was read under. Any change to a Tenant or TenantHost
# row replaces the generation (host_cache_bump, from the models' post_save/post_delete),
# so every process reads the host again on its next request: one cache GET instead of a
# query and a model load. HOST_CACHE_SECONDS bounds what the shared generation cannot
# see: a change made while Redis was down (bumped in the database fallback only).
HOST_CACHE_GENERATION_KEY = "tenancy:host-cache:generation"
HOST_CACHE_SECONDS = 60.0
HOST_CACHE_MAX_HOSTS = 1000  # unknown hosts are cached too; past this the dict is emptied
_host_cache: dict[str, tuple[str, float, Tenant | None]] = {}
_host_cache_lock = threading.Lock()


def _host_cache_generation() -> str:
    generation: str | None = cache.get(HOST_CACHE_GENERATION_KEY)
    if generation is None:
        cache.add(HOST_CACHE_GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        generation = cache.get(HOST_CACHE_GENERATION_KEY) or ""
    return generation


def tenant_for_host_cached_all_tenants(*, hostname: str) -> Tenant | None:
    """`tenant_for_host_all_tenants` through the host cache (the middleware's lookup). Each
    caller gets its own copy of the tenant, so a view changing it changes no other request's.
    Platform code: looks across tenants."""
    host = _host_normalise(hostname)
    if not host:
        return None
    try:
        generation = _host_cache_generation()
    except Exception:  # noqa: BLE001 - no shared cache at all: read the host, cache nothing
        logger.warning("tenancy: host cache unavailable; reading %s from the database", host)
        return tenant_for_host_all_tenants(hostname=host)
    hit = _host_cache.get(host)
    if hit is not None and hit[0] == generation and time.monotonic() - hit[1] < HOST_CACHE_SECONDS:
        tenant = hit[2]
    else:
        read_at = time.monotonic()
        tenant = tenant_for_host_all_tenants(hostname=host)
        with _host_cache_lock:
            if len(_host_cache) >= HOST_CACHE_MAX_HOSTS:
                _host_cache.clear()
            _host_cache[host] = (generation, read_at, tenant)
    return copy.copy(tenant) if tenant is not None else None


def host_cache_bump(**kwargs: Any) -> None:
    """A Tenant or TenantHost row changed: forget every cached host, in this process now
    and in every process through a new shared generation, now and again once the change
    commits (a request reading the host between the two bumps caches the old row under
    the first new generation, which the second one retires)."""

    def bump() -> None:
        with _host_cache_lock:
            _host_cache.clear()
        try:
            cache.set(HOST_CACHE_GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        except Exception:  # noqa: BLE001 - never fail the change; HOST_CACHE_SECONDS bounds it
            logger.warning("tenancy: could not retire the host cache generation", exc_info=True)

    bump()
    transaction.on_commit(bump)


def membership_get(*, tenant: Tenant, user: User | AnonymousUser | None) -> Membership | None:
    """The user's active membership in `tenant` (the middleware's, once per request), with
    `has_other_programs` annotated."""
    if user is None or not user.is_authenticated:
        return None
    rows = list(
        Membership.objects.filter(tenant=tenant, user=user, is_active=True).annotate(
            has_other_programs=_has_other_programs_all_tenants()
        )[:1]
    )
    return rows[0] if rows else None


# The same question as `Exists(Membership.objects.filter(user=OuterRef("user"),
# is_active=True).exclude(tenant=OuterRef("tenant")))`, written out: the ORM spent as long
# compiling that subquery as the rest of the membership query on every request (profiled
# in bench/profiles.py). Our own table, one index scan on (user_id).
_OTHER_PROGRAMS_SQL = (
    'EXISTS (SELECT 1 FROM "tenancy_membership" other '
    'WHERE other."user_id" = "tenancy_membership"."user_id" AND other."is_active" '
    'AND other."tenant_id" <> "tenancy_membership"."tenant_id")'
)


def _has_other_programs_all_tenants() -> RawSQL:
    """For a membership row: does its user have an active membership in another program?
    Lets the program switcher skip its query for the (usual) one-program user."""
    return RawSQL(_OTHER_PROGRAMS_SQL, (), output_field=BooleanField())  # noqa: S611 - constant SQL


def tenant_absolute_url(*, tenant: Tenant, path: str) -> str:
    """`path` on the tenant's primary host, for links that leave the site (emails)."""
    with scopes_disabled():
        host = (
            TenantHost.objects.filter(tenant=tenant)
            .order_by("-is_primary", "id")
            .values_list("hostname", flat=True)
            .first()
        )
    return _host_url(host=host, path=path)


def _host_url(*, host: str | None, path: str) -> str:
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{host}{port}{path}"


@dataclass(frozen=True)
class ProgramLink:
    """Another program the user belongs to, with the address of its primary host."""

    tenant_id: int
    name: str
    url: str


def memberships_of_user_all_tenants(
    *, user: User | AnonymousUser | None, exclude: Tenant | None = None
) -> list[ProgramLink]:
    """The programs where `user` has an active membership (but `exclude`), by name, each
    linking to its primary host (as `tenant_absolute_url`). One query. Platform code: looks
    across tenants."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    primary_host = (
        TenantHost.objects.filter(tenant=OuterRef("tenant"))
        .order_by("-is_primary", "id")
        .values("hostname")[:1]
    )
    with scopes_disabled():
        qs = Membership.objects.filter(user=user, is_active=True)
        if exclude is not None:
            qs = qs.exclude(tenant=exclude)
        rows = list(
            qs.annotate(host=Subquery(primary_host))
            .exclude(host=None)
            .order_by("tenant__name", "tenant_id")
            .values_list("tenant_id", "tenant__name", "host")
        )
    return [
        ProgramLink(tenant_id=tenant_id, name=name, url=_host_url(host=host, path="/"))
        for tenant_id, name, host in rows
    ]


def is_active_program_admin(*, tenant: Tenant, actor: Any) -> bool:
    """Whether `actor` (a user, anonymous or None) is an active program admin of `tenant`:
    the check every program-admin-only service makes before it raises its own error."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return Membership.objects.filter(
        tenant=tenant, user=actor, role=Role.PROGRAM_ADMIN, is_active=True
    ).exists()
