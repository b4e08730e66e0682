"""Samples for the isolation walker: a tracked partner with an alert and a milestone."""

from apps.milestones.models import Alert, PartnerMilestone


def setup(program):
    from datetime import timedelta

    from django.utils import timezone
    from django_scopes import scope

    from apps.milestones.services import milestone_sweep_all_tenants, partner_track_start

    with scope(tenant=program.tenant):
        partner_track_start(
            tenant=program.tenant,
            actor=program.cam,
            account=program.partner,
            enrolled_at=timezone.now() - timedelta(days=10),
        )
    milestone_sweep_all_tenants()


def samples(program):
    partner = {"partner_id": program.partner.pk}
    alert = Alert.objects.filter(tenant=program.tenant).first()
    item = PartnerMilestone.objects.filter(tenant=program.tenant, account=program.partner).first()
    result = {
        **{
            f"milestones_partner:{name}": partner
            for name in ("tab", "log", "start", "review", "review_record", "review_plan")
        },
        "partner_type_change:confirm": partner,
    }
    if item is not None:
        result["milestones_partner:check_off"] = {**partner, "item_id": item.pk}
    if alert is not None:
        result["alerts:acknowledge"] = {"alert_id": alert.pk}
        result["alerts:snooze"] = {"alert_id": alert.pk}
    return result
