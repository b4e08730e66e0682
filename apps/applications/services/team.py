"""The portal's team page (/portal/team/): a partner admin invites colleagues, changes their
role and removes them (DOMAIN §8).

Every write locks the partner account's row first, so writes to one team run one after the
other: the "at least one active partner admin" rule is checked on committed data (two admins
removing each other leave one), and a double-submitted invitation finds the first one's user.
The actor is re-checked under that lock: an admin removed a moment ago can change nothing.
The invitation email (the single-use set-password link of an approval) goes out after commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.applications import verbs
from apps.applications.services.emails import _from_address, set_password_path
from apps.audit.services import audit_record
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerUser
from apps.partners.services import PartnerError, partner_user_add
from apps.tenancy.models import PARTNER_ROLES, Membership, Role
from apps.tenancy.selectors import tenant_absolute_url

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


class TeamError(Exception):
    """A team rule was broken; the message is shown to the partner admin."""


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


def _require_admin(*, tenant: Tenant, actor: Any, account: PartnerAccount) -> None:
    """The actor is, now (under the account's lock), an active partner admin of `account`."""
    is_admin = PartnerUser.objects.filter(
        tenant=tenant,
        account=account,
        membership__user=actor,
        membership__role=Role.PARTNER_ADMIN,
        membership__is_active=True,
    ).exists()
    if not is_admin:
        raise TeamError(
            _("Only a partner admin of %(account)s can manage its team.")
            % {"account": account.name}
        )


def _lock_member(*, tenant: Tenant, account: PartnerAccount, member_id: int) -> Membership:
    """The membership of the account's user `member_id` (a PartnerUser id), locked."""
    link = PartnerUser.objects.filter(tenant=tenant, account=account, pk=member_id).first()
    if link is None:
        raise TeamMemberNotFound(_("This person is not on your team."))
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(tenant=tenant, pk=link.membership_id)
    )


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


def allowed_domains(*, tenant: Tenant, account: PartnerAccount) -> list[str]:
    return list(
        PartnerDomain.objects.filter(tenant=tenant, account=account).values_list(
            "domain", flat=True
        )
    )


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
    """Add a colleague (address in one of the account's domains) and email them a link."""
    account = _lock_account(tenant=tenant, account_id=account_id)
    _require_admin(tenant=tenant, actor=actor, account=account)
    if role not in PARTNER_ROLES:
        raise TeamError(_("Choose partner admin or partner user."))
    email = email.strip().lower()
    domain = email.rpartition("@")[2]
    domains = allowed_domains(tenant=tenant, account=account)
    if domain not in domains:
        raise TeamError(
            _("You can invite addresses at %(domains)s only.")
            % {"domains": ", ".join(f"@{d}" for d in domains) or _("your company’s domains")}
        )
    existing = (
        Membership.objects.filter(tenant=tenant, user__email__iexact=email)
        .select_related("partner_user")
        .first()
    )
    previous = None
    if existing is not None:
        link = getattr(existing, "partner_user", None)
        if existing.is_active and link is not None and link.account_id == account.pk:
            raise TeamError(_("%(email)s is already on your team.") % {"email": email})
        if existing.is_active or (link is not None and link.account_id != account.pk):
            raise TeamError(
                _("%(email)s already has access to the program. Ask your channel manager.")
                % {"email": email}
            )
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
        )
    except PartnerError as exc:
        raise TeamError(str(exc)) from exc
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TEAM_MEMBER_INVITED,
        target=account,
        partner_id=account.pk,
        data={"user": email, "from": previous, "to": role},
    )
    tenant_id, member_id = tenant.pk, member.pk
    transaction.on_commit(lambda: _send_invitation(tenant_id, member_id))
    return member


def _send_invitation(tenant_id: int, member_id: int) -> None:
    from apps.applications.tasks import team_invitation_email_send

    team_invitation_email_send.delay(tenant_id, member_id)


@transaction.atomic
def team_member_role_change(
    *, tenant: Tenant, actor: Any, account_id: int, member_id: int, role: str
) -> Membership:
    account = _lock_account(tenant=tenant, account_id=account_id)
    _require_admin(tenant=tenant, actor=actor, account=account)
    if role not in PARTNER_ROLES:
        raise TeamError(_("Choose partner admin or partner user."))
    membership = _lock_member(tenant=tenant, account=account, member_id=member_id)
    if not membership.is_active:
        raise TeamError(_("This person was removed from your team; invite them again."))
    before = membership.role
    if before == role:
        return membership
    if before == Role.PARTNER_ADMIN and not _other_active_admins(
        tenant=tenant, account=account, membership=membership
    ):
        raise TeamError(
            _("Your team needs at least one partner admin. Make someone else an admin first.")
        )
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TEAM_MEMBER_ROLE_CHANGED,
        target=account,
        partner_id=account.pk,
        data={"user": membership.user.email, "from": before, "to": role},
    )
    return membership


@transaction.atomic
def team_member_remove(
    *, tenant: Tenant, actor: Any, account_id: int, member_id: int
) -> Membership:
    """Deactivate the membership (the link stays, so the person can be invited again)."""
    account = _lock_account(tenant=tenant, account_id=account_id)
    _require_admin(tenant=tenant, actor=actor, account=account)
    membership = _lock_member(tenant=tenant, account=account, member_id=member_id)
    if not membership.is_active:
        return membership
    if membership.role == Role.PARTNER_ADMIN and not _other_active_admins(
        tenant=tenant, account=account, membership=membership
    ):
        raise TeamError(
            _("Your team needs at least one partner admin. Make someone else an admin first.")
        )
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TEAM_MEMBER_REMOVED,
        target=account,
        partner_id=account.pk,
        data={
            "user": membership.user.email,
            "role": membership.role,
            "from": "active",
            "to": "removed",
        },
    )
    return membership


def team_invitation_email_deliver(*, tenant: Tenant, member_id: int) -> bool:
    """Send the invitation: a set-password link (single use), or sign in if they have a
    password already (a user of another program). False when they were removed meanwhile."""
    from django.core.mail import EmailMultiAlternatives

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
        "url": tenant_absolute_url(tenant=tenant, path=path),
        "reset_url": tenant_absolute_url(tenant=tenant, path=reverse("account_reset_password")),
    }
    base = "applications/emails/team_invite"
    subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{base}/body.txt", context).strip() + "\n",
        from_email=_from_address(tenant),
        to=[user.email],
        reply_to=[tenant.support_email] if tenant.support_email else None,
    )
    message.attach_alternative(render_to_string(f"{base}/body.html", context), "text/html")
    message.send()
    return True
