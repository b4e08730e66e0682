"""Setting up a whole program: the one place that knows every layer's starting data."""

from __future__ import annotations

import re
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from apps.accounts.services import user_get_or_create
from apps.applications.services import program_settings_install, set_password_path
from apps.audit.services import audit_record
from apps.home import verbs
from apps.milestones.services import milestone_template_install
from apps.partners.models import PartnerType
from apps.partners.services import partner_types_install_defaults
from apps.tenancy.models import STAFF_ROLES, Role, Tenant, TenantHost
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
            tenant_id, user_id = tenant.pk, membership.user_id
            transaction.on_commit(
                lambda: program_admin_email_send(tenant_id=tenant_id, user_id=user_id)
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
    base = "home/emails/program_admin"
    subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{base}/body.txt", context).strip() + "\n",
        from_email=formataddr((tenant.name, address)),
        to=[user.email],
    )
    message.attach_alternative(render_to_string(f"{base}/body.html", context), "text/html")
    message.send()


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
