"""The invitation email of a person a CSV import added to a partner account."""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from apps.notifications.rendering import email_render
from apps.partners.models import PartnerUser
from apps.tenancy.models import Tenant
from apps.tenancy.selectors import tenant_absolute_url


def _set_password_path(user: object) -> str:
    """allauth's single-use, expiring password-reset-from-key link (the same link as
    apps.applications' set_password_path; partners sits below applications)."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    return reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )


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
    path = reverse("account_login") if has_password else _set_password_path(user)
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
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text + "\n",
        from_email=formataddr((tenant.name, address)),
        to=[user.email],
        reply_to=[tenant.support_email] if tenant.support_email else None,
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send()
    return True
