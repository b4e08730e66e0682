from apps.tenancy.models import Membership, Role, Tenant


def user_may_sign_in(*, user, tenant: Tenant | None) -> bool:
    if not user.is_active:
        return False
    if tenant is None:
        return user.is_superuser
    return Membership.objects.filter(tenant=tenant, user=user, is_active=True).exists()


def home_url_for(*, membership: Membership | None, user=None) -> str:
    """Where a user lands after signing in: staff in the console, partners in the portal."""
    if membership is not None:
        if membership.role in (Role.PROGRAM_ADMIN, Role.CHANNEL_MANAGER):
            return "/console/"
        return "/portal/"
    if user is not None and user.is_superuser:
        return "/admin/"
    return "/"
