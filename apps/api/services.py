"""API keys: create (the secret is returned once), revoke, authenticate."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.api import verbs
from apps.api.models import ApiKey
from apps.audit.services import audit_record
from apps.tenancy.models import Membership, Role

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


def _require_admin(*, tenant, actor) -> None:
    if not Membership.objects.filter(
        tenant=tenant, user=actor, role=Role.PROGRAM_ADMIN, is_active=True
    ).exists():
        raise ApiKeyError("Only program admins manage API keys.")


@transaction.atomic
def api_key_create(*, tenant, actor, name: str) -> NewKey:
    _require_admin(tenant=tenant, actor=actor)
    name = name.strip()
    if not name:
        raise ApiKeyError("Name the key after the system that will use it.")
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        tenant=tenant, name=name[:100], prefix=prefix, secret_hash=_hash(raw), created_by=actor
    )
    audit_record(
        tenant=tenant, actor=actor, verb=verbs.API_KEY_CREATED, target=key, data={"name": key.name}
    )
    return NewKey(key=key, secret=raw)


@transaction.atomic
def api_key_revoke(*, tenant, actor, key_id: int) -> ApiKey:
    _require_admin(tenant=tenant, actor=actor)
    key = ApiKey.objects.select_for_update().filter(tenant=tenant, pk=key_id).first()
    if key is None:
        raise ApiKeyError("That key does not exist.")
    if key.revoked_at is not None:
        raise ApiKeyError("That key is already revoked.")
    key.revoked_at = timezone.now()
    key.revoked_by = actor
    key.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        tenant=tenant, actor=actor, verb=verbs.API_KEY_REVOKED, target=key, data={"name": key.name}
    )
    return key


def api_key_authenticate(*, tenant, raw: str) -> ApiKey | None:
    """The active key of `tenant` that `raw` is, or None. Constant-time comparison."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    prefix, _, _ = raw[len(KEY_PREFIX) :].partition("_")
    key = ApiKey.objects.filter(tenant=tenant, prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
