"""Samples for the isolation walker: the staff page's actions aim at the program's CAM."""

from apps.tenancy.models import Membership, TenantHost


def samples(program):
    membership = Membership.objects.get(tenant=program.tenant, user=program.cam)
    host = TenantHost.objects.filter(tenant=program.tenant).order_by("pk").first()
    return {
        **{
            f"staff:{name}": {"membership_id": membership.pk}
            for name in ("resend", "role", "deactivate", "reactivate")
        },
        **{
            f"program_settings:{name}": {"host_id": host.pk}
            for name in ("host_primary", "host_remove")
        },
        **_privacy_samples(program),
    }


def _privacy_samples(program):
    key = f"u{program.partner_user.pk}"
    return {f"privacy:{name}": {"key": key} for name in ("person", "export", "erase")}
