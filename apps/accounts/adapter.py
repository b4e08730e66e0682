from allauth.account.adapter import DefaultAccountAdapter

from apps.accounts.selectors import home_url_for
from apps.tenancy.selectors import membership_get


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # People join a program by applying (or being invited), never by open sign-up.
        return False

    def get_login_redirect_url(self, request) -> str:
        tenant = getattr(request, "tenant", None)
        membership = membership_get(tenant=tenant, user=request.user) if tenant else None
        return home_url_for(membership=membership, user=request.user)

    def send_mail(self, template_prefix, email, context):
        request = context.get("request") or getattr(self, "request", None)
        tenant = getattr(request, "tenant", None) if request else None
        if tenant is not None:
            context.setdefault("tenant", tenant)
        return super().send_mail(template_prefix, email, context)
