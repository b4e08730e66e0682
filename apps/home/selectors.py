from django.db.models import Count, Q

from apps.audit.models import AuditEvent
from apps.partners.models import PartnerAccount, PartnerStatus
from apps.partners.selectors import active_cam_exists


def console_summary(*, tenant, user) -> dict:
    """The console home's figures, in one aggregate query."""
    return PartnerAccount.objects.filter(tenant=tenant).aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(status=PartnerStatus.ACTIVE)),
        suspended=Count("id", filter=Q(status=PartnerStatus.SUSPENDED)),
        mine=Count("id", filter=Q(cam=user)),
        # No CAM, or one no longer an active staff member (their alerts go to the admins).
        unassigned=Count("id", filter=Q(cam__isnull=True) | ~active_cam_exists()),
    )


def console_recent_activity(*, tenant, limit: int = 10):
    return list(AuditEvent.objects.filter(tenant=tenant).order_by("-created_at", "-id")[:limit])


def console_my_partners(*, tenant, user, limit: int = 8):
    return list(
        PartnerAccount.objects.filter(tenant=tenant, cam=user)
        .select_related("partner_type")
        .order_by("-created_at", "-id")[:limit]
    )


def staff_members_of(*, tenant):
    """The program's staff memberships (active or not) with their users, active first."""
    from apps.tenancy.models import STAFF_ROLES, Membership

    return (
        Membership.objects.filter(tenant=tenant, role__in=STAFF_ROLES)
        .select_related("user")
        .order_by("-is_active", "role", "user__email")
    )
