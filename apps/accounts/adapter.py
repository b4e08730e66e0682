from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from apps.accounts.selectors import home_url_for
from apps.core.clientip import client_ip
from apps.tenancy.selectors import membership_get

# Who sends allauth's rendered emails: apps.outbox registers itself in its AppConfig.ready
# (a higher layer filling in a lower one's hook). sender(message=EmailMessage, tenant=...).
MAIL_SENDERS: list = []


def account_mail_sender_register(sender) -> None:
    """Send allauth's emails through `sender` (idempotent; the last registered wins)."""
    if sender not in MAIL_SENDERS:
        MAIL_SENDERS.append(sender)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # People join a program by applying (or being invited), never by open sign-up.
        return False

    def get_login_redirect_url(self, request) -> str:
        tenant = getattr(request, "tenant", None)
        membership = membership_get(tenant=tenant, user=request.user) if tenant else None
        return home_url_for(membership=membership, user=request.user)

    def get_client_ip(self, request) -> str:
        # The real client behind our proxies, as every other limit counts it.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def send_mail(self, template_prefix, email, context):
        # Rendered here, as allauth renders it, then handed to the registered sender (the
        # outbox: a worker sends it, with retries) instead of talking SMTP in the request.
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        request = context.get("request") or allauth_context.request
        tenant = getattr(request, "tenant", None) if request else None
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        if tenant is not None:
            ctx.setdefault("tenant", tenant)
        message = self.render_mail(template_prefix, email, ctx)
        if not MAIL_SENDERS:
            message.send()
            return
        MAIL_SENDERS[-1](message=message, tenant=tenant)
