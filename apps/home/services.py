"""Setting up a whole program: the one place that knows every layer's starting data."""

from django.db import transaction
from django_scopes import scope

from apps.accounts.services import user_get_or_create
from apps.audit.services import audit_record
from apps.home import verbs
from apps.milestones.services import milestone_template_install
from apps.partners.services import partner_types_install_defaults
from apps.tenancy.models import STAFF_ROLES, Role, Tenant
from apps.tenancy.services import membership_grant, tenant_create


@transaction.atomic
def program_create(
    *,
    actor,
    slug: str,
    name: str,
    hostnames: list[str],
    milestone_template: bool = True,
    **fields,
) -> Tenant:
    """A program with its partner types and (unless told not to: tests that do not need
    it) the standard milestone template."""
    tenant = tenant_create(slug=slug, name=name, hostnames=hostnames, **fields)
    with scope(tenant=tenant):
        partner_types_install_defaults(tenant=tenant)
        if milestone_template:
            milestone_template_install(tenant=tenant, actor=actor)
        audit_record(tenant=tenant, actor=actor, verb=verbs.PROGRAM_CREATED, target=tenant)
    return tenant


@transaction.atomic
def staff_member_add(
    *,
    tenant: Tenant,
    actor,
    email: str,
    role: Role,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
):
    if role not in STAFF_ROLES:
        raise ValueError("Staff members are program admins or channel managers.")
    user, _ = user_get_or_create(
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
