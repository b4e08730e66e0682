from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    name = "apps.milestones"
    label = "milestones"
    verbose_name = "Milestones and alerts"

    def ready(self) -> None:
        # The Partner Explorer's milestones filters (apps/partners/explorer_registry.py).
        from apps.milestones.explorer import explorer_register
        from apps.milestones.services.tracks_start import track_for_new_partner_type
        from apps.partners.services.catalog import partner_type_created_hook_register

        explorer_register()
        # A partner type added in the console starts on a copy of the closest track.
        partner_type_created_hook_register(track_for_new_partner_type)

        from apps.core.nav_badges import nav_badge_register
        from apps.milestones.alert_badge import ALERTS_BADGE

        nav_badge_register(ALERTS_BADGE)
