"""Setting up a whole program: the one place that knows every layer's starting data."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from apps.accounts.services import set_password_path, user_get_or_create
from apps.applications.services import program_settings_install
from apps.audit.services import audit_record
from apps.home import verbs
from apps.milestones.services import milestone_template_install
from apps.partners.models import PartnerType
from apps.partners.services import partner_tiers_install_defaults, partner_types_install_defaults
from apps.tenancy.models import STAFF_ROLES, Membership, Role, Tenant, TenantHost
from apps.tenancy.selectors import tenant_absolute_url
from apps.tenancy.services import membership_grant, tenant_create

HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


class ProgramError(Exception):
    """A program cannot be created as asked; the message says why."""


def _program_check_all_tenants(*, slug: str, hostnames: list[str], admin_email: str) -> None:
    """Refuse what would fail or clash before anything is written. Platform code."""
    try:
        validate_slug(slug)
    except ValidationError as exc:
        raise ProgramError(
            _("“%(slug)s” is not a valid slug: use letters, numbers, hyphens.") % {"slug": slug}
        ) from exc
    if not hostnames:
        raise ProgramError(_("Give the program at least one host."))
    for hostname in hostnames:
        if not HOSTNAME_RE.match(hostname):
            raise ProgramError(_("“%(host)s” is not a valid hostname.") % {"host": hostname})
    if len(set(hostnames)) != len(hostnames):
        raise ProgramError(_("A host is given twice."))
    if admin_email:
        try:
            validate_email(admin_email)
        except ValidationError as exc:
            raise ProgramError(
                _("“%(email)s” is not a valid email address.") % {"email": admin_email}
            ) from exc
    with scopes_disabled():
        if Tenant.objects.filter(slug=slug).exists():
            raise ProgramError(
                _("A program with the slug “%(slug)s” already exists; nothing was changed.")
                % {"slug": slug}
            )
        taken = sorted(
            TenantHost.objects.filter(hostname__in=hostnames).values_list("hostname", flat=True)
        )
    if taken:
        raise ProgramError(
            _("The host %(hosts)s already serves another program.") % {"hosts": ", ".join(taken)}
        )


def _program_install(*, tenant: Tenant, actor: Any, milestone_template: bool) -> dict[str, int]:
    """What was missing and is now installed (counts), inside the tenant's scope."""
    with scope(tenant=tenant):
        # The defaults only for a program without types: one that renamed or removed a
        # default type must not get it back on the next save.
        has_types = PartnerType.objects.filter(tenant=tenant).exists()
        installed = {
            "partner_types": 0 if has_types else len(partner_types_install_defaults(tenant=tenant)),
            "tiers": len(partner_tiers_install_defaults(tenant=tenant)),
            "milestones": 0,
            "tracks": 0,
            "settings": int(program_settings_install(tenant=tenant)),
        }
        if milestone_template:
            installed.update(milestone_template_install(tenant=tenant, actor=actor))
    return installed


@transaction.atomic
def program_complete(*, tenant: Tenant, actor: Any = None) -> dict[str, int]:
    """Install what the program is missing to work at once: the default partner types, the
    standard milestone template and the application settings. Idempotent: what exists is
    left as the program has edited it; nothing is recorded when nothing was missing. Runs
    for programs made outside `program_create` (the operator's admin)."""
    installed = _program_install(tenant=tenant, actor=actor, milestone_template=True)
    if any(installed.values()):
        with scope(tenant=tenant):
            audit_record(
                tenant=tenant,
                actor=actor,
                verb=verbs.PROGRAM_COMPLETED,
                target=tenant,
                data={"installed": installed},
            )
    return installed


@transaction.atomic
def program_create(
    *,
    actor: Any,
    slug: str,
    name: str,
    hostnames: list[str],
    milestone_template: bool = True,
    admin_email: str = "",
    admin_first_name: str = "",
    admin_last_name: str = "",
    **fields: Any,
) -> Tenant:
    """A complete program: its hosts (the first is primary), partner types, (unless told not
    to: tests that do not need it) the standard milestone template, its settings and, given
    `admin_email`, its first program admin, who is emailed after the commit (a set-password
    link for a new person). Raises ProgramError, with nothing created, when the slug or a
    host is taken or the input is invalid."""
    slug = slug.strip()
    hostnames = [h.strip().lower().rstrip(".") for h in hostnames]
    admin_email = admin_email.strip().lower()
    _program_check_all_tenants(slug=slug, hostnames=hostnames, admin_email=admin_email)
    tenant = tenant_create(slug=slug, name=name, hostnames=hostnames, **fields)
    with scope(tenant=tenant):
        installed = _program_install(
            tenant=tenant, actor=actor, milestone_template=milestone_template
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            verb=verbs.PROGRAM_CREATED,
            target=tenant,
            data={"installed": installed},
        )
        if admin_email:
            membership = staff_member_add(
                tenant=tenant,
                actor=actor,
                email=admin_email,
                role=Role.PROGRAM_ADMIN,
                first_name=admin_first_name,
                last_name=admin_last_name,
            )
            _outbox_enqueue(
                tenant=tenant,
                kind="home.program_admin_email",
                payload={"user_id": membership.user_id},
                summary=admin_email,
            )
    return tenant


def program_admin_email_send(*, tenant_id: int, user_id: int) -> None:
    """Welcome the program's first admin: a set-password link (allauth's single-use,
    expiring password-reset key, as for approved applicants) or, for someone who already
    has a password (an admin of another program), a sign-in link."""
    tenant = Tenant.objects.get(pk=tenant_id)
    user = get_user_model().objects.get(pk=user_id)
    has_password = user.has_usable_password()
    path = reverse("account_login") if has_password else set_password_path(user)
    context = {
        "tenant": tenant,
        "user": user,
        "has_password": has_password,
        "url": tenant_absolute_url(tenant=tenant, path=path),
        "reset_url": tenant_absolute_url(tenant=tenant, path=reverse("account_reset_password")),
    }
    _email_send(tenant=tenant, user=user, template="home/emails/program_admin", context=context)


@transaction.atomic
def staff_member_add(
    *,
    tenant: Tenant,
    actor: Any,
    email: str,
    role: Role,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
) -> Any:
    if role not in STAFF_ROLES:
        raise ValueError("Staff members are program admins or channel managers.")
    user, _created = user_get_or_create(
        email=email, first_name=first_name, last_name=last_name, password=password
    )
    membership, previous = membership_grant(tenant=tenant, user=user, role=role)
    if previous is not None:
        audit_record(
            tenant=tenant,
            actor=actor,
            verb=verbs.STAFF_ADDED if previous == "" else verbs.STAFF_ROLE_CHANGED,
            target=membership,
            data={"user": user.email, "from": previous or None, "to": str(role)},
        )
    return membership


# Staff (/console/settings/team/): invite, resend, change role, deactivate, reactivate.


class StaffError(Exception):
    """A staff change the rules refuse; the message is shown to the program admin."""


def _staff_lock(*, tenant: Tenant, actor: Any, membership_id: int) -> tuple[Membership, int]:
    """Lock the program's admin memberships and the target (primary-key order) and return
    the target with the number of active program admins. Raises Membership.DoesNotExist
    for an id that is not staff of this program, StaffError when the actor is no longer an
    active program admin (another admin got there first)."""
    ids = set(
        Membership.objects.filter(tenant=tenant, role=Role.PROGRAM_ADMIN).values_list(
            "pk", flat=True
        )
    )
    ids.add(membership_id)
    locked = {
        m.pk: m
        for m in Membership.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk__in=ids)
        .select_related("user")
        .order_by("pk")
    }
    membership = locked.get(membership_id)
    if membership is None or membership.role not in STAFF_ROLES:
        raise Membership.DoesNotExist
    admins = [m for m in locked.values() if m.role == Role.PROGRAM_ADMIN and m.is_active]
    if actor is not None and not any(m.user_id == actor.pk for m in admins):
        raise StaffError(_("Only an active program admin can change the staff."))
    return membership, len(admins)


def _last_admin_check(*, membership: Membership, active_admins: int) -> None:
    if membership.role == Role.PROGRAM_ADMIN and membership.is_active and active_admins <= 1:
        raise StaffError(
            _(
                "%(user)s is the program's last active program admin. Make someone else a "
                "program admin first."
            )
            % {"user": membership.user.email}
        )


@transaction.atomic
def staff_invite(
    *,
    tenant: Tenant,
    actor: Any,
    email: str,
    role: Role,
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Invite `email` to the staff with `role`: a membership (for an existing user of another
    program, not a second account) and, after the commit, an email with a single-use,
    expiring set-password link (or a sign-in link for someone who has a password).
    Audited as staff.added (from none to the role) by `staff_member_add`."""
    email = email.strip().lower()
    # One invitation at a time per program, so a double submit cannot create two.
    Tenant.objects.select_for_update().get(pk=tenant.pk)
    existing = (
        Membership.objects.filter(tenant=tenant, user__email__iexact=email)
        .select_for_update(of=("self",))
        .first()
    )
    if existing is not None:
        if existing.role not in STAFF_ROLES:
            raise StaffError(_("%(email)s is a partner user of this program.") % {"email": email})
        if not existing.is_active:
            raise StaffError(
                _("%(email)s was deactivated: reactivate them instead.") % {"email": email}
            )
        raise StaffError(_("%(email)s is already on the staff.") % {"email": email})
    membership = staff_member_add(
        tenant=tenant,
        actor=actor,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
    )
    _staff_invitation_send_on_commit(tenant=tenant, actor=actor, membership=membership)
    return membership


def _staff_invitation_send_on_commit(*, tenant: Tenant, actor: Any, membership: Membership) -> None:
    """Queue the staff invitation in the outbox, in the current transaction."""
    _outbox_enqueue(
        tenant=tenant,
        kind="home.staff_invitation_email",
        payload={
            "user_id": membership.user_id,
            "inviter_id": actor.pk if actor is not None else None,
        },
        summary=membership.user.email,
    )


def _outbox_enqueue(**kwargs: Any) -> None:
    from apps.outbox.services import outbox_enqueue

    outbox_enqueue(**kwargs)


def staff_is_pending(membership: Membership) -> bool:
    """Invited and not yet set a password (so never signed in)."""
    return not membership.user.has_usable_password()


@transaction.atomic
def staff_invitation_resend(*, tenant: Tenant, actor: Any, membership_id: int) -> Membership:
    """A new set-password link for an invitee who has not set a password yet."""
    membership, _admins = _staff_lock(tenant=tenant, actor=actor, membership_id=membership_id)
    if not membership.is_active:
        raise StaffError(_("Reactivate %(user)s first.") % {"user": membership.user.email})
    if not staff_is_pending(membership):
        raise StaffError(
            _("%(user)s has already set a password.") % {"user": membership.user.email}
        )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.STAFF_INVITATION_RESENT,
        target=membership,
        data={"user": membership.user.email},
    )
    _staff_invitation_send_on_commit(tenant=tenant, actor=actor, membership=membership)
    return membership


@transaction.atomic
def staff_role_change(*, tenant: Tenant, actor: Any, membership_id: int, role: Role) -> Membership:
    """Make a staff member a program admin or a channel manager; the last active program
    admin cannot be demoted."""
    if role not in STAFF_ROLES:
        raise StaffError(_("Staff members are program admins or channel managers."))
    membership, admins = _staff_lock(tenant=tenant, actor=actor, membership_id=membership_id)
    if membership.role == role:
        return membership
    _last_admin_check(membership=membership, active_admins=admins)
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.STAFF_ROLE_CHANGED,
        target=membership,
        data={"user": membership.user.email, "from": previous, "to": str(role)},
    )
    return membership


@transaction.atomic
def staff_active_set(*, tenant: Tenant, actor: Any, membership_id: int, active: bool) -> Membership:
    """Deactivate (they can no longer sign in to this program) or reactivate a staff
    member; the last active program admin cannot be deactivated."""
    membership, admins = _staff_lock(tenant=tenant, actor=actor, membership_id=membership_id)
    if membership.is_active == active:
        return membership
    if not active:
        _last_admin_check(membership=membership, active_admins=admins)
    membership.is_active = active
    membership.save(update_fields=["is_active"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.STAFF_REACTIVATED if active else verbs.STAFF_DEACTIVATED,
        target=membership,
        data={"user": membership.user.email, "from": not active, "to": active},
    )
    return membership


def staff_invitation_email_send(*, tenant_id: int, user_id: int, inviter_id: int | None) -> None:
    """The staff invitation: a set-password link (allauth's single-use, expiring
    password-reset key, bound to the program's host) or, for someone who already has a
    password (staff of another program), a sign-in link."""
    User = get_user_model()
    tenant = Tenant.objects.get(pk=tenant_id)
    user = User.objects.get(pk=user_id)
    inviter = User.objects.filter(pk=inviter_id).first() if inviter_id else None
    with scope(tenant=tenant):
        membership = Membership.objects.get(tenant=tenant, user=user)
    has_password = user.has_usable_password()
    path = reverse("account_login") if has_password else set_password_path(user)
    context = {
        "tenant": tenant,
        "user": user,
        "inviter": inviter,
        "role": membership.get_role_display(),
        "has_password": has_password,
        "url": tenant_absolute_url(tenant=tenant, path=path),
        "reset_url": tenant_absolute_url(tenant=tenant, path=reverse("account_reset_password")),
    }
    _email_send(tenant=tenant, user=user, template="home/emails/staff_invitation", context=context)


def _email_send(*, tenant: Tenant, user: Any, template: str, context: dict[str, Any]) -> None:
    """Send one of this app's emails (body.txt, body.html under `template`, with the
    program's wording of "home.<name>") to `user`, from the program's name."""
    from apps.notifications.rendering import email_render, email_send

    key = "home." + template.rstrip("/").rsplit("/", 1)[-1]
    rendered = email_render(tenant=tenant, key=key, context=context)
    email_send(tenant=tenant, to=user.email, rendered=rendered, reply_to_support=False)
