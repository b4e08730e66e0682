"""API keys: create (the secret is returned once), revoke, authenticate; the request log."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from apps.api import verbs
from apps.api.models import ApiKey, ApiKeyStatus, ApiRequestLog, ApiScope
from apps.audit.services import audit_record
from apps.tenancy.models import Membership, Role, Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User

KEY_PREFIX = "onr_"
# last_used_at is refreshed at most this often, so a busy key does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiKeyError(Exception):
    """An API key rule was broken; the message is shown to the user."""


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # the full key, shown once


def _hash(raw: str) -> str:
    # Keys are 256-bit random strings: a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(raw.encode()).hexdigest()


def _require_admin(*, tenant: Tenant, actor: User) -> None:
    if not Membership.objects.filter(
        tenant=tenant, user=actor, role=Role.PROGRAM_ADMIN, is_active=True
    ).exists():
        raise ApiKeyError(_("Only program admins manage API keys."))


@transaction.atomic
def api_key_create(
    *,
    tenant: Tenant,
    actor: User,
    name: str,
    scopes: Iterable[str] = (ApiScope.EVENTS_WRITE,),
    expires_at: datetime | None = None,
) -> NewKey:
    """A new key with `scopes` (at least one), valid until `expires_at` (None: no expiry)."""
    _require_admin(tenant=tenant, actor=actor)
    name = name.strip()
    if not name:
        raise ApiKeyError(_("Name the key after the system that will use it."))
    chosen = sorted(set(scopes))
    unknown = set(chosen) - set(ApiScope.values)
    if unknown:
        raise ApiKeyError(_("Unknown scope: %(scope)s.") % {"scope": ", ".join(sorted(unknown))})
    if not chosen:
        raise ApiKeyError(_("Choose at least one scope."))
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiKeyError(_("The expiry must be in the future."))
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        tenant=tenant,
        name=name[:100],
        prefix=prefix,
        secret_hash=_hash(raw),
        scopes=chosen,
        expires_at=expires_at,
        created_by=actor,
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.API_KEY_CREATED,
        target=key,
        data={
            "name": key.name,
            "scopes": chosen,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return NewKey(key=key, secret=raw)


@transaction.atomic
def api_key_revoke(*, tenant: Tenant, actor: User, key_id: int) -> ApiKey:
    _require_admin(tenant=tenant, actor=actor)
    key = ApiKey.objects.select_for_update().filter(tenant=tenant, pk=key_id).first()
    if key is None:
        raise ApiKeyError(_("That key does not exist."))
    if key.revoked_at is not None:
        raise ApiKeyError(_("That key is already revoked."))
    key.revoked_at = timezone.now()
    key.revoked_by = actor
    key.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.API_KEY_REVOKED,
        target=key,
        data={"name": key.name, "status": {"from": "active", "to": "revoked"}},
    )
    return key


def api_key_identify(*, tenant: Tenant, raw: str) -> ApiKey | None:
    """The key of `tenant` that `raw` is (whatever its status), or None. Constant-time
    comparison of the hash; a wrong secret for a real prefix is None."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    prefix, _sep, _rest = raw[len(KEY_PREFIX) :].partition("_")
    if not prefix:
        return None
    key = ApiKey.objects.filter(tenant=tenant, prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(raw)):
        return None
    return key


def api_key_touch(*, key: ApiKey, now: datetime) -> None:
    """Record that the key was used (at most once per LAST_USED_RESOLUTION)."""
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def api_key_authenticate(*, tenant: Tenant, raw: str) -> ApiKey | None:
    """The active (not revoked, not expired) key of `tenant` that `raw` is, or None."""
    key = api_key_identify(tenant=tenant, raw=raw)
    now = timezone.now()
    if key is None or key.status_at(now) != ApiKeyStatus.ACTIVE:
        return None
    api_key_touch(key=key, now=now)
    return key


def api_request_log_record(
    *, key: ApiKey, method: str, path: str, status: int, latency_ms: int
) -> None:
    """One row per API request made with a key (one INSERT, no body)."""
    ApiRequestLog.objects.create(
        tenant_id=key.tenant_id,
        key=key,
        method=method[:7],
        path=path[:200],
        status=status,
        latency_ms=max(0, latency_ms),
    )


def api_request_log_purge_all_tenants(*, older_than: timedelta, batch: int = 10_000) -> int:
    """Delete request-log rows older than `older_than`, in batches; the number deleted."""
    cutoff = timezone.now() - older_than
    deleted = 0
    with scopes_disabled():
        while True:
            ids = list(
                ApiRequestLog.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[
                    :batch
                ]
            )
            if not ids:
                return deleted
            deleted += ApiRequestLog.objects.filter(pk__in=ids).delete()[0]
