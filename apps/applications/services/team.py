"""The users of a partner account: its partner admins manage them at /portal/team/, the
program's staff on the console's partner page (/console/partners/<id>/users/…). One set of
services for both; who the actor is decides the rules (DOMAIN §8, issue 10 points 3 and 6):

- A partner admin (active, of this account) invites addresses in the account's domains only,
  and cannot demote or remove the account's last active partner admin (themselves included).
- Staff (any active program admin or channel manager, as for editing the account: the
  console's partner views are open to every CAM, not only the assigned one) may invite any
  address: "unless staff allow others" is staff inviting that address themselves. Staff may
  also demote or remove the last partner admin (someone who left the company must lose
  access); the audit event says the account has no partner admin left, and the console warns.
- `actor=None` is the system, with the staff's rules.

Every write locks the partner account's row first, so writes to one team run one after the
other: the "at least one active partner admin" rule is checked on committed data (two admins
removing each other leave one), and a double-submitted invitation finds the first one's user.
The actor is re-checked under that lock: an admin removed a moment ago can change nothing.
Each change records one audit event on the partner's timeline, with the before and the after.
The invitation email (the single-use set-password link of an approval) goes out after commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.services import set_password_path
from apps.applications import verbs
from apps.audit.services import audit_record
from apps.notifications.rendering import email_send
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerUser
from apps.partners.services import PartnerError, partner_user_add
from apps.tenancy.models import PARTNER_ROLES, STAFF_ROLES, Membership, Role
from apps.tenancy.selectors import tenant_absolute_url

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


class TeamError(Exception):
    """A team rule was broken; the message is shown to the partner admin or staff member."""


class TeamMemberNotFound(TeamError):
    """The user is not on this partner account (views answer 404)."""


def _lock_account(*, tenant: Tenant, account_id: int) -> PartnerAccount:
    account = (
        PartnerAccount.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk=account_id)
        .first()
    )
    if account is None:
        raise TeamMemberNotFound(_("Unknown partner account."))
    return account


def _actor_is_staff(*, tenant: Tenant, actor: Any, account: PartnerAccount) -> bool:
    """Whether the actor manages the account's users as staff (True) or as one of its partner
    admins (False), now, under the account's lock; TeamError for anyone else. An API key
    of the program (an actor that is not a user, named by `audit_label`) acts with the
    staff's rules: the API has checked its scope (apps/api/auth.py)."""
    if actor is None:
        return True
    if getattr(actor, "audit_label", None) is not None:
        if getattr(actor, "tenant_id", None) == tenant.pk:
            return True
        raise TeamError(_("This API key belongs to another program."))
    membership = (
        Membership.objects.filter(tenant=tenant, user_id=getattr(actor, "pk", None), is_active=True)
        .select_related("partner_user")
        .first()
    )
    if membership is not None:
        if membership.role in STAFF_ROLES:
            return True
        link = getattr(membership, "partner_user", None)
        if (
            membership.role == Role.PARTNER_ADMIN
            and link is not None
            and link.account_id == account.pk
        ):
            return False
    raise TeamError(
        _("Only a partner admin of %(account)s can manage its team.") % {"account": account.name}
    )


def _lock_member(*, tenant: Tenant, account: PartnerAccount, member_id: int) -> Membership:
    """The membership of the account's user `member_id` (a PartnerUser id), locked."""
    link = PartnerUser.objects.filter(tenant=tenant, account=account, pk=member_id).first()
    if link is None:
        raise TeamMemberNotFound(_("This person is not on your team."))
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(tenant=tenant, pk=link.membership_id)
    )
    if membership.role not in PARTNER_ROLES:
        # Became program staff since: no longer one of the account's users.
        raise TeamMemberNotFound(_("This person is not on your team."))
    return membership


def _other_active_admins(*, tenant: Tenant, account: PartnerAccount, membership: Membership) -> int:
    return (
        PartnerUser.objects.filter(
            tenant=tenant,
            account=account,
            membership__role=Role.PARTNER_ADMIN,
            membership__is_active=True,
        )
        .exclude(membership=membership)
        .count()
    )


def _is_last_admin(*, tenant: Tenant, account: PartnerAccount, membership: Membership) -> bool:
    """Whether `membership` is the account's only active partner admin."""
    return (
        membership.role == Role.PARTNER_ADMIN
        and membership.is_active
        and not _other_active_admins(tenant=tenant, account=account, membership=membership)
    )


def _last_admin_refused() -> TeamError:
    return TeamError(
        _("Your team needs at least one partner admin. Make someone else an admin first.")
    )


def allowed_domains(*, tenant: Tenant, account: PartnerAccount) -> list[str]:
    return list(
        PartnerDomain.objects.filter(tenant=tenant, account=account).values_list(
            "domain", flat=True
        )
    )


def _domain_check(*, email: str, domains: list[str]) -> None:
    """A partner admin's rule: the address is in one of the account's domains."""
    if email.rpartition("@")[2] not in domains:
        raise TeamError(
            _("You can invite addresses at %(domains)s only.")
            % {"domains": ", ".join(f"@{d}" for d in domains) or _("your company’s domains")}
        )


def _invite_refusal(
    *, email: str, existing: Membership, account: PartnerAccount, by_staff: bool
) -> TeamError | None:
    """Why `email`, which already has a membership in the program, cannot be invited to
    `account` (None: they are a removed user of this account, invited back)."""
    link = getattr(existing, "partner_user", None)
    if link is not None and link.account_id == account.pk:
        if not existing.is_active:
            return None
        if by_staff:
            return TeamError(
                _("%(email)s is already a user of %(account)s.")
                % {"email": email, "account": account.name}
            )
        return TeamError(_("%(email)s is already on your team.") % {"email": email})
    if link is None and existing.role in PARTNER_ROLES and not existing.is_active:
        return None  # a removed partner user without an account: this one takes them
    if not by_staff:
        return TeamError(
            _("%(email)s already has access to the program. Ask your channel manager.")
            % {"email": email}
        )
    if link is not None:
        return TeamError(
            _("%(email)s is a user of another partner account, %(account)s.")
            % {"email": email, "account": link.account.name}
        )
    return TeamError(_("%(email)s is on the program’s staff.") % {"email": email})


@transaction.atomic
def team_member_invite(
    *,
    tenant: Tenant,
    actor: Any,
    account_id: int,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> PartnerUser:
    """Add a user to the account (a partner admin: an address in one of its domains; staff:
    any address) and email them a link. Someone who uses another program keeps their one
    account and gets a membership here; a removed user of this account is invited back."""
    account = _lock_account(tenant=tenant, account_id=account_id)
    by_staff = _actor_is_staff(tenant=tenant, actor=actor, account=account)
    if role not in PARTNER_ROLES:
        raise TeamError(_("Choose partner admin or partner user."))
    email = email.strip().lower()
    domains = allowed_domains(tenant=tenant, account=account)
    outside = email.rpartition("@")[2] not in domains
    if not by_staff:
        _domain_check(email=email, domains=domains)
    existing = (
        Membership.objects.filter(tenant=tenant, user__email__iexact=email)
        .select_related("partner_user__account")
        .first()
    )
    previous = None
    if existing is not None:
        refusal = _invite_refusal(
            email=email, existing=existing, account=account, by_staff=by_staff
        )
        if refusal is not None:
            raise refusal
        previous = "removed"
    try:
        member = partner_user_add(
            tenant=tenant,
            actor=actor,
            account=account,
            email=email,
            role=Role(role),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            audit=False,  # one event, this one, says it all
        )
    except PartnerError as exc:
        raise TeamError(str(exc)) from exc
    data: dict[str, Any] = {"user": email, "from": previous, "to": role}
    if outside:
        data["outside_domains"] = True
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TEAM_MEMBER_INVITED,
        target=account,
        partner_id=account.pk,
        data=data,
    )
    _send_invitation_on_commit(tenant=tenant, member_id=member.pk, by_staff=by_staff, email=email)
    return member


def _send_invitation_on_commit(
    *, tenant: Tenant, member_id: int, by_staff: bool, email: str = ""
) -> None:
    """Queue the set-password invitation in the outbox, in the current transaction."""
    from apps.outbox.services import outbox_enqueue

    outbox_enqueue(
        tenant=tenant,
        kind="applications.team_invitation_email",
        payload={"member_id": member_id, "by_staff": by_staff},
        summary=email or f"team member #{member_id}",
    )


def team_member_is_pending(membership: Membership) -> bool:
    """Invited and not signed in yet: no password set (the set-password link is unused)."""
    return not membership.user.has_usable_password()


@transaction.atomic
def team_member_invitation_resend(
    *, tenant: Tenant, actor: Any, account_id: int, member_id: int
) -> Membership:
    """A new set-password link for a user who has not set a password yet."""
    account = _lock_account(tenant=tenant, account_id=account_id)
    by_staff = _actor_is_staff(tenant=tenant, actor=actor, account=account)
    membership = _lock_member(tenant=tenant, account=account, member_id=member_id)
    if not membership.is_active:
        raise TeamError(_("Reactivate %(user)s first.") % {"user": membership.user.email})
    if not team_member_is_pending(membership):
        raise TeamError(
            _("%(user)s has already set a password and can sign in.")
            % {"user": membership.user.email}
        )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TEAM_INVITATION_RESENT,
        target=account,
        partner_id=account.pk,
        data={"user": membership.user.email, "role": membership.role},
    )
    _send_invitation_on_commit(
        tenant=tenant, member_id=member_id, by_staff=by_staff, email=membership.user.email
    )
    return membership


@transaction.atomic
def team_member_role_change(
    *, tenant: Tenant, actor: Any, account_id: int, member_id: int, role: str
) -> Membership:
    """Make a user a partner admin or a partner user. A partner admin cannot demote the
    last active partner admin; staff can (the event says the account has none left)."""
    account = _lock_account(tenant=tenant, account_id=account_id)
    by_staff = _actor_is_staff(tenant=tenant, actor=actor, account=account)
    if role not in PARTNER_ROLES:
        raise TeamError(_("Choose partner admin or partner user."))
    membership = _lock_member(tenant=tenant, account=account, member_id=member_id)
    if not membership.is_active:
        if by_staff:
            raise TeamError(_("Reactivate %(user)s first.") % {"user": membership.user.email})
        raise TeamError(_("This person was removed from your team; invite them again."))
    before = membership.role
    if before == role:
        return membership
    last = _is_last_admin(tenant=tenant, account=account, membership=membership)
    if last and not by_staff:
        raise _last_admin_refused()
    membership.role = role
    membership.save(update_fields=["role"])
    data: dict[str, Any] = {"user": membership.user.email, "from": before, "to": role}
    if last:
        data["no_admin_left"] = True
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TEAM_MEMBER_ROLE_CHANGED,
        target=account,
        partner_id=account.pk,
        data=data,
    )
    return membership


@transaction.atomic
def team_member_remove(
    *, tenant: Tenant, actor: Any, account_id: int, member_id: int
) -> Membership:
    """Deactivate the membership (the link stays, so the person can be invited back or, by
    staff, reactivated). A partner admin cannot remove the last active partner admin (not
    even themselves); staff can (the event says the account has none left)."""
    account = _lock_account(tenant=tenant, account_id=account_id)
    by_staff = _actor_is_staff(tenant=tenant, actor=actor, account=account)
    membership = _lock_member(tenant=tenant, account=account, member_id=member_id)
    if not membership.is_active:
        return membership
    last = _is_last_admin(tenant=tenant, account=account, membership=membership)
    if last and not by_staff:
        raise _last_admin_refused()
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    data: dict[str, Any] = {
        "user": membership.user.email,
        "role": membership.role,
        "from": "active",
        "to": "removed",
    }
    if last:
        data["no_admin_left"] = True
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TEAM_MEMBER_REMOVED,
        target=account,
        partner_id=account.pk,
        data=data,
    )
    return membership


@transaction.atomic
def team_member_reactivate(
    *, tenant: Tenant, actor: Any, account_id: int, member_id: int
) -> Membership:
    """Give a removed user their access back, with the role they had (no email: they sign
    in as before, or staff resend the invitation if they never set a password). A partner
    admin may reactivate only addresses in the account's domains."""
    account = _lock_account(tenant=tenant, account_id=account_id)
    by_staff = _actor_is_staff(tenant=tenant, actor=actor, account=account)
    membership = _lock_member(tenant=tenant, account=account, member_id=member_id)
    if membership.is_active:
        return membership
    if not by_staff:
        _domain_check(
            email=membership.user.email.lower(),
            domains=allowed_domains(tenant=tenant, account=account),
        )
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TEAM_MEMBER_REACTIVATED,
        target=account,
        partner_id=account.pk,
        data={
            "user": membership.user.email,
            "role": membership.role,
            "from": "removed",
            "to": "active",
        },
    )
    return membership


def team_invitation_email_deliver(
    *, tenant: Tenant, member_id: int, by_staff: bool = False
) -> bool:
    """Send the invitation: a set-password link (single use), or sign in if they have a
    password already (a user of another program). False when they were removed meanwhile.
    `by_staff`: the program's staff invited them (the email says so), not a colleague."""

    from apps.notifications.rendering import email_render

    link = (
        PartnerUser.objects.filter(tenant=tenant, pk=member_id, membership__is_active=True)
        .select_related("account", "membership__user")
        .first()
    )
    if link is None:
        return False
    user = get_user_model().objects.get(pk=link.membership.user_id)
    has_password = user.has_usable_password()
    path = reverse("account_login") if has_password else set_password_path(user)
    context = {
        "tenant": tenant,
        "account": link.account,
        "user": user,
        "has_password": has_password,
        "by_staff": by_staff,
        "url": tenant_absolute_url(tenant=tenant, path=path),
        "reset_url": tenant_absolute_url(tenant=tenant, path=reverse("account_reset_password")),
    }
    rendered = email_render(tenant=tenant, key="applications.team_invite", context=context)
    email_send(tenant=tenant, to=user.email, rendered=rendered)
    return True
