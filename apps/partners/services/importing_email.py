"""The invitation email of a person a CSV import added to a partner account."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.accounts.services import set_password_path
from apps.notifications.rendering import email_render, email_send
from apps.partners.models import PartnerUser
from apps.tenancy.models import Tenant
from apps.tenancy.selectors import tenant_absolute_url


def partner_import_invitation_deliver(*, tenant: Tenant, member_id: int) -> bool:
    """Send the invitation: a set-password link, or sign in for someone who already has a
    password (a user of another program). False when they were removed meanwhile."""
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
    # The subject and intro are the program's wording of "partners.import_invite".
    rendered = email_render(tenant=tenant, key="partners.import_invite", context=context)
    email_send(tenant=tenant, to=user.email, rendered=rendered)
    return True
