from allauth.account.auth_backends import AuthenticationBackend

from apps.accounts.selectors import user_may_sign_in


class TenantMemberBackend(AuthenticationBackend):
    """allauth's email + password check, admitting only members of the request's tenant.

    On the platform host (no tenant) only superusers may sign in, for /admin/. A correct
    password of a non-member fails exactly like a wrong one, so nothing is revealed.
    """

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is None or request is None:
            return None
        if not user_may_sign_in(user=user, tenant=getattr(request, "tenant", None)):
            return None
        return user
