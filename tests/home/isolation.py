"""Samples for the isolation walker: the staff page's actions aim at the program's CAM."""

from apps.tenancy.models import Membership


def samples(program):
    membership = Membership.objects.get(tenant=program.tenant, user=program.cam)
    return {
        f"staff:{name}": {"membership_id": membership.pk}
        for name in ("resend", "role", "deactivate", "reactivate")
    }
