"""Privacy controls (issue 14), the writes: the retention setting, the daily purge of
unconfirmed applications and expired invitations, and erasing a person on request.

Erasure, in one transaction, for one program:
- Their applications and invitations, their membership (and partner user), and every row
  that belongs to their user alone (a foreign key that cascades: notifications, saved
  views, email preferences, digests…) are deleted. Files they uploaded for onboarding
  actions are deleted (after the commit), and the answers they submitted are cleared.
- Rows that record what they did stay (a foreign key that protects: audit events,
  partner events, action progress, API keys…): they name the person's stand-in. A
  foreign key that would be cleared on deletion (a partner's channel manager, a decision's
  author) is cleared.
- Every text column of the program's rows (audit log included, through its narrow
  redaction path, apps/audit/erasure.py) has the email replaced by the pseudonymous
  address and the names by the pseudonym, "Erased person 7f3a…", stable per person and
  program (an HMAC of the program and the email under SECRET_KEY).
- The stand-in: when the user belongs to no other program (and is not a platform
  operator), the user row itself is scrubbed (pseudonym, `erased-…@erased.invalid`,
  unusable password, inactive; their email addresses and authenticators deleted). When
  they are a member of another program, that program keeps them untouched and this
  program's rows are pointed at a new inactive stand-in user carrying the pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from apps.applications.models import (
    Application,
    ApplicationStatus,
    Invitation,
    InvitationStatus,
)
from apps.audit.erasure import audit_events_redact
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.core.files import private_storage
from apps.core.redaction import rows_redact
from apps.home import verbs
from apps.home.privacy import Person, person_resolve, tenant_models, user_foreign_keys
from apps.onboarding.models import ActionFile, ActionProgress
from apps.tenancy.models import Membership, Role, Tenant

logger = logging.getLogger(__name__)
User = get_user_model()

RETENTION_MIN_DAYS = 1
RETENTION_MAX_DAYS = 3650
ERASED_DOMAIN = "erased.invalid"


class PrivacyError(Exception):
    """A privacy request the rules refuse, with a message for the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PersonNotFound(Exception):
    """The key names nobody of this program (any more): already erased, or never here."""


# Retention ---------------------------------------------------------------------------------


@transaction.atomic
def privacy_retention_set(*, tenant: Tenant, actor: Any, days: int) -> bool:
    """Set how many days unconfirmed applications and expired invitations are kept. Returns
    False when nothing changed (nothing written, nothing audited)."""
    if not RETENTION_MIN_DAYS <= days <= RETENTION_MAX_DAYS:
        raise PrivacyError(
            _("Choose between %(min)d and %(max)d days.")
            % {"min": RETENTION_MIN_DAYS, "max": RETENTION_MAX_DAYS}
        )
    locked = Tenant.objects.select_for_update(of=("self",)).get(pk=tenant.pk)
    before = locked.privacy_retention_days
    if before == days:
        return False
    locked.privacy_retention_days = days
    locked.save(update_fields=["privacy_retention_days"])
    tenant.privacy_retention_days = days
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PRIVACY_RETENTION_CHANGED,
        target=locked,
        data={"from": before, "to": days},
    )
    return True


@dataclass(frozen=True)
class PurgeResult:
    applications: int
    invitations: int


@transaction.atomic
def retention_purge(*, tenant: Tenant) -> PurgeResult:
    """Delete the program's applications never confirmed and older than its retention, and
    its invitations expired (or revoked) longer ago than that; two set-based DELETEs and,
    when anything went, one audit row with the counts (no personal data)."""
    days = Tenant.objects.values_list("privacy_retention_days", flat=True).get(pk=tenant.pk)
    cutoff = timezone.now() - timedelta(days=days)
    applications = Application.objects.filter(
        tenant=tenant, status=ApplicationStatus.UNCONFIRMED, created_at__lt=cutoff
    ).delete()[0]
    # Applications made from a purged invitation keep their row; their link is cleared
    # (the foreign key's SET_NULL, one UPDATE).
    stale = Invitation.objects.filter(tenant=tenant).filter(
        Q(status=InvitationStatus.PENDING, expires_at__lt=cutoff)
        | Q(status=InvitationStatus.REVOKED, revoked_at__lt=cutoff)
    )
    invitations = stale.delete()[0]
    if applications or invitations:
        audit_record(
            tenant=tenant,
            actor=None,
            verb=verbs.PRIVACY_RETENTION_PURGED,
            target=tenant,
            data={"applications": applications, "invitations": invitations, "days": days},
        )
    return PurgeResult(applications=applications, invitations=invitations)


def retention_purge_all_tenants() -> dict[int, PurgeResult]:
    """The daily purge: every program in turn, each in its own scope and transaction."""
    with scopes_disabled():
        tenants = list(Tenant.objects.order_by("pk"))
    results: dict[int, PurgeResult] = {}
    for tenant in tenants:
        with scope(tenant=tenant):
            results[tenant.pk] = retention_purge(tenant=tenant)
    return results


# Erasure -----------------------------------------------------------------------------------


def pseudonym_digest(*, tenant: Tenant, email: str) -> str:
    key = settings.SECRET_KEY.encode()
    message = f"person:{tenant.pk}:{email.strip().lower()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:10]


def pseudonym(*, tenant: Tenant, email: str) -> tuple[str, str]:
    """The stable `(name, email)` that stand for an erased person in this program."""
    digest = pseudonym_digest(tenant=tenant, email=email)
    return f"Erased person {digest}", f"erased-{digest}@{ERASED_DOMAIN}"


@dataclass
class ErasureResult:
    pseudonym: str
    removed: dict[str, int] = field(default_factory=dict)


def _lock_person(*, tenant: Tenant, email: str) -> None:
    digest = hashlib.sha256(f"erase:{tenant.pk}:{email}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )


def _member_elsewhere_all_tenants(*, user: Any, tenant: Tenant) -> bool:
    with scopes_disabled():
        return Membership.objects.filter(user=user).exclude(tenant=tenant).exists()


def _last_admin_check(*, tenant: Tenant, person: Person) -> None:
    admins = list(
        Membership.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, role=Role.PROGRAM_ADMIN, is_active=True)
        .order_by("pk")
    )
    if any(m.user_id == person.user.pk for m in admins) and len(admins) <= 1:
        raise PrivacyError(
            _(
                "%(email)s is the program's last active program admin and cannot be erased. "
                "Make someone else a program admin first."
            )
            % {"email": person.email}
        )


def _needles(person: Person, pseudo_name: str, pseudo_email: str) -> list[tuple[str, str]]:
    """Email first, then each full name (longest first); a lone name of three characters or
    fewer is too common to replace everywhere and is not a needle."""
    emails = {person.email}
    if person.user is not None:
        emails.add(person.user.email.lower())
    names = sorted({n for n in person.names if " " in n or len(n) > 3}, key=len, reverse=True)
    return [(e, pseudo_email) for e in sorted(emails)] + [(n, pseudo_name) for n in names]


def _stand_in(*, person: Person, tenant: Tenant, name: str, email: str) -> Any:
    user = person.user
    if not _member_elsewhere_all_tenants(user=user, tenant=tenant) and not (
        user.is_staff or user.is_superuser
    ):
        return user
    stand_in = User.objects.filter(email=email).first()
    if stand_in is None:
        stand_in = User(email=email, first_name="Erased person", last_name=name.rsplit(" ", 1)[1])
        stand_in.is_active = False
        stand_in.set_unusable_password()
        stand_in.save()
    return stand_in


def _user_rows_settle(*, tenant: Tenant, user: Any, stand_in: Any, removed: dict[str, int]) -> None:
    """Every tenant-owned row pointing at the user: delete those that cascade, clear those
    that would be cleared, point the rest at the stand-in. The audit log is done apart."""
    for model in tenant_models():
        if model is AuditEvent:
            continue
        for fk in user_foreign_keys(model):
            rows = model._default_manager.filter(tenant=tenant, **{fk.attname: user.pk})
            on_delete = fk.remote_field.on_delete
            if on_delete is models.CASCADE:
                count, _by_model = rows.delete()
                if count:
                    removed[model._meta.label_lower] = (
                        removed.get(model._meta.label_lower, 0) + count
                    )
            elif on_delete is models.SET_NULL:
                rows.update(**{fk.attname: None})
            elif stand_in.pk != user.pk:
                rows.update(**{fk.attname: stand_in.pk})


def _user_scrub(*, user: Any, name: str, email: str) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.email = email
    user.first_name = "Erased person"
    user.last_name = name.rsplit(" ", 1)[1]
    user.is_active = False
    user.last_login = None
    user.set_unusable_password()
    user.save(
        update_fields=["email", "first_name", "last_name", "is_active", "last_login", "password"]
    )


def _files_delete(names: list[str]) -> None:
    storage = private_storage()
    for name in names:
        try:
            storage.delete(name)
        except OSError:  # already gone, or storage unreachable: the row is gone anyway
            logger.warning("privacy: could not delete an erased file", exc_info=True)


@transaction.atomic
def person_erase(*, tenant: Tenant, actor: Any, key: str, confirm_email: str) -> ErasureResult:
    """Erase the person `key` names from the program (see the module's docstring).

    Raises PersonNotFound when nobody is (any more) behind the key, so a second submit
    changes nothing; PrivacyError when the typed email does not match, when the admin
    erases themself, or when the person is the program's last active program admin."""
    found = person_resolve(tenant=tenant, key=key)
    if found is None:
        raise PersonNotFound(key)
    _lock_person(tenant=tenant, email=found.email)
    # Read again under the lock: a concurrent erasure may have just finished.
    person = person_resolve(tenant=tenant, key=key)
    if person is None:
        raise PersonNotFound(key)
    if confirm_email.strip().lower() != person.email:
        raise PrivacyError(_("Type the person’s email address exactly to confirm."))
    if person.user is not None:
        if actor is not None and person.user.pk == actor.pk:
            raise PrivacyError(_("You cannot erase yourself. Ask another program admin."))
        _last_admin_check(tenant=tenant, person=person)

    name, email = pseudonym(tenant=tenant, email=person.email)
    removed: dict[str, int] = {}
    files: list[str] = []

    removed["applications.application"] = Application.objects.filter(
        tenant=tenant, email=person.email
    ).delete()[0]
    removed["applications.invitation"] = Invitation.objects.filter(
        tenant=tenant, email=person.email
    ).delete()[0]

    stand_in = None
    if person.user is not None:
        user = person.user
        stand_in = _stand_in(person=person, tenant=tenant, name=name, email=email)
        uploads = ActionFile.objects.filter(tenant=tenant, uploaded_by=user)
        files = [n for n in uploads.values_list("file", flat=True) if n]
        removed["onboarding.actionfile"] = uploads.delete()[0]
        removed["answers_cleared"] = ActionProgress.objects.filter(
            tenant=tenant, submitted_by=user
        ).update(submission={})
        _user_rows_settle(tenant=tenant, user=user, stand_in=stand_in, removed=removed)

    replacements = _needles(person, name, email)
    rows_redact(Tenant.objects.filter(pk=tenant.pk), replacements)  # its support email
    for model in tenant_models():
        if model is not AuditEvent:
            rows_redact(model._default_manager.filter(tenant=tenant), replacements)
    audit_events_redact(
        tenant=tenant,
        replacements=replacements,
        actor_id=person.user.pk if person.user is not None else None,
        stand_in_id=stand_in.pk if stand_in is not None else None,
    )
    if person.user is not None and stand_in is not None and stand_in.pk == person.user.pk:
        _user_scrub(user=person.user, name=name, email=email)

    removed = {label: count for label, count in removed.items() if count}
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PRIVACY_PERSON_ERASED,
        target=tenant,
        data={"person": name, "removed": removed},
    )
    if files:
        transaction.on_commit(lambda: _files_delete(files))
    return ErasureResult(pseudonym=name, removed=removed)


def person_export_record(*, tenant: Tenant, actor: Any, person: Person) -> None:
    """Audit that an admin exported a person's data (who asked, for whom)."""
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PRIVACY_PERSON_EXPORTED,
        target=tenant,
        data={"person": person.email},
    )
