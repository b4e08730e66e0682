from allauth.account.forms import ResetPasswordForm

from apps.tenancy.models import Membership


class TenantResetPasswordForm(ResetPasswordForm):
    """Password reset on a tenant's host only reaches members of that tenant.

    Anyone else is treated as an unknown address (same page, no reset link), so the form
    reveals nothing about who uses which program.
    """

    def save(self, request, **kwargs):
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            self.users = []
        else:
            member_ids = set(
                Membership.objects.filter(
                    tenant=tenant, user__in=self.users, is_active=True
                ).values_list("user_id", flat=True)
            )
            self.users = [u for u in self.users if u.pk in member_ids]
        return super().save(request, **kwargs)
