from apps.audit.models import AuditEvent


def audit_events_for_partner(*, tenant, partner_id: int, limit: int = 200):
    return AuditEvent.objects.filter(tenant=tenant, partner_id=partner_id).select_related("actor")[
        :limit
    ]


def audit_events_for_tenant(*, tenant):
    return AuditEvent.objects.filter(tenant=tenant).order_by("-created_at", "-id")
