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
    result.update(_tracks_editor_samples(program))
    return result


def _tracks_editor_samples(program):
    """The milestone tracks editor (/console/settings/milestones/<track_id>/…)."""
    from apps.milestones.models import AlertRule, Milestone, Track
    from apps.partners.models import PartnerType

    track = Track.objects.filter(tenant=program.tenant).order_by("pk").first()
    if track is None:
        return {}
    milestone = Milestone.objects.filter(tenant=program.tenant, track=track).first()
    rule = AlertRule.objects.filter(tenant=program.tenant, milestone__track=track).first()
    partner_type = PartnerType.objects.filter(tenant=program.tenant).first()
    on_track = {"track_id": track.pk}
    on_milestone = {**on_track, "milestone_id": milestone.pk}
    return {
        "milestones_settings:start": {"type_id": partner_type.pk},
        **{
            f"milestones_settings:{name}": on_track
            for name in ("track", "settings", "activation", "stop", "milestone_add")
        },
        **{
            f"milestones_settings:{name}": on_milestone
            for name in ("milestone_edit", "completion", "milestone_remove", "rule_add")
        },
        "milestones_settings:rule_edit": {**on_track, "rule_id": rule.pk},
        "milestones_settings:rule_retire": {**on_track, "rule_id": rule.pk},
    }
