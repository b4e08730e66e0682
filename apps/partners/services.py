from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.accounts.services import user_get_or_create
from apps.audit.services import audit_record
from apps.notifications.services import notification_create
from apps.partners.models import (
    DEFAULT_PARTNER_TYPES,
    PartnerAccount,
    PartnerDomain,
    PartnerEvent,
    PartnerType,
    PartnerUser,
)
from apps.tenancy.models import PARTNER_ROLES, Role, Tenant
from apps.tenancy.services import membership_grant


class PartnerError(Exception):
    """A partner-account rule was broken; the message is shown to the user."""


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
        verb="partner.created",
        target=account,
        partner_id=account.pk,
        data={"name": account.name, "type": partner_type.name},
    )
    for domain in domains:
        partner_domain_add(tenant=tenant, actor=actor, account=account, domain=domain)
    if account.cam is not None and account.cam != actor:
        _notify_cam_assigned(tenant=tenant, actor=actor, account=account)
    return account


def _notify_cam_assigned(*, tenant: Tenant, actor, account: PartnerAccount) -> None:
    notification_create(
        tenant=tenant,
        recipient=account.cam,
        kind="partner_assigned",
        context={
            "partner": account,
            "actor_name": actor.get_full_name() if actor is not None else "Onramp",
        },
        url=reverse("partners:detail", args=[account.pk]),
    )


@transaction.atomic
def partner_domain_add(
    *, tenant: Tenant, actor, account: PartnerAccount, domain: str
) -> PartnerDomain:
    domain = normalise_domain(domain)
    try:
        with transaction.atomic():
            row = PartnerDomain.objects.create(tenant=tenant, account=account, domain=domain)
    except IntegrityError as exc:
        raise PartnerError(f"The domain {domain} already belongs to a partner account.") from exc
    audit_record(
        tenant=tenant,
        actor=actor,
        verb="partner.domain_added",
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
) -> PartnerUser:
    """Add a person to a partner account: identity (if new), membership and the link."""
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
    audit_record(
        tenant=tenant,
        actor=actor,
        verb="partner.user_added" if previous == "" else "partner.user_role_changed",
        target=account,
        partner_id=account.pk,
        data={"user": email, "from": previous or None, "to": str(role)},
    )
    return link


EVENT_SOURCES = ("onboarding", "content", "api", "console", "applications", "system")


def partner_event_record(
    *,
    tenant: Tenant,
    account_id: int,
    type: str,
    source: str,
    occurred_at=None,
    reference: str = "",
    data: dict | None = None,
    idempotency_key: str = "",
    actor=None,
) -> tuple[PartnerEvent, bool]:
    """Append an event to the partner's log. Returns (event, created).

    With an `idempotency_key`, recording the same key again returns the first event and
    creates nothing (the database's unique index decides, so concurrent retries are safe).
    """
    from django.utils import timezone

    if source not in EVENT_SOURCES:
        raise PartnerError(f"Unknown event source “{source}”.")
    type = type.strip().lower()
    if not type or len(type) > 80:
        raise PartnerError("An event needs a type of at most 80 characters.")
    fields = {
        "tenant": tenant,
        "account_id": account_id,
        "type": type,
        "source": source,
        "occurred_at": occurred_at or timezone.now(),
        "reference": reference[:200],
        "data": data or {},
        "recorded_by": actor,
    }
    if not idempotency_key:
        return PartnerEvent.objects.create(**fields), True
    try:
        with transaction.atomic():
            return PartnerEvent.objects.create(idempotency_key=idempotency_key, **fields), True
    except IntegrityError:
        return PartnerEvent.objects.get(tenant=tenant, idempotency_key=idempotency_key), False
