"""Partner accounts, their domains and users: the basic writes, and the default partner types."""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.services import user_get_or_create
from apps.audit.services import audit_record
from apps.core.emaildomains import is_free_mail
from apps.notifications.services import notification_create
from apps.partners import verbs
from apps.partners.models import (
    DEFAULT_PARTNER_TYPES,
    PartnerAccount,
    PartnerDomain,
    PartnerType,
    PartnerUser,
)
from apps.partners.services.errors import PartnerError
from apps.tenancy.models import PARTNER_ROLES, Role, Tenant
from apps.tenancy.services import membership_grant


def partner_types_install_defaults(*, tenant: Tenant) -> list[PartnerType]:
    existing = {
        name.lower()
        for name in PartnerType.objects.filter(tenant=tenant).values_list("name", flat=True)
    }
    created = [
        PartnerType(tenant=tenant, name=name, position=i)
        for i, name in enumerate(DEFAULT_PARTNER_TYPES)
        if name.lower() not in existing
    ]
    return PartnerType.objects.bulk_create(created)


def normalise_domain(domain: str) -> str:
    domain = domain.strip().lower().lstrip("@").rstrip(".")
    if not domain or " " in domain or "." not in domain or "/" in domain:
        raise PartnerError(f"“{domain}” is not an email domain.")
    return domain


@transaction.atomic
def partner_account_create(
    *,
    tenant: Tenant,
    actor,
    name: str,
    partner_type: PartnerType,
    domains: list[str] = (),
    **fields,
) -> PartnerAccount:
    if partner_type.tenant_id != tenant.pk:
        raise PartnerError("Unknown partner type.")
    account = PartnerAccount.objects.create(
        tenant=tenant, name=name.strip(), partner_type=partner_type, **fields
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_CREATED,
        target=account,
        partner_id=account.pk,
        data={"name": account.name, "type": partner_type.name},
    )
    for domain in domains:
        partner_domain_add(tenant=tenant, actor=actor, account=account, domain=domain)
    if account.cam is not None and account.cam != actor:
        _notify_cam_assigned(tenant=tenant, actor=actor, account=account)
    return account


def _actor_name(actor) -> str:
    """Who made a change, for a notification: a user's name, an API key's label (an actor
    that is not a user names itself by `audit_label`), or "Onramp" for the system."""
    if actor is None:
        return "Onramp"
    label = getattr(actor, "audit_label", None)
    return str(label) if label is not None else actor.get_full_name()


def _notify_cam_assigned(*, tenant: Tenant, actor, account: PartnerAccount) -> None:
    notification_create(
        tenant=tenant,
        recipient=account.cam,
        kind="partner_assigned",
        context={
            "partner": account,
            "actor_name": _actor_name(actor),
        },
        url=reverse("partners:detail", args=[account.pk]),
    )


@transaction.atomic
def partner_domain_add(
    *, tenant: Tenant, actor, account: PartnerAccount, domain: str
) -> PartnerDomain:
    domain = normalise_domain(domain)
    if is_free_mail(domain, tenant=tenant):
        raise PartnerError(
            _("%(domain)s is a free email provider: it cannot be a partner’s domain.")
            % {"domain": domain}
        )
    try:
        with transaction.atomic():
            row = PartnerDomain.objects.create(tenant=tenant, account=account, domain=domain)
    except IntegrityError as exc:
        raise PartnerError(f"The domain {domain} already belongs to a partner account.") from exc
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_DOMAIN_ADDED,
        target=account,
        partner_id=account.pk,
        data={"domain": domain},
    )
    return row


@transaction.atomic
def partner_user_add(
    *,
    tenant: Tenant,
    actor,
    account: PartnerAccount,
    email: str,
    role: Role = Role.PARTNER_USER,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    audit: bool = True,
) -> PartnerUser:
    """Add a person to a partner account: identity (if new), membership and the link.
    `audit=False` when the caller records the change itself (one event, with its own verb)."""
    if role not in PARTNER_ROLES:
        raise PartnerError("Partner users have a partner role.")
    if account.tenant_id != tenant.pk:
        raise PartnerError("Unknown partner account.")
    email = email.strip().lower()
    user, _ = user_get_or_create(
        email=email, first_name=first_name, last_name=last_name, password=password
    )
    membership, previous = membership_grant(tenant=tenant, user=user, role=role)
    link = PartnerUser.objects.filter(tenant=tenant, membership=membership).first()
    if link is not None and link.account_id != account.pk:
        raise PartnerError(f"{email} already belongs to another partner account.")
    if previous not in (None, "") and previous not in PARTNER_ROLES:
        raise PartnerError(f"{email} is a member of the program staff.")
    if link is None:
        link = PartnerUser.objects.create(tenant=tenant, membership=membership, account=account)
    elif previous is None:
        return link  # already there with this role: nothing changed
    if audit:
        audit_record(
            tenant=tenant,
            actor=actor,
            verb=verbs.PARTNER_USER_ADDED if previous == "" else verbs.PARTNER_USER_ROLE_CHANGED,
            target=account,
            partner_id=account.pk,
            data={"user": email, "from": previous or None, "to": str(role)},
        )
    return link
